#include "pg_connector.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "store/store_rules.h"

namespace jwtguard::pg {
namespace {

// jwtguard never leaves a transaction open longer than one round trip
// between two of its statements; the margin covers a busy client machine.
constexpr std::chrono::milliseconds kIdleInTransactionMargin{5000};

// Every session's settings, whatever the server's, database's or role's
// defaults:
// - statement_timeout ($1): no statement holds the feed head's lock for long.
// - idle_in_transaction_session_timeout ($2): a client that dies mid-
//   transaction (power loss: no FIN, no RST) would otherwise leave its
//   session "idle in transaction", holding the feed head's row lock and so
//   blocking every instance's revocations, until TCP keepalives notice
//   (hours with the server's defaults). The server ends such a session.
// - default_transaction_isolation read committed: the feed head's
//   SELECT ... FOR UPDATE and rotate_refresh's single winner rely on a
//   blocked UPDATE re-reading the row that committed meanwhile; under
//   repeatable read (a possible database default) they fail with 40001
//   instead. (Applies from the next transaction: this one only sets it.)
// - synchronous_commit on, so that COMMIT returns only once the commit is on
//   disk; changed only when it is off: "local", "remote_write",
//   "remote_apply" (replication setups) also wait for the local disk.
constexpr const char* kSessionSetup =
    "SELECT set_config('statement_timeout', $1, false),"
    " set_config('idle_in_transaction_session_timeout', $2, false),"
    " set_config('default_transaction_isolation', 'read committed', false),"
    " CASE WHEN current_setting('synchronous_commit') = 'off'"
    " THEN set_config('synchronous_commit', 'on', false) END";

std::optional<std::string> percent_decode(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int hi = hex(text[i + 1]), lo = hex(text[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

// The password as written in the URL and as decoded: what must never be
// repeated in a message.
void add_secret(std::vector<std::string>& secrets, std::string_view raw) {
  if (raw.empty()) return;
  secrets.emplace_back(raw);
  if (auto decoded = percent_decode(raw); decoded && !decoded->empty()) {
    secrets.push_back(std::move(*decoded));
  }
}

// Reads the URL the way libpq's parser does (the credentials end at the
// first '@', unless a '/' comes first) to find the password in it, and
// refuses what libpq would read differently from what the user meant.
Result<std::vector<std::string>> url_secrets(std::string_view rest) {
  std::vector<std::string> secrets;
  const std::size_t query = rest.find('?');
  const std::string_view before_query = rest.substr(0, query);
  const std::size_t end = rest.find_first_of("@/");
  std::size_t designator = std::string_view::npos;
  if (end != std::string_view::npos && rest[end] == '@') {
    designator = end;
    const std::string_view credentials = rest.substr(0, end);
    if (const std::size_t colon = credentials.find(':'); colon != std::string_view::npos) {
      add_secret(secrets, credentials.substr(colon + 1));
    }
  }
  // Another '@' before the query: a user name or password holding an
  // unencoded '@' or '/', which libpq would take for part of the host or
  // database name (and repeat in its error message).
  for (std::size_t at = before_query.find('@'); at != std::string_view::npos;
       at = before_query.find('@', at + 1)) {
    if (at != designator) {
      return fail(Errc::kInvalidArgument,
                  "malformed postgresql URL: '@', '/' and ':' in a user name or password must be "
                  "percent-encoded (%40, %2F, %3A)");
    }
  }
  if (query != std::string_view::npos) {
    std::string_view params = rest.substr(query + 1);
    while (!params.empty()) {
      const std::size_t amp = params.find('&');
      const std::string_view pair = params.substr(0, amp);
      const std::size_t eq = pair.find('=');
      const std::string_view key = pair.substr(0, eq);
      if (eq != std::string_view::npos && (key == "password" || key == "sslpassword")) {
        add_secret(secrets, pair.substr(eq + 1));
      }
      if (amp == std::string_view::npos) break;
      params.remove_prefix(amp + 1);
    }
  }
  return secrets;
}

std::string option(const PQconninfoOption* options, std::string_view keyword) {
  for (const PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (keyword == o->keyword && o->val != nullptr) return o->val;
  }
  return {};
}

// Longest first, so that a secret containing another is replaced whole.
void sort_secrets(std::vector<std::string>& secrets) {
  std::sort(secrets.begin(), secrets.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string redact_secrets(std::string text, const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    for (std::size_t at = text.find(secret); at != std::string::npos;
         at = text.find(secret, at + 3)) {
      text.replace(at, secret.size(), "***");
    }
  }
  return text;
}

struct ConninfoFree {
  void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};

// The URL as libpq reads it, and every form of every password in it.
struct ParsedUrl {
  std::unique_ptr<PQconninfoOption, ConninfoFree> options;
  std::vector<std::string> secrets;  // longest first
};

// libpq marks the options whose values must not be shown ("*": password,
// sslpassword): trusting its mark keeps a future secret option hidden too.
bool is_secret(const PQconninfoOption& o) {
  return o.dispchar != nullptr && std::string_view(o.dispchar) == "*";
}

// The one reading of a store URL, for connecting and for showing it: what
// libpq's own parser makes of it, after refusing what libpq would read
// differently from what the user meant.
Result<ParsedUrl> parse_url(std::string_view url) {
  std::string_view rest = url;
  if (rest.starts_with("postgresql://")) {
    rest.remove_prefix(13);
  } else if (rest.starts_with("postgres://")) {
    rest.remove_prefix(11);
  } else {
    return fail(Errc::kInvalidArgument, "not a postgresql:// or postgres:// URL");
  }
  auto secrets = url_secrets(rest);
  if (!secrets) return tl::unexpected(secrets.error());
  ParsedUrl out;
  out.secrets = std::move(*secrets);
  sort_secrets(out.secrets);

  const std::string text(url);
  char* error = nullptr;
  out.options.reset(PQconninfoParse(text.c_str(), &error));
  if (!out.options) {
    std::string why = error != nullptr ? one_line(error) : "out of memory";
    PQfreemem(error);
    return fail(Errc::kInvalidArgument,
                "invalid postgresql URL: " + redact_secrets(std::move(why), out.secrets));
  }
  for (const PQconninfoOption* o = out.options.get(); o->keyword != nullptr; ++o) {
    if (is_secret(*o) && o->val != nullptr && *o->val != '\0') out.secrets.emplace_back(o->val);
  }
  sort_secrets(out.secrets);
  return out;
}

// A host the URL's authority can hold: one name or address (a socket
// directory, or a list of hosts, goes to the query string).
bool authority_host(std::string_view host) {
  return !host.empty() && host.find_first_of("/,") == std::string_view::npos;
}

}  // namespace

Result<std::unique_ptr<Connector>> Connector::create(std::string_view url,
                                                     const PostgresOptions& options) {
  auto parsed = parse_url(url);
  if (!parsed) return tl::unexpected(parsed.error());
  std::unique_ptr<Connector> c(new Connector());
  c->secrets_ = std::move(parsed->secrets);
  const PQconninfoOption* given = parsed->options.get();
  std::string host = option(given, "host");
  if (host.empty()) host = option(given, "hostaddr");
  if (host.empty()) host = "localhost";
  std::string port = option(given, "port");
  c->target_ = host + ":" + (port.empty() ? "5432" : port);
  const std::string text(url);

  // Defaults first: the URL, expanded from "dbname", overrides them. TCP
  // keepalives notice a peer that vanished (a partitioned network) on idle
  // connections, the listening one above all, which otherwise would wait
  // for notifications that can no longer come; tcp_user_timeout does the
  // same for a connection with data in flight, which keepalives do not
  // probe. jwtguard's strings are UTF-8, whatever the database's encoding
  // (the server converts).
  const std::pair<const char*, std::string> defaults[] = {
      {"fallback_application_name", "jwtguard"},
      {"client_encoding", "UTF8"},
      {"keepalives", "1"},
      {"keepalives_idle", "30"},
      {"keepalives_interval", "10"},
      {"keepalives_count", "3"},
      {"tcp_user_timeout", "60000"},
      {"dbname", text},
  };
  for (const auto& [keyword, value] : defaults) {
    c->keywords_.emplace_back(keyword);
    c->values_.push_back(value);
  }
  c->connect_timeout_ = options.connect_timeout;
  c->statement_timeout_ = options.statement_timeout;
  return c;
}

Result<std::unique_ptr<Conn>> Connector::connect() {
  const util::RetryGate::Pass pass = gate_.admit();
  if (!pass.go) {
    return fail(Errc::kStore,
                "postgresql at " + target_ + " unreachable: " + pass.last_error + " (retrying)");
  }
  auto conn = attempt();
  if (conn) {
    gate_.succeeded(pass);
    return conn;
  }
  gate_.failed(pass, conn.error().detail());
  return fail(Errc::kStore,
              "cannot connect to postgresql at " + target_ + ": " + conn.error().detail());
}

Result<std::unique_ptr<Conn>> Connector::attempt() {
  auto conn = Conn::connect(keywords_, values_, SteadyClock::now() + connect_timeout_, target_);
  if (!conn) {
    std::string why =
        conn.error() == "timed out"
            ? "no connection within " + std::to_string(connect_timeout_.count()) + " ms"
            : conn.error();
    return fail(Errc::kStore, redact(std::move(why)));
  }
  auto setup = (*conn)->exec(kSessionSetup,
                             Params()
                                 .add(std::to_string(statement_timeout_.count()))
                                 .add(std::to_string(idle_in_transaction_timeout().count())),
                             statement_deadline());
  if (!setup) return fail(Errc::kStore, redact(setup.error().detail()));
  return std::move(*conn);
}

std::chrono::milliseconds Connector::idle_in_transaction_timeout() const {
  return statement_timeout_ + kIdleInTransactionMargin;
}

Deadline Connector::statement_deadline() const {
  if (statement_timeout_.count() <= 0) return Deadline::max();
  return SteadyClock::now() + statement_timeout_ +
         std::max(std::chrono::milliseconds(1000), connect_timeout_);
}

std::string Connector::redact(std::string text) const {
  return redact_secrets(std::move(text), secrets_);
}

std::string redact_url(std::string_view url) {
  const std::string scheme(url.starts_with("postgres://") ? "postgres://" : "postgresql://");
  auto parsed = parse_url(url);
  if (!parsed) return scheme + "(malformed, not shown)";
  const PQconninfoOption* given = parsed->options.get();
  const std::string user = option(given, "user");
  const std::string host = option(given, "host");
  const std::string port = option(given, "port");
  const std::string dbname = option(given, "dbname");
  const bool in_authority = authority_host(host);

  std::string out = scheme;
  const bool password = !option(given, "password").empty();
  if (!user.empty()) out += stores::percent_encode(user) + (password ? ":***" : "") + "@";
  if (in_authority) {
    out += host.find(':') != std::string::npos ? "[" + host + "]" : stores::percent_encode(host);
    if (!port.empty() && port.find(',') == std::string::npos) out += ":" + port;
  }
  if (!dbname.empty()) out += "/" + stores::percent_encode(dbname);
  char separator = '?';
  if (password && user.empty()) {
    out += "?password=***";
    separator = '&';
  }
  for (const PQconninfoOption* o = given; o->keyword != nullptr; ++o) {
    const std::string_view keyword = o->keyword;
    if (o->val == nullptr || keyword == "user" || keyword == "password" || keyword == "dbname") {
      continue;
    }
    if (in_authority &&
        (keyword == "host" || (keyword == "port" && port.find(',') == std::string::npos))) {
      continue;
    }
    out += separator + std::string(keyword) + "=" +
           (is_secret(*o) ? "***" : stores::percent_encode(o->val));
    separator = '&';
  }
  return out;
}

}  // namespace jwtguard::pg
