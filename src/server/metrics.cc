#include "metrics.h"

#include <array>
#include <initializer_list>
#include <string_view>

namespace jwtguard::server {
namespace {

using namespace std::chrono_literals;
using Counter = std::atomic<std::uint64_t>;

// The statuses jwtguard answers with get a slot each; any other lands in
// "other", so the series count stays fixed whatever a handler returns.
constexpr std::array<int, 17> kStatusCodes = {200, 201, 204, 400, 401, 403, 404, 405, 409,
                                              411, 413, 415, 422, 429, 431, 500, 503};
constexpr std::size_t kOtherStatus = kStatusCodes.size();
constexpr std::size_t kStatusSlots = kStatusCodes.size() + 1;

// A table rather than a search: record_request runs for every request.
constexpr auto kSlotByStatus = [] {
  std::array<unsigned char, 600> slots{};
  slots.fill(kOtherStatus);
  for (std::size_t i = 0; i < kStatusCodes.size(); ++i) slots[kStatusCodes[i]] = i;
  return slots;
}();

std::size_t status_slot(int status) {
  if (status < 0 || static_cast<std::size_t>(status) >= kSlotByStatus.size()) {
    return kOtherStatus;
  }
  return kSlotByStatus[status];
}

// Upper bounds of the latency buckets, with the `le` label each renders as
// (written out, so no float formatting decides what a bound looks like).
struct Bucket {
  std::chrono::nanoseconds le;
  std::string_view label;
};
constexpr std::array<Bucket, 14> kBuckets = {{
    {100us, "0.0001"},
    {250us, "0.00025"},
    {500us, "0.0005"},
    {1ms, "0.001"},
    {2500us, "0.0025"},
    {5ms, "0.005"},
    {10ms, "0.01"},
    {25ms, "0.025"},
    {50ms, "0.05"},
    {100ms, "0.1"},
    {250ms, "0.25"},
    {500ms, "0.5"},
    {1s, "1"},
    {2500ms, "2.5"},
}};
constexpr std::size_t kBucketSlots = kBuckets.size() + 1;  // the last is +Inf

// Buckets are stored per interval and summed at render time, so a request
// costs one increment instead of one per bucket it falls under.
std::size_t bucket_slot(std::chrono::nanoseconds latency) {
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (latency <= kBuckets[i].le) return i;
  }
  return kBuckets.size();
}

// Each route's counters on cache lines of their own: I/O threads serving
// different routes then do not invalidate each other's lines.
struct alignas(64) RouteCounters {
  std::array<Counter, kStatusSlots> by_status{};
  std::array<Counter, kBucketSlots> by_bucket{};
  Counter latency_ns{0};
};

constexpr std::array<std::string_view, kCheckOutcomeCount> kCheckOutcomeNames = {
    "valid", "missing", "invalid", "expired", "revoked", "wrong_type", "not_fresh"};
// Indexed by the enum's value, as record_revocation counts them.
constexpr std::array<RevocationKind, 3> kRevocationKinds = {
    RevocationKind::kToken, RevocationKind::kSession, RevocationKind::kUser};
static_assert(static_cast<std::size_t>(RevocationKind::kToken) == 0 &&
              static_cast<std::size_t>(RevocationKind::kSession) == 1 &&
              static_cast<std::size_t>(RevocationKind::kUser) == 2);
enum LoginOutcome : std::size_t { kLoginSuccess, kLoginFailure, kLoginRateLimited };
constexpr std::array<std::string_view, 3> kLoginOutcomeNames = {"success", "failure",
                                                                "rate_limited"};

void bump(Counter& counter) { counter.fetch_add(1, std::memory_order_relaxed); }
std::uint64_t read(const Counter& counter) { return counter.load(std::memory_order_relaxed); }

// --- Exposition text -------------------------------------------------------

struct Label {
  std::string_view name;
  std::string_view value;
};

// Route names are fixed today, but a label value with a quote or newline in
// it would corrupt the whole scrape, so escape as the format requires.
void append_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void append_family(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void append_sample(std::string& out, std::string_view name, std::initializer_list<Label> labels,
                   std::string_view value) {
  out += name;
  if (labels.size() > 0) {
    char separator = '{';
    for (const Label& label : labels) {
      out.append(1, separator).append(label.name).append("=\"");
      append_label_value(out, label.value);
      out += '"';
      separator = ',';
    }
    out += '}';
  }
  out.append(" ").append(value).append("\n");
}

void append_sample(std::string& out, std::string_view name, std::initializer_list<Label> labels,
                   std::uint64_t value) {
  append_sample(out, name, labels, std::to_string(value));
}

// Exact decimal seconds from integer nanoseconds ("3.00245", "0"): no
// rounding through a double.
std::string format_seconds(std::uint64_t ns) {
  std::string fraction = std::to_string(ns % 1'000'000'000);
  fraction.insert(0, 9 - fraction.size(), '0');
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  std::string out = std::to_string(ns / 1'000'000'000);
  if (!fraction.empty()) out.append(".").append(fraction);
  return out;
}

std::string code_label(std::size_t slot) {
  return slot == kOtherStatus ? "other" : std::to_string(kStatusCodes[slot]);
}

void render_index(std::string& out, const GuardStats& stats) {
  const struct {
    std::string_view name;
    std::string_view type;
    std::string_view help;
    std::uint64_t value;
  } series[] = {
      {"jwtguard_index_revoked_tokens", "gauge", "Token (jti) revocations in the local index.",
       stats.revoked_tokens},
      {"jwtguard_index_revoked_sessions", "gauge", "Session revocations in the local index.",
       stats.revoked_sessions},
      {"jwtguard_index_user_cutoffs", "gauge", "User cutoffs in the local index.",
       stats.user_cutoffs},
      {"jwtguard_index_bytes", "gauge", "Heap memory held by the local revocation index.",
       stats.index_bytes},
      {"jwtguard_feed_seq", "gauge",
       "Sequence number of the last store change applied to the index.", stats.feed_seq},
      // Only ever grows, so a counter: rate() over it is what alerts need.
      {"jwtguard_feed_errors_total", "counter",
       "Failed rounds of the revocation feed follower and purge (retried).", stats.feed_errors},
      {"jwtguard_strict_fallbacks_total", "counter",
       "Strict-mode checks answered from the index because the store could not answer.",
       stats.strict_fallbacks},
      {"jwtguard_status_list_builds_total", "counter",
       "Status List Tokens built and signed (each one store read).", stats.status_list_builds},
      {"jwtguard_status_allocations_total", "counter",
       "Status list entries recorded for issued tokens.", stats.status_allocations},
      {"jwtguard_status_allocation_failures_total", "counter",
       "Issuing calls that failed because their status list entries could not be recorded.",
       stats.status_allocation_failures},
  };
  for (const auto& metric : series) {
    append_family(out, metric.name, metric.type, metric.help);
    append_sample(out, metric.name, {}, metric.value);
  }
}

}  // namespace

struct Metrics::Impl {
  std::array<RouteCounters, kRouteCount> routes;
  // Checks run on most requests, so they get lines of their own too; the
  // rest are rare and share one.
  alignas(64) std::array<Counter, kCheckOutcomeCount> checks{};
  alignas(64) std::array<Counter, kRevocationKinds.size()> revocations{};
  std::array<Counter, kLoginOutcomeNames.size()> logins{};
  Counter store_errors{0};
  std::array<Counter, kLogoutOutcomeCount> logouts{};
  std::array<Counter, 2> reloads{};  // applied, refused
  Counter last_load{0};              // unix seconds of the last successful (re)load

  // Routes with no request yet are left out of the text to keep it short.
  std::array<bool, kRouteCount> active_routes() const;
  void render_requests(std::string& out, const std::array<bool, kRouteCount>& active) const;
  void render_durations(std::string& out, const std::array<bool, kRouteCount>& active) const;
  void render_histogram(std::string& out, std::string_view route,
                        const RouteCounters& counters) const;
  void render_events(std::string& out) const;
};

std::array<bool, kRouteCount> Metrics::Impl::active_routes() const {
  std::array<bool, kRouteCount> active{};
  for (std::size_t r = 0; r < kRouteCount; ++r) {
    for (const Counter& count : routes[r].by_status) active[r] = active[r] || read(count) > 0;
  }
  return active;
}

void Metrics::Impl::render_requests(std::string& out,
                                    const std::array<bool, kRouteCount>& active) const {
  constexpr std::string_view kName = "jwtguard_http_requests_total";
  append_family(out, kName, "counter", "HTTP requests answered, by route and status code.");
  for (std::size_t r = 0; r < kRouteCount; ++r) {
    if (!active[r]) continue;
    const std::string_view route = route_name(static_cast<Route>(r));
    for (std::size_t slot = 0; slot < kStatusSlots; ++slot) {
      const std::uint64_t count = read(routes[r].by_status[slot]);
      if (count == 0) continue;
      append_sample(out, kName, {{"route", route}, {"code", code_label(slot)}}, count);
    }
  }
}

void Metrics::Impl::render_durations(std::string& out,
                                     const std::array<bool, kRouteCount>& active) const {
  append_family(out, "jwtguard_http_request_duration_seconds", "histogram",
                "Time from the first byte of a request read to its response handed to the "
                "socket, by route.");
  for (std::size_t r = 0; r < kRouteCount; ++r) {
    if (active[r]) render_histogram(out, route_name(static_cast<Route>(r)), routes[r]);
  }
}

// Each bucket is read once, so +Inf and _count agree within one scrape even
// while other threads keep recording.
void Metrics::Impl::render_histogram(std::string& out, std::string_view route,
                                     const RouteCounters& counters) const {
  constexpr std::string_view kBucketName = "jwtguard_http_request_duration_seconds_bucket";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kBucketSlots; ++i) {
    cumulative += read(counters.by_bucket[i]);
    const std::string_view le = i < kBuckets.size() ? kBuckets[i].label : "+Inf";
    append_sample(out, kBucketName, {{"route", route}, {"le", le}}, cumulative);
  }
  append_sample(out, "jwtguard_http_request_duration_seconds_sum", {{"route", route}},
                format_seconds(read(counters.latency_ns)));
  append_sample(out, "jwtguard_http_request_duration_seconds_count", {{"route", route}},
                cumulative);
}

void Metrics::Impl::render_events(std::string& out) const {
  append_family(out, "jwtguard_token_checks_total", "counter", "Token checks, by outcome.");
  for (std::size_t i = 0; i < kCheckOutcomeCount; ++i) {
    append_sample(out, "jwtguard_token_checks_total", {{"outcome", kCheckOutcomeNames[i]}},
                  read(checks[i]));
  }
  append_family(out, "jwtguard_revocations_total", "counter",
                "Revocations this instance made durable, by kind.");
  for (std::size_t i = 0; i < kRevocationKinds.size(); ++i) {
    append_sample(out, "jwtguard_revocations_total",
                  {{"kind", revocation_kind_name(kRevocationKinds[i])}}, read(revocations[i]));
  }
  append_family(out, "jwtguard_logins_total", "counter", "Login attempts, by outcome.");
  for (std::size_t i = 0; i < kLoginOutcomeNames.size(); ++i) {
    append_sample(out, "jwtguard_logins_total", {{"outcome", kLoginOutcomeNames[i]}},
                  read(logins[i]));
  }
  append_family(out, "jwtguard_store_errors_total", "counter",
                "Store operations that failed (the request was answered 503).");
  append_sample(out, "jwtguard_store_errors_total", {}, read(store_errors));
  constexpr std::string_view kLogoutOutcomeNames[] = {"revoked", "invalid", "replayed",
                                                      "store_error"};
  static_assert(std::size(kLogoutOutcomeNames) == kLogoutOutcomeCount);
  append_family(out, "jwtguard_backchannel_logouts_total", "counter",
                "OpenID Connect back-channel logout requests, by outcome.");
  for (std::size_t i = 0; i < kLogoutOutcomeCount; ++i) {
    append_sample(out, "jwtguard_backchannel_logouts_total", {{"outcome", kLogoutOutcomeNames[i]}},
                  read(logouts[i]));
  }
  append_family(out, "jwtguard_config_reloads_total", "counter",
                "Configuration reloads (SIGHUP), by outcome: applied or refused.");
  append_sample(out, "jwtguard_config_reloads_total", {{"outcome", "applied"}}, read(reloads[0]));
  append_sample(out, "jwtguard_config_reloads_total", {{"outcome", "refused"}}, read(reloads[1]));
  append_family(out, "jwtguard_config_last_reload_success_timestamp_seconds", "gauge",
                "When the running configuration was loaded (at start or by the last applied "
                "reload), in Unix seconds.");
  append_sample(out, "jwtguard_config_last_reload_success_timestamp_seconds", {}, read(last_load));
}

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {}
Metrics::~Metrics() = default;

void Metrics::record_request(Route route, int status, std::chrono::nanoseconds latency) {
  auto r = static_cast<std::size_t>(route);
  if (r >= kRouteCount) r = static_cast<std::size_t>(Route::kUnmatched);
  if (latency < 0ns) latency = 0ns;  // a clock stepped back; still count the request
  RouteCounters& counters = impl_->routes[r];
  bump(counters.by_status[status_slot(status)]);
  bump(counters.by_bucket[bucket_slot(latency)]);
  counters.latency_ns.fetch_add(static_cast<std::uint64_t>(latency.count()),
                                std::memory_order_relaxed);
}

void Metrics::record_check(CheckOutcome outcome) {
  const auto i = static_cast<std::size_t>(outcome);
  if (i < kCheckOutcomeCount) bump(impl_->checks[i]);
}

void Metrics::record_revocation(RevocationKind kind) {
  const auto i = static_cast<std::size_t>(kind);
  if (i < kRevocationKinds.size()) bump(impl_->revocations[i]);
}

void Metrics::record_store_error() { bump(impl_->store_errors); }

void Metrics::record_login(bool succeeded) {
  bump(impl_->logins[succeeded ? kLoginSuccess : kLoginFailure]);
}

void Metrics::record_login_rate_limited() { bump(impl_->logins[kLoginRateLimited]); }

void Metrics::record_backchannel_logout(LogoutOutcome outcome) {
  const auto i = static_cast<std::size_t>(outcome);
  if (i < kLogoutOutcomeCount) bump(impl_->logouts[i]);
}

void Metrics::record_config_loaded(std::int64_t unix_seconds) {
  impl_->last_load.store(static_cast<std::uint64_t>(std::max<std::int64_t>(unix_seconds, 0)),
                         std::memory_order_relaxed);
}

void Metrics::record_reload(bool applied, std::int64_t unix_seconds) {
  bump(impl_->reloads[applied ? 0 : 1]);
  if (applied) record_config_loaded(unix_seconds);
}

std::string Metrics::render(const GuardStats& stats) const {
  std::string out;
  out.reserve(16 * 1024);
  const std::array<bool, kRouteCount> active = impl_->active_routes();
  impl_->render_requests(out, active);
  impl_->render_durations(out, active);
  impl_->render_events(out);
  render_index(out, stats);
  return out;
}

}  // namespace jwtguard::server
