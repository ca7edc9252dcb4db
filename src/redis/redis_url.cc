#include "redis_url.h"

#include <charconv>
#include <limits>
#include <optional>

#include "store/store_rules.h"
#include "util/try.h"

namespace jwtguard::redis {
namespace {

constexpr std::string_view kScheme = "redis://";

tl::unexpected<Error> bad_url(std::string_view why) {
  return fail(Errc::kInvalidArgument, "bad redis URL: " + std::string(why) +
                                          " (expected redis://[[USER]:PASSWORD@]HOST[:PORT][/DB])");
}

std::optional<int> hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return std::nullopt;
}

// RFC 3986 percent-decoding; nullopt for a truncated or non-hex escape.
std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    auto high = hex_digit(text[i + 1]);
    auto low = hex_digit(text[i + 2]);
    if (!high || !low) return std::nullopt;
    out.push_back(static_cast<char>(*high * 16 + *low));
    i += 2;
  }
  return out;
}

// A whole decimal number in [min, max], nothing else.
std::optional<long> decimal(std::string_view text, long min, long max) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  long value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value < min || value > max) {
    return std::nullopt;
  }
  return value;
}

bool plausible_host(std::string_view host) {
  for (char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

// HOST[:PORT], with HOST possibly a bracketed IPv6 address.
Result<void> parse_host_port(std::string_view text, Endpoint& out) {
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return bad_url("unclosed '[' in the host");
    out.host = std::string(text.substr(1, close - 1));
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) return bad_url("junk after the IPv6 address");
    if (!rest.empty()) port = rest.substr(1);
    if (!rest.empty() && port.empty()) return bad_url("empty port");
    if (out.host.empty() ||
        out.host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string::npos) {
      return bad_url("not an IPv6 address between the brackets");
    }
  } else {
    const auto colon = text.find(':');
    out.host = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = text.substr(colon + 1);
      if (port.empty()) return bad_url("empty port");
      if (port.find(':') != std::string_view::npos) {
        return bad_url("an IPv6 host must be written between brackets");
      }
    }
    if (out.host.empty()) return bad_url("no host");
    if (!plausible_host(out.host)) return bad_url("invalid character in the host");
  }
  if (!port.empty()) {
    auto value = decimal(port, 1, 65535);
    if (!value) return bad_url("the port must be a number from 1 to 65535");
    out.port = static_cast<std::uint16_t>(*value);
  }
  return {};
}

// [USER]:PASSWORD, both percent-encoded.
Result<void> parse_userinfo(std::string_view text, Endpoint& out) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) {
    return bad_url("credentials must be [USER]:PASSWORD (a user alone is not enough)");
  }
  auto user = percent_decode(text.substr(0, colon));
  auto password = percent_decode(text.substr(colon + 1));
  if (!user || !password) return bad_url("a bad %-escape in the credentials");
  if (password->empty()) return bad_url("an empty password");
  out.user = std::move(*user);
  out.password = std::move(*password);
  return {};
}

}  // namespace

std::string Endpoint::address() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<Endpoint> parse_url(std::string_view url) {
  if (!url.starts_with(kScheme)) return bad_url("it must start with redis://");
  std::string_view rest = url.substr(kScheme.size());
  // No '@' can follow a '/', '?' or '#' in a URL we accept: such an '@'
  // ends credentials that hold one of these unescaped, which would otherwise
  // read as "no host" or a query string.
  const auto path_or_query = rest.find_first_of("/?#");
  if (path_or_query != std::string_view::npos &&
      rest.find('@', path_or_query) != std::string_view::npos) {
    return bad_url("percent-encode /, ? and # in the user name and password (%2F, %3F, %23)");
  }
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return bad_url("query strings and fragments are not supported");
  }
  const auto slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  const std::string_view path =
      slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);

  Endpoint out;
  // The last '@' ends the credentials: a password may hold an unescaped '@'.
  const auto at = authority.rfind('@');
  if (at != std::string_view::npos) JWTGUARD_TRY(parse_userinfo(authority.substr(0, at), out));
  const std::string_view host_port =
      at == std::string_view::npos ? authority : authority.substr(at + 1);
  JWTGUARD_TRY(parse_host_port(host_port, out));
  if (!path.empty()) {
    auto db = decimal(path, 0, std::numeric_limits<int>::max());
    if (!db) return bad_url("the database must be a number (redis://HOST:PORT/DB)");
    out.db = static_cast<int>(*db);
  }
  return out;
}

std::string redact_url(std::string_view url) {
  auto endpoint = parse_url(url);
  if (!endpoint) return std::string(kScheme) + "(malformed, not shown)";
  const std::string credentials =
      endpoint->password.empty() ? "" : stores::percent_encode(endpoint->user) + ":***@";
  return std::string(kScheme) + credentials + endpoint->address() + "/" +
         std::to_string(endpoint->db);
}

}  // namespace jwtguard::redis
