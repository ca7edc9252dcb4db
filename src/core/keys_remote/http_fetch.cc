// libcurl does the exchange; this file decides what it may do. Redirects
// are followed here rather than by curl (CURLOPT_FOLLOWLOCATION) because
// curl cannot be told "the same origin only", and a JWK Set URL that an
// attacker could bounce to a host of their choice would let them pick the
// keys jwtguard trusts.
#include "keys_remote/http_fetch.h"

#include <arpa/inet.h>
#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>
#include <string>

namespace jwtguard::keys_remote {
namespace {

using SteadyClock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct UrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};
struct EasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

// One part of a parsed URL; nullopt-like empty string when absent.
bool url_part(CURLU* url, CURLUPart part, unsigned flags, std::string& out) {
  char* value = nullptr;
  if (curl_url_get(url, part, &value, flags) != CURLUE_OK || value == nullptr) return false;
  out = value;
  curl_free(value);
  return true;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool is_loopback_host(const std::string& host) {
  if (host == "localhost" || host == "[::1]") return true;
  in_addr address{};
  if (inet_pton(AF_INET, host.c_str(), &address) != 1) return false;
  return (ntohl(address.s_addr) >> 24) == 127;
}

Result<void> fetch_failure(std::string detail) { return fail(Errc::kStore, std::move(detail)); }

// What one exchange (no redirect followed) brought back.
struct Exchange {
  long status = 0;
  std::string body;
  std::string cache_control;
  std::string location;  // the absolute redirect target, when status is 3xx
};

struct Sink {
  Exchange* exchange;
  std::size_t max_bytes;
  bool too_large = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const std::size_t bytes = size * count;
  if (sink->exchange->body.size() + bytes > sink->max_bytes) {
    sink->too_large = true;
    return 0;  // curl aborts the transfer with CURLE_WRITE_ERROR
  }
  sink->exchange->body.append(data, bytes);
  return bytes;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  const std::string_view line(data, size * count);
  // A new status line (after a 100 Continue) starts a new set of headers.
  if (line.starts_with("HTTP/")) exchange->cache_control.clear();
  constexpr std::string_view kName = "cache-control:";
  if (line.size() > kName.size() && lower(std::string(line.substr(0, kName.size()))) == kName) {
    std::string_view value = line.substr(kName.size());
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.remove_suffix(1);
    if (!exchange->cache_control.empty()) exchange->cache_control += ", ";
    exchange->cache_control += value;
  }
  return size * count;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(user)->load() ? 1 : 0;
}

std::string describe(CURLcode code, const char* buffer) {
  return buffer[0] != '\0' ? std::string(buffer) : std::string(curl_easy_strerror(code));
}

Result<void> classify(CURLcode code, const char* buffer, const Sink& sink, Millis timeout,
                      const std::atomic<bool>& stop) {
  if (code == CURLE_OK) return {};
  if (stop.load() && code == CURLE_ABORTED_BY_CALLBACK) return fetch_failure("abandoned");
  if (sink.too_large || code == CURLE_FILESIZE_EXCEEDED) {
    return fetch_failure("body larger than " + std::to_string(sink.max_bytes) + " bytes");
  }
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return fetch_failure("timed out (limit " + std::to_string(timeout.count()) + " ms)");
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return fetch_failure("cannot connect: " + describe(code, buffer));
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
      return fetch_failure("TLS: " + describe(code, buffer));
    default:
      return fetch_failure("fetch failed: " + describe(code, buffer));
  }
}

// What one exchange may do: the origin's scheme only, verified TLS, no
// redirect followed by curl, bounded time and size.
void set_bounds(CURL* h, const Origin& origin, const FetchLimits& limits, Millis timeout) {
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, origin.scheme.c_str());
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, origin.scheme.c_str());
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!limits.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, limits.ca_file.c_str());
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::min(timeout, limits.connect_timeout).count()));
  curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(limits.max_bytes));
  // A proxy from the environment (https_proxy) is honoured for remote
  // hosts; a loopback host is this machine, which no proxy can reach.
  if (origin.loopback) curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
}

// One GET of `url`, redirects not followed, within `timeout`.
Result<Exchange> exchange_once(const std::string& url, const Origin& origin,
                               const FetchLimits& limits, Millis timeout,
                               const std::atomic<bool>& stop) {
  std::unique_ptr<CURL, EasyDeleter> easy(curl_easy_init());
  if (!easy) return fail(Errc::kStore, "fetch failed: curl_easy_init");
  std::unique_ptr<curl_slist, SlistDeleter> headers(
      curl_slist_append(nullptr, ("Accept: " + limits.accept).c_str()));
  Exchange exchange;
  Sink sink{&exchange, limits.max_bytes};
  char buffer[CURL_ERROR_SIZE] = {};
  CURL* h = easy.get();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  set_bounds(h, origin, limits, timeout);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &exchange);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(&stop));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_USERAGENT, "jwtguard");
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, buffer);

  const CURLcode code = curl_easy_perform(h);
  if (auto ok = classify(code, buffer, sink, limits.timeout, stop); !ok) {
    return tl::unexpected(ok.error());
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &exchange.status);
  char* location = nullptr;
  if (curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &location) == CURLE_OK && location) {
    exchange.location = location;
  }
  return exchange;
}

bool is_redirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

bool same_origin(const Origin& a, const Origin& b) {
  return a.scheme == b.scheme && a.host == b.host && a.port == b.port;
}

}  // namespace

Result<Origin> fetchable_origin(std::string_view url) {
  std::unique_ptr<CURLU, UrlDeleter> parsed(curl_url());
  if (!parsed) return fail(Errc::kInvalidArgument, "cannot parse the URL");
  if (curl_url_set(parsed.get(), CURLUPART_URL, std::string(url).c_str(), 0) != CURLUE_OK) {
    return fail(Errc::kInvalidArgument, "not a URL");
  }
  Origin origin;
  std::string ignored;
  if (url_part(parsed.get(), CURLUPART_USER, 0, ignored) ||
      url_part(parsed.get(), CURLUPART_PASSWORD, 0, ignored)) {
    return fail(Errc::kInvalidArgument, "the URL carries user info");
  }
  if (url_part(parsed.get(), CURLUPART_FRAGMENT, 0, ignored)) {
    return fail(Errc::kInvalidArgument, "the URL carries a fragment");
  }
  if (!url_part(parsed.get(), CURLUPART_SCHEME, 0, origin.scheme) ||
      !url_part(parsed.get(), CURLUPART_HOST, 0, origin.host) ||
      !url_part(parsed.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT, origin.port)) {
    return fail(Errc::kInvalidArgument, "the URL lacks a scheme, host or port");
  }
  origin.scheme = lower(origin.scheme);
  origin.host = lower(origin.host);
  origin.loopback = is_loopback_host(origin.host);
  if (origin.scheme == "https") return origin;
  if (origin.scheme == "http" && origin.loopback) return origin;
  if (origin.scheme == "http") {
    return fail(Errc::kInvalidArgument, "http is allowed for loopback hosts only; use https");
  }
  return fail(Errc::kInvalidArgument, "the URL's scheme is not https");
}

Result<FetchReply> http_get(std::string_view url, const FetchLimits& limits,
                            const std::atomic<bool>& stop) {
  init_curl_once();
  auto origin = fetchable_origin(url);
  if (!origin) return tl::unexpected(origin.error());
  const auto deadline = SteadyClock::now() + limits.timeout;
  std::string current(url);
  for (int redirects = 0;; ++redirects) {
    const auto left = std::chrono::duration_cast<Millis>(deadline - SteadyClock::now());
    if (left <= Millis(0)) {
      return fail(Errc::kStore,
                  "timed out (limit " + std::to_string(limits.timeout.count()) + " ms)");
    }
    auto exchange = exchange_once(current, *origin, limits, left, stop);
    if (!exchange) return tl::unexpected(exchange.error());
    if (exchange->status == 200) {
      return FetchReply{std::move(exchange->body), std::move(exchange->cache_control)};
    }
    if (!is_redirect(exchange->status)) {
      return fail(Errc::kStore, "status " + std::to_string(exchange->status));
    }
    if (redirects >= limits.max_redirects) {
      return fail(Errc::kStore,
                  "redirect: more than " + std::to_string(limits.max_redirects) + " in a row");
    }
    auto target = fetchable_origin(exchange->location);
    if (exchange->location.empty() || !target || !same_origin(*target, *origin)) {
      return fail(Errc::kStore, "redirect to another origin refused");
    }
    current = std::move(exchange->location);
  }
}

}  // namespace jwtguard::keys_remote
