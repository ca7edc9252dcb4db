#include "tokens/flat_claims.h"

#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>

#include "tokens/claim_values.h"
#include "tokens/flat_reader.h"

namespace jwtguard::detail {
namespace {

using flat::Number;
using flat::Reader;

bool string_value(Reader& in, std::string& out) {
  std::string_view raw;
  bool escaped = false;
  if (!in.string(raw, escaped)) return false;
  if (escaped) {
    flat::unescape(raw, out);
  } else {
    out.assign(raw);
  }
  return true;
}

bool audience_value(Reader& in, std::vector<std::string>& out) {
  if (in.peek('"')) return string_value(in, out.emplace_back());
  if (!in.consume('[')) return false;
  in.skip_ws();
  if (in.consume(']')) return true;
  for (;;) {
    if (!string_value(in, out.emplace_back())) return false;
    in.skip_ws();
    if (in.consume(']')) return true;
    if (!in.consume(',')) return false;
    in.skip_ws();
  }
}

// The same arithmetic as numeric_date and the millisecond reader of claims.cc
// on the same values, so that both readers give the same Timestamp.
bool date_value(Reader& in, bool milliseconds, std::optional<Timestamp>& out) {
  Number n;
  if (!in.number(n)) return false;
  if (milliseconds) {
    if (!n.integer || n.int_value < 0 || n.int_value > kMaxNumericDate * 1000) return false;
    out = Timestamp(std::chrono::milliseconds(n.int_value));
  } else if (n.integer) {
    if (n.int_value < 0 || n.int_value > kMaxNumericDate) return false;
    out = from_unix_seconds(n.int_value);
  } else {
    if (!(n.real >= 0 && n.real <= static_cast<double>(kMaxNumericDate))) return false;
    out = Timestamp(std::chrono::microseconds(std::llround(n.real * 1e6)));
  }
  return true;
}

bool claim_value(Reader& in, int index, Claims& claims) {
  switch (index) {
    case kClaimJti:
      return string_value(in, claims.jti);
    case kClaimSub:
      return string_value(in, claims.sub);
    case kClaimIss:
      return string_value(in, claims.iss);
    case kClaimSid:
      return string_value(in, claims.sid);
    case kClaimType:
      return string_value(in, claims.type);
    case kClaimSubNs:
      return string_value(in, claims.sub_ns);
    case kClaimCsrf:
      return string_value(in, claims.csrf);
    case kClaimAud:
      return audience_value(in, claims.aud);
    case kClaimExp:
      return date_value(in, false, claims.exp);
    case kClaimNbf:
      return date_value(in, false, claims.nbf);
    case kClaimIat:
      return date_value(in, false, claims.iat);
    case kClaimIatMs:
      return date_value(in, true, claims.iat_ms);
    case kClaimFresh:
      if (in.literal("true")) {
        claims.fresh = true;
      } else if (in.literal("false")) {
        claims.fresh = false;
      } else {
        return false;
      }
      return true;
    default:
      return false;
  }
}

}  // namespace

bool parse_flat_claims(std::string_view payload, Claims& claims) {
  Reader in(payload);
  in.skip_ws();
  if (!in.consume('{')) return false;
  in.skip_ws();
  // Names outside kKnownClaims, to refuse duplicates as json::parse_object
  // does; a known claim's duplicate shows in claims.present.
  // Left uninitialised on purpose: zeroing a kilobyte would cost more than
  // the rest of a typical payload's reading.
  struct Name {
    const char* data;
    std::size_t size;
  };
  Name others[kFlatMaxMembers];
  std::size_t count = 0;
  if (!in.consume('}')) {
    for (;;) {
      std::string_view name;
      bool escaped = false;
      if (!in.string(name, escaped) || escaped) return false;
      const int index = claim_index(name);
      if (index >= 0) {
        if (claims.present & (1u << index)) return false;
      } else {
        if (count == kFlatMaxMembers) return false;
        for (std::size_t i = 0; i < count; ++i) {
          if (std::string_view(others[i].data, others[i].size) == name) return false;
        }
        others[count++] = {name.data(), name.size()};
      }
      in.skip_ws();
      if (!in.consume(':')) return false;
      in.skip_ws();
      if (index >= 0) {
        if (!claim_value(in, index, claims)) return false;
        claims.present |= 1u << index;
      } else if (!in.skip_value(1)) {
        return false;
      }
      in.skip_ws();
      if (in.consume('}')) break;
      if (!in.consume(',')) return false;
      in.skip_ws();
    }
  }
  in.skip_ws();
  return in.at_end();
}

}  // namespace jwtguard::detail
