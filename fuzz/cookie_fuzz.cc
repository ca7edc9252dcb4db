// libFuzzer target: the token sources of jwtguard/http.h. Any bytes may
// arrive as Cookie and Authorization headers. each_cookie must hand out
// only trimmed pieces of the header it was given, and HttpGuard::require
// must never crash, leak, hang or hit undefined behaviour, whatever the
// headers, method and locations, and must answer every refusal with a
// status and a challenge that fit in a response.
//
// Input: byte 0 picks the method, the locations and the token type; the
// rest is header lines ("Name: value", '\n'-separated). "$A" and "$C" in a
// value stand for a real access token and its CSRF value, so that the
// search reaches the checks after a token is found.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/token_sources.h"
#include "jwtguard/guard.h"
#include "jwtguard/http.h"
#include "jwtguard/store.h"

namespace {

using namespace jwtguard;

void check(bool invariant) {
  if (!invariant) std::abort();
}

class FixedClock final : public Clock {
 public:
  Timestamp now() const override { return from_unix_seconds(1'700'000'000); }
};

struct World {
  FixedClock clock;
  std::unique_ptr<Guard> guard;
  TokenPair pair;
};

const World& world() {
  static const World* w = [] {
    auto* out = new World;
    GuardOptions options;
    options.background = false;
    options.issuer.csrf_claim = true;
    auto key = Key::from_secret("0123456789abcdef0123456789abcdef");
    out->guard = std::move(
        *Guard::open(*std::move(key), KeySet(), open_memory_store(), options, out->clock));
    out->pair = *out->guard->login("fuzz");
    return out;
  }();
  return *w;
}

std::string expand(std::string_view value) {
  std::string out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '$' && i + 1 < value.size() && (value[i + 1] == 'A' || value[i + 1] == 'C')) {
      out += value[i + 1] == 'A' ? world().pair.access.token : world().pair.access.csrf;
      ++i;
    } else {
      out += value[i];
    }
  }
  return out;
}

class Request final : public RequestView {
 public:
  std::string method_;
  std::vector<std::pair<std::string, std::string>> headers_;

  std::string_view method() const override { return method_; }
  void header_values(std::string_view name,
                     const std::function<void(std::string_view)>& each) const override {
    for (const auto& [n, v] : headers_) {
      if (n.size() == name.size() &&
          std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) ==
                   std::tolower(static_cast<unsigned char>(b));
          })) {
        each(v);
      }
    }
  }
  std::optional<std::string> query_parameter(std::string_view name) const override {
    for (const auto& [n, v] : headers_) {
      if (n == "?" + std::string(name)) return v;
    }
    return std::nullopt;
  }
};

void check_cookies(std::string_view header) {
  for (std::string_view name : {"access_token_cookie", "a", ""}) {
    http::each_cookie(header, name, [&](std::string_view value) {
      check(value.data() >= header.data() &&
            value.data() + value.size() <= header.data() + header.size());
      check(value.find(';') == std::string_view::npos);
    });
  }
}

void check_refusal(const HttpError& error) {
  check(error.status == 401 || error.status == 422 || error.status == 400 || error.status == 500 ||
        error.status == 503);
  const std::string challenge = error.www_authenticate();
  check(challenge.find_first_of("\r\n") == std::string::npos);
  check(!error.body().empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t control = data[0];
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

  static const char* const kMethods[] = {"GET", "POST", "DELETE", "PUT"};
  static const std::vector<TokenLocation> kLocations[] = {
      {TokenLocation::kHeaders},
      {TokenLocation::kCookies},
      {TokenLocation::kHeaders, TokenLocation::kCookies},
      {TokenLocation::kCookies, TokenLocation::kQueryString, TokenLocation::kHeaders}};
  static const TokenRequirement kTypes[] = {TokenRequirement::kAccess, TokenRequirement::kRefresh,
                                            TokenRequirement::kAny, TokenRequirement::kAccess};

  Request request;
  request.method_ = kMethods[control & 3];
  std::size_t start = 0;
  while (start <= input.size()) {
    std::size_t end = input.find('\n', start);
    if (end == std::string_view::npos) end = input.size();
    std::string_view line = input.substr(start, end - start);
    const std::size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string_view value = line.substr(colon + 1);
      if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      request.headers_.emplace_back(std::string(line.substr(0, colon)), expand(value));
    }
    start = end + 1;
  }
  for (const auto& [name, value] : request.headers_) check_cookies(value);

  HttpOptions options;
  options.locations = kLocations[(control >> 2) & 3];
  options.cookies.csrf_protect = (control & 0x40) == 0;
  auto http = HttpGuard::create(*world().guard, options);
  check(http.has_value());
  const Requirements requirements{.type = kTypes[(control >> 4) & 3],
                                  .optional = (control & 0x80) != 0};
  auto result = http->require(request, requirements);
  if (!result) check_refusal(result.error());
  return 0;
}
