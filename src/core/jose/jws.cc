#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

#include "jose/base64url.h"
#include "jose/json.h"
#include "jose/jws_internal.h"
#include "jose/signature.h"

namespace jwtguard {
namespace detail {
namespace {

struct Segments {
  std::string_view header, payload, signature, signing_input;
};

// The largest signature decoded: more than any supported algorithm makes
// (RSA with a 16384-bit key: 2048 bytes), so a longer one cannot verify.
constexpr std::size_t kMaxSignatureSize = 4096;

Result<Segments> split(std::string_view token, std::size_t max_size) {
  if (token.size() > max_size) {
    return fail(Errc::kTokenTooLarge,
                std::to_string(token.size()) + " bytes, limit " + std::to_string(max_size));
  }
  const auto first = token.find('.');
  const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return fail(Errc::kMalformed, "expected three dot-separated segments");
  }
  Segments s;
  s.header = token.substr(0, first);
  s.payload = token.substr(first + 1, second - first - 1);
  s.signature = token.substr(second + 1);
  s.signing_input = token.substr(0, second);
  if (s.header.empty()) return fail(Errc::kMalformed, "empty header");
  return s;
}

Result<std::string> string_member(simdjson::dom::element value, std::string_view name) {
  std::string_view text;
  if (value.get_string().get(text)) {
    std::string detail(name);  // built stepwise: GCC 12 misreports operator+ (bug 105329)
    detail += " is not a string";
    return fail(Errc::kBadHeader, std::move(detail));
  }
  return std::string(text);
}

Result<std::vector<std::string>> crit_member(simdjson::dom::element value) {
  simdjson::dom::array array;
  if (value.get_array().get(array) || array.size() == 0) {
    return fail(Errc::kUnsupportedCrit, "\"crit\" must be a non-empty array");
  }
  std::vector<std::string> names;
  for (auto item : array) {
    std::string_view name;
    if (item.get_string().get(name)) return fail(Errc::kUnsupportedCrit, "non-string in \"crit\"");
    names.emplace_back(name);
  }
  return names;
}

Result<JoseHeader> parse_header_json(std::string json) {
  auto object = json::parse_object(json, "header");
  if (!object) return tl::unexpected(object.error());
  JoseHeader header;
  bool has_alg = false;
  for (auto field : *object) {
    if (field.key == "alg") {
      auto name = string_member(field.value, "alg");
      if (!name) return tl::unexpected(name.error());
      auto alg = parse_algorithm(*name);
      if (!alg) return tl::unexpected(alg.error());
      header.alg = *alg;
      has_alg = true;
    } else if (field.key == "kid" || field.key == "typ") {
      auto text = string_member(field.value, field.key);
      if (!text) return tl::unexpected(text.error());
      (field.key == "kid" ? header.kid : header.typ) = std::move(*text);
    } else if (field.key == "crit") {
      auto crit = crit_member(field.value);
      if (!crit) return tl::unexpected(crit.error());
      header.crit = std::move(*crit);
    }
  }
  if (!has_alg) return fail(Errc::kMissingAlg);
  header.json = std::move(json);
  return header;
}

// Services see the same few headers over and over; caching the parsed form per
// thread skips a base64 decode and a JSON parse per token. Entries are keyed by
// the exact encoded text, and failures are never cached.
class HeaderCache {
 public:
  Result<std::shared_ptr<const JoseHeader>> get(std::string_view encoded) {
    for (const auto& entry : entries_) {
      if (entry.header && entry.encoded == encoded) return entry.header;
    }
    auto json = decode_segment(encoded, "header");
    if (!json) return tl::unexpected(json.error());
    auto header = parse_header_json(std::move(*json));
    if (!header) return tl::unexpected(header.error());
    Entry& entry = entries_[next_++ % entries_.size()];
    entry.encoded.assign(encoded);
    entry.header = std::make_shared<const JoseHeader>(std::move(*header));
    return entry.header;
  }

 private:
  struct Entry {
    std::string encoded;
    std::shared_ptr<const JoseHeader> header;
  };
  std::array<Entry, 4> entries_;
  unsigned next_ = 0;
};

thread_local HeaderCache header_cache;

bool contains(const std::vector<std::string>& list, std::string_view name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

Result<void> check_crit(const JoseHeader& header, const JwsOptions& options) {
  for (const std::string& name : header.crit) {
    if (!contains(options.understood_crit, name)) {
      return fail(Errc::kUnsupportedCrit, name.substr(0, 64));
    }
  }
  return {};
}

bool allowed(Algorithm alg, const KeySet& keys, const JwsOptions& options) {
  if (options.algorithms.empty()) return keys.allows(alg);
  return std::find(options.algorithms.begin(), options.algorithms.end(), alg) !=
         options.algorithms.end();
}

Result<void> verify_with_keys(const JoseHeader& header, const KeySet& keys,
                              std::string_view signing_input,
                              std::span<const std::uint8_t> signature) {
  // A token's kid selects the key with that kid; keys without a kid stand in
  // for any kid, so that a single configured key needs no naming.
  if (!header.kid.empty()) {
    if (const Key* key = keys.find(header.kid)) {
      if (!key->allows(header.alg)) {
        return fail(Errc::kKeyAlgMismatch, "key \"" + header.kid.substr(0, 64) + "\" is not for " +
                                               std::string(algorithm_name(header.alg)));
      }
      return verify(key->data(), header.alg, signing_input, signature);
    }
  }
  Result<void> last =
      fail(header.kid.empty() ? Errc::kNoKeyForAlg : Errc::kUnknownKid, header.kid.substr(0, 64));
  for (const Key& key : keys.keys()) {
    if (!key.allows(header.alg) || (!header.kid.empty() && !key.kid().empty())) continue;
    last = verify(key.data(), header.alg, signing_input, signature);
    if (last) return last;
  }
  return last;
}

}  // namespace

Result<std::string> decode_segment(std::string_view b64, std::string_view what,
                                   std::size_t padding) {
  auto bytes = base64url::decode(b64, padding);
  if (!bytes) return fail(Errc::kBadBase64, std::string(what));
  return std::move(*bytes);
}

Result<VerifiedParts> verify_parts(std::string_view token, const KeySet& keys,
                                   const JwsOptions& options) {
  auto segments = split(token, options.max_token_size);
  if (!segments) return tl::unexpected(segments.error());
  auto header = header_cache.get(segments->header);
  if (!header) return tl::unexpected(header.error());
  const JoseHeader& h = **header;
  if (!allowed(h.alg, keys, options)) {
    return fail(Errc::kAlgNotAllowed, std::string(algorithm_name(h.alg)));
  }
  if (auto crit = check_crit(h, options); !crit) return tl::unexpected(crit.error());
  if (segments->signature.empty()) return fail(Errc::kMalformed, "empty signature");
  std::array<std::uint8_t, kMaxSignatureSize> sig;
  const auto sig_size = base64url::decoded_size(segments->signature.size());
  if (!sig_size) return fail(Errc::kBadBase64, "signature");
  if (*sig_size > sig.size()) {
    return fail(Errc::kBadSignature, "longer than any supported algorithm's signature");
  }
  if (!base64url::decode_to(segments->signature, sig.data())) {
    return fail(Errc::kBadBase64, "signature");
  }
  auto verified = verify_with_keys(h, keys, segments->signing_input,
                                   std::span<const std::uint8_t>(sig.data(), *sig_size));
  if (!verified) return tl::unexpected(verified.error());
  return VerifiedParts{std::move(*header), segments->payload};
}

}  // namespace detail

Result<VerifiedJws> verify_jws(std::string_view token, const KeySet& keys,
                               const JwsOptions& options) {
  auto parts = detail::verify_parts(token, keys, options);
  if (!parts) return tl::unexpected(parts.error());
  auto payload = detail::decode_segment(parts->payload_b64, "payload");
  if (!payload) return tl::unexpected(payload.error());
  return VerifiedJws{std::move(parts->header), std::move(*payload)};
}

Result<std::string> jws_signature(const Key& key, Algorithm alg, std::string_view signing_input) {
  auto sig = detail::sign(key.data(), alg, signing_input);
  if (!sig) return tl::unexpected(sig.error());
  return base64url::encode(*sig);
}

std::string jose_header_json(Algorithm alg, const std::string& kid, std::string_view typ) {
  nlohmann::ordered_json header = {{"alg", algorithm_name(alg)}, {"typ", typ}};
  if (!kid.empty()) header["kid"] = kid;
  return header.dump();
}

Result<std::string> sign_jws(const Key& key, Algorithm alg, std::string_view payload,
                             std::string_view typ) {
  std::string token = base64url::encode(jose_header_json(alg, key.kid(), typ));
  token += '.';
  base64url::encode_append(payload, token);
  auto sig = jws_signature(key, alg, token);
  if (!sig) return tl::unexpected(sig.error());
  token += '.';
  token += *sig;
  return token;
}

Result<DecodedJws> decode_jws(std::string_view token, std::size_t max_token_size) {
  auto segments = detail::split(token, max_token_size);
  if (!segments) return tl::unexpected(segments.error());
  auto header = detail::decode_segment(segments->header, "header");
  if (!header) return tl::unexpected(header.error());
  if (auto object = json::parse_object(*header, "header"); !object) {
    return tl::unexpected(object.error());
  }
  auto payload = detail::decode_segment(segments->payload, "payload");
  if (!payload) return tl::unexpected(payload.error());
  auto signature = detail::decode_segment(segments->signature, "signature");
  if (!signature) return tl::unexpected(signature.error());
  return DecodedJws{std::move(*header), std::move(*payload), std::move(*signature)};
}

}  // namespace jwtguard
