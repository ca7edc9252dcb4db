// JWK and JWK Set (RFC 7517, RFC 7518 §6, RFC 8037 §2) to and from keys.
// Not on the request path: nlohmann::json keeps this code short.
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "jose/base64url.h"
#include "jose/jwks_parse.h"
#include "jose/key_data.h"
#include "jwtguard/keys.h"

namespace jwtguard {
namespace {

using detail::KeyData;
using Json = nlohmann::json;

// A JWK member decoded from base64url; kBadKey names the member when it is
// missing, not a string, or not strict base64url.
Result<std::string> member_bytes(const Json& jwk, const char* name) {
  const auto it = jwk.find(name);
  if (it == jwk.end()) return fail(Errc::kBadKey, std::string("missing \"") + name + "\"");
  if (!it->is_string()) return fail(Errc::kBadKey, std::string("\"") + name + "\" is not a string");
  auto bytes = base64url::decode(it->get_ref<const std::string&>());
  if (!bytes || bytes->empty()) {
    return fail(Errc::kBadKey, std::string("\"") + name + "\" is not base64url");
  }
  return std::move(*bytes);
}

struct ParamBuilder {
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  // Must outlive the OSSL_PARAM_BLD_to_param call; may hold private values,
  // so they are wiped when freed.
  std::vector<std::unique_ptr<BIGNUM, ossl::Deleter<BN_clear_free>>> bns;
  ~ParamBuilder() { OSSL_PARAM_BLD_free(bld); }

  // Takes the member's bytes and wipes them.
  bool push_bn(const char* key, std::string& bytes) {
    bns.emplace_back(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                               static_cast<int>(bytes.size()), nullptr));
    OPENSSL_cleanse(bytes.data(), bytes.size());
    return bns.back() && OSSL_PARAM_BLD_push_BN(bld, key, bns.back().get()) == 1;
  }
};

Result<ossl::PKey> pkey_fromdata(const char* type, ParamBuilder& params, bool is_private) {
  OSSL_PARAM* built = OSSL_PARAM_BLD_to_param(params.bld);
  ossl::PKeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  const bool ok =
      built != nullptr && ctx && EVP_PKEY_fromdata_init(ctx.get()) == 1 &&
      EVP_PKEY_fromdata(ctx.get(), &raw, is_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                        built) == 1;
  OSSL_PARAM_free(built);
  if (!ok) return fail(Errc::kBadKey, ossl::last_error());
  return ossl::PKey(raw);
}

// An RSA public key's checks, made here because OpenSSL's
// (EVP_PKEY_public_check, SP 800-56B §6.4.2.1) tests the modulus with
// Miller-Rabin on random bases: a malformed modulus (one with small or
// repeated factors) is accepted on one call and refused on the next, so the
// same JWK Set would lose or keep a key from one fetch to the next. These
// are the same rules made deterministic: an odd modulus with no prime factor
// below 2^12, and an odd public exponent with 2^16 < e < 2^256.
Result<void> check_rsa_public(const ossl::PKey& pkey) {
  BIGNUM* n_raw = nullptr;
  BIGNUM* e_raw = nullptr;
  EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_N, &n_raw);
  EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_E, &e_raw);
  const std::unique_ptr<BIGNUM, ossl::Deleter<BN_free>> n(n_raw), e(e_raw);
  if (!n || !e) return fail(Errc::kBadKey, "inconsistent key: no RSA modulus or exponent");
  if (!BN_is_odd(e.get()) || BN_num_bits(e.get()) <= 16 || BN_num_bits(e.get()) > 256) {
    return fail(Errc::kBadKey, "inconsistent key: the RSA exponent is not odd in (2^16, 2^256)");
  }
  if (!BN_is_odd(n.get())) return fail(Errc::kBadKey, "inconsistent key: the RSA modulus is even");
  for (BN_ULONG p = 3; p < 4096; p += 2) {
    bool prime = true;
    for (BN_ULONG d = 3; d * d <= p && prime; d += 2) prime = p % d != 0;
    if (prime && BN_mod_word(n.get(), p) == 0) {
      return fail(Errc::kBadKey, "inconsistent key: the RSA modulus has a small factor");
    }
  }
  return {};
}

// Rejects keys whose parts do not belong together (a point off the curve, a
// private half that does not match the public one, inconsistent RSA factors).
Result<void> check_consistent(const ossl::PKey& pkey, bool is_private) {
  if (!is_private && EVP_PKEY_is_a(pkey.get(), "RSA")) return check_rsa_public(pkey);
  ossl::PKeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  const int ok = !ctx         ? 0
                 : is_private ? EVP_PKEY_pairwise_check(ctx.get())
                              : EVP_PKEY_public_check(ctx.get());
  if (ok != 1) return fail(Errc::kBadKey, "inconsistent key: " + ossl::last_error());
  return {};
}

Result<ossl::PKey> rsa_from_jwk(const Json& jwk) {
  ParamBuilder params;
  const bool is_private = jwk.contains("d");
  static constexpr std::pair<const char*, const char*> kMembers[] = {
      {"n", OSSL_PKEY_PARAM_RSA_N},          {"e", OSSL_PKEY_PARAM_RSA_E},
      {"d", OSSL_PKEY_PARAM_RSA_D},          {"p", OSSL_PKEY_PARAM_RSA_FACTOR1},
      {"q", OSSL_PKEY_PARAM_RSA_FACTOR2},    {"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1},
      {"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2}, {"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1}};
  // A private key needs its CRT members too: OpenSSL cannot check that a
  // bare d belongs to n and e, and an unchecked private key is not loaded.
  if (is_private && !jwk.contains("p")) {
    return fail(Errc::kBadKey, "RSA private JWK without p, q, dp, dq, qi");
  }
  for (const auto& [name, param] : kMembers) {
    if (!is_private && std::string_view(name) != "n" && std::string_view(name) != "e") continue;
    auto bytes = member_bytes(jwk, name);
    if (!bytes) return tl::unexpected(bytes.error());
    if (!params.push_bn(param, *bytes)) return fail(Errc::kCrypto, ossl::last_error());
  }
  return pkey_fromdata("RSA", params, is_private);
}

// A string member, or "" when absent or not a string (callers then refuse
// the empty value with a message of their own).
std::string string_member(const Json& jwk, const char* name) {
  const auto it = jwk.find(name);
  return it != jwk.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The ES* algorithm of a JWK "crv", if it names a curve jwtguard supports.
std::optional<Algorithm> ec_algorithm(std::string_view crv) {
  for (Algorithm alg : {Algorithm::kES256, Algorithm::kES384, Algorithm::kES512}) {
    if (crv == detail::ec_curve_name(alg)) return alg;
  }
  return std::nullopt;
}

Result<ossl::PKey> ec_from_jwk(const Json& jwk) {
  const std::string crv = string_member(jwk, "crv");
  const auto alg = ec_algorithm(crv);
  if (!alg) return fail(Errc::kUnsupportedKey, "EC curve \"" + crv.substr(0, 20) + "\"");
  const std::size_t size = detail::ec_coordinate_size(*alg);
  auto x = member_bytes(jwk, "x");
  auto y = member_bytes(jwk, "y");
  if (!x) return tl::unexpected(x.error());
  if (!y) return tl::unexpected(y.error());
  if (x->size() != size || y->size() != size) {
    return fail(Errc::kBadKey, "EC coordinates must be " + std::to_string(size) + " bytes");
  }
  const std::string point = "\x04" + *x + *y;
  ParamBuilder params;
  const bool is_private = jwk.contains("d");
  bool ok = OSSL_PARAM_BLD_push_utf8_string(params.bld, OSSL_PKEY_PARAM_GROUP_NAME, crv.c_str(),
                                            0) == 1 &&
            OSSL_PARAM_BLD_push_octet_string(params.bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                             point.size()) == 1;
  if (ok && is_private) {
    auto d = member_bytes(jwk, "d");
    if (!d) return tl::unexpected(d.error());
    if (d->size() != size) {
      OPENSSL_cleanse(d->data(), d->size());
      return fail(Errc::kBadKey, "EC \"d\" has the wrong length");
    }
    ok = params.push_bn(OSSL_PKEY_PARAM_PRIV_KEY, *d);
  }
  if (!ok) return fail(Errc::kCrypto, ossl::last_error());
  return pkey_fromdata("EC", params, is_private);
}

Result<ossl::PKey> okp_from_jwk(const Json& jwk) {
  const std::string crv = string_member(jwk, "crv");
  if (crv != "Ed25519")
    return fail(Errc::kUnsupportedKey, "OKP curve \"" + crv.substr(0, 20) + "\"");
  auto x = member_bytes(jwk, "x");
  if (!x) return tl::unexpected(x.error());
  if (x->size() != 32) return fail(Errc::kBadKey, "Ed25519 \"x\" must be 32 bytes");
  EVP_PKEY* raw = nullptr;
  if (jwk.contains("d")) {
    auto d = member_bytes(jwk, "d");
    if (!d) return tl::unexpected(d.error());
    if (d->size() != 32) return fail(Errc::kBadKey, "Ed25519 \"d\" must be 32 bytes");
    raw = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                       reinterpret_cast<const unsigned char*>(d->data()), 32);
    OPENSSL_cleanse(d->data(), d->size());
    unsigned char derived[32];
    std::size_t len = sizeof derived;
    if (raw == nullptr || EVP_PKEY_get_raw_public_key(raw, derived, &len) != 1 ||
        std::memcmp(derived, x->data(), 32) != 0) {
      EVP_PKEY_free(raw);
      return fail(Errc::kBadKey, "inconsistent key: \"d\" does not match \"x\"");
    }
  } else {
    raw = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                      reinterpret_cast<const unsigned char*>(x->data()), 32);
  }
  if (raw == nullptr) return fail(Errc::kBadKey, ossl::last_error());
  return ossl::PKey(raw);
}

Result<Key> key_from_json(const Json& jwk) {
  if (!jwk.is_object()) return fail(Errc::kBadKey, "a JWK must be a JSON object");
  if (jwk.contains("use") && jwk["use"] != Json("sig")) {
    return fail(Errc::kBadKey, "JWK \"use\" is not \"sig\"");
  }
  // RFC 7517 4.3: "key_ops" says what the key is for; a key meant only to
  // encrypt or wrap must not verify signatures.
  if (jwk.contains("key_ops")) {
    const Json& ops = jwk["key_ops"];
    const bool signs = ops.is_array() && std::any_of(ops.begin(), ops.end(), [](const Json& op) {
                         return op == Json("verify") || op == Json("sign");
                       });
    if (!signs) return fail(Errc::kBadKey, "JWK \"key_ops\" holds neither \"sign\" nor \"verify\"");
  }
  std::string kid;
  if (jwk.contains("kid")) {
    if (!jwk["kid"].is_string()) return fail(Errc::kBadKey, "\"kid\" is not a string");
    kid = jwk["kid"].get<std::string>();
  }
  std::optional<Algorithm> only_alg;
  if (jwk.contains("alg")) {
    if (!jwk["alg"].is_string()) return fail(Errc::kBadKey, "\"alg\" is not a string");
    auto alg = parse_algorithm(jwk["alg"].get<std::string>());
    if (!alg) return tl::unexpected(alg.error());
    only_alg = *alg;
  }
  if (!jwk.contains("kty") || !jwk["kty"].is_string()) {
    return fail(Errc::kBadKey, "missing \"kty\"");
  }
  const std::string kty = jwk["kty"].get<std::string>();
  const Algorithm* narrow = only_alg ? &*only_alg : nullptr;
  if (kty == "oct") {
    auto k = member_bytes(jwk, "k");
    if (!k) return tl::unexpected(k.error());
    auto data = detail::secret_key_data(*k, std::move(kid));
    OPENSSL_cleanse(k->data(), k->size());
    if (!data) return tl::unexpected(data.error());
    return KeyData::finish(std::move(*data), narrow);
  }
  Result<ossl::PKey> pkey = kty == "RSA"  ? rsa_from_jwk(jwk)
                            : kty == "EC" ? ec_from_jwk(jwk)
                            : kty == "OKP"
                                ? okp_from_jwk(jwk)
                                : fail(Errc::kUnsupportedKey, "kty \"" + kty.substr(0, 20) + "\"");
  if (!pkey) return tl::unexpected(pkey.error());
  auto data = std::make_unique<KeyData>();
  data->kid = std::move(kid);
  data->pkey = std::move(*pkey);
  if (auto ok = detail::describe_pkey(*data); !ok) return tl::unexpected(ok.error());
  if (data->type != KeyType::kOkp) {
    if (auto ok = check_consistent(data->pkey, data->is_private); !ok) {
      return tl::unexpected(ok.error());
    }
  }
  return KeyData::finish(std::move(data), narrow);
}

Result<Json> parse_json(std::string_view text) {
  auto json = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return fail(Errc::kBadKey, "not valid JSON");
  return json;
}

std::string bn_member(const EVP_PKEY* pkey, const char* param, std::size_t pad_to) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, param, &bn) != 1) return {};
  std::string bytes(pad_to != 0 ? pad_to : static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  BN_clear_free(bn);
  std::string encoded = base64url::encode(bytes);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return encoded;
}

void rsa_to_json(const EVP_PKEY* pkey, bool include_private, Json& out) {
  out["n"] = bn_member(pkey, OSSL_PKEY_PARAM_RSA_N, 0);
  out["e"] = bn_member(pkey, OSSL_PKEY_PARAM_RSA_E, 0);
  if (!include_private) return;
  static constexpr std::pair<const char*, const char*> kPrivate[] = {
      {"d", OSSL_PKEY_PARAM_RSA_D},          {"p", OSSL_PKEY_PARAM_RSA_FACTOR1},
      {"q", OSSL_PKEY_PARAM_RSA_FACTOR2},    {"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1},
      {"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2}, {"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1}};
  for (const auto& [name, param] : kPrivate) {
    std::string value = bn_member(pkey, param, 0);
    if (!value.empty()) out[name] = std::move(value);
  }
}

void ec_to_json(const KeyData& data, bool include_private, Json& out) {
  const Algorithm alg = data.algorithms.front();
  const std::size_t size = detail::ec_coordinate_size(alg);
  out["crv"] = detail::ec_curve_name(alg);
  out["x"] = bn_member(data.pkey.get(), OSSL_PKEY_PARAM_EC_PUB_X, size);
  out["y"] = bn_member(data.pkey.get(), OSSL_PKEY_PARAM_EC_PUB_Y, size);
  if (include_private) out["d"] = bn_member(data.pkey.get(), OSSL_PKEY_PARAM_PRIV_KEY, size);
}

void okp_to_json(const EVP_PKEY* pkey, bool include_private, Json& out) {
  unsigned char buf[32];
  std::size_t len = sizeof buf;
  out["crv"] = "Ed25519";
  EVP_PKEY_get_raw_public_key(pkey, buf, &len);
  out["x"] = base64url::encode({reinterpret_cast<char*>(buf), len});
  if (include_private) {
    len = sizeof buf;
    EVP_PKEY_get_raw_private_key(pkey, buf, &len);
    out["d"] = base64url::encode({reinterpret_cast<char*>(buf), len});
    OPENSSL_cleanse(buf, sizeof buf);
  }
}

Result<Json> key_to_json(const Key& key, bool include_private) {
  const KeyData& data = key.data();
  if (data.type == KeyType::kOct && !include_private) {
    return fail(Errc::kInvalidArgument, "an HMAC secret has no public half");
  }
  Json out = Json::object();
  out["kty"] = key_type_name(data.type);
  if (!data.kid.empty()) out["kid"] = data.kid;
  out["use"] = "sig";
  if (data.algorithms.size() == 1) out["alg"] = algorithm_name(data.algorithms.front());
  switch (data.type) {
    case KeyType::kOct:
      out["k"] = base64url::encode(data.secret);
      break;
    case KeyType::kRsa:
      rsa_to_json(data.pkey.get(), include_private, out);
      break;
    case KeyType::kEc:
      ec_to_json(data, include_private, out);
      break;
    case KeyType::kOkp:
      okp_to_json(data.pkey.get(), include_private, out);
      break;
  }
  ERR_clear_error();
  return out;
}

}  // namespace

// nlohmann::json throws on type mismatches; none may escape the public API.
Result<Key> key_from_json_noexcept(const Json& jwk) {
  try {
    return key_from_json(jwk);
  } catch (const Json::exception&) {
    return fail(Errc::kBadKey, "malformed JWK member");
  }
}

Result<Key> Key::from_jwk(std::string_view jwk_json) {
  auto json = parse_json(jwk_json);
  if (!json) return tl::unexpected(json.error());
  return key_from_json_noexcept(*json);
}

Result<std::string> Key::to_jwk(bool include_private) const {
  if (include_private && !is_private()) {
    return fail(Errc::kKeyNotPrivate, "the key has no private part to export");
  }
  auto json = key_to_json(*this, include_private);
  if (!json) return tl::unexpected(json.error());
  return json->dump();
}

Result<KeySet> KeySet::from_jwks(std::string_view jwks_json) {
  return jose::key_set_from_jwks(jwks_json, /*skip_unusable=*/false, nullptr);
}

namespace jose {

Result<KeySet> key_set_from_jwks(std::string_view jwks_json, bool skip_unusable,
                                 std::size_t* skipped) {
  auto json = parse_json(jwks_json);
  if (!json) return tl::unexpected(json.error());
  if (!json->is_object() || !json->contains("keys") || !(*json)["keys"].is_array()) {
    return fail(Errc::kBadKey, "a JWK Set must be an object with a \"keys\" array");
  }
  KeySet set;
  for (const Json& member : (*json)["keys"]) {
    auto key = key_from_json_noexcept(member);
    if (!key) {
      // RFC 7517 §5: members of unknown types, or not meant for signatures, are skipped.
      const Errc code = key.error().code();
      const bool skippable =
          skip_unusable || code == Errc::kUnsupportedKey || code == Errc::kUnsupportedAlg ||
          (member.is_object() && member.contains("use") && member["use"] != Json("sig"));
      if (skippable) {
        if (skipped) ++*skipped;
        continue;
      }
      return tl::unexpected(key.error());
    }
    if (auto added = set.add(std::move(*key)); !added) {
      // A second key under one kid: leniently, the first one stays.
      if (!skip_unusable) return tl::unexpected(added.error());
      if (skipped) ++*skipped;
    }
  }
  if (set.empty()) return fail(Errc::kBadKey, "the JWK Set holds no usable signature key");
  return set;
}

}  // namespace jose

std::string KeySet::to_public_jwks() const {
  Json keys = Json::array();
  for (const Key& key : keys_) {
    if (key.type() == KeyType::kOct) continue;
    if (auto json = key_to_json(key, false)) keys.push_back(std::move(*json));
  }
  return Json{{"keys", std::move(keys)}}.dump();
}

}  // namespace jwtguard
