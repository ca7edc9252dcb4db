#include "testing/store_servers.h"

#include "testing/postgres_server.h"
#include "testing/redis_server.h"

namespace jwtguard::testing {
namespace {

class Redis : public StoreServer {
 public:
  explicit Redis(RedisServer server) : server_(std::move(server)) {}
  std::string url() const override { return server_.url(); }
  Attempt<void> stop() override { return server_.stop(); }
  Attempt<void> restart() override { return server_.restart(); }

 private:
  RedisServer server_;
};

class Postgres : public StoreServer {
 public:
  Postgres(PostgresServer server, std::string url)
      : server_(std::move(server)), url_(std::move(url)) {}
  std::string url() const override { return url_; }
  Attempt<void> stop() override { return server_.stop(); }
  Attempt<void> restart() override { return server_.restart(); }

 private:
  PostgresServer server_;
  std::string url_;
};

}  // namespace

Attempt<std::unique_ptr<StoreServer>> start_store_server(std::string_view kind,
                                                         const std::filesystem::path& dir) {
  if (kind == "redis") {
    auto server = RedisServer::start(dir / "redis");
    if (!server) return failed("redis-server: " + server.error());
    return std::unique_ptr<StoreServer>(new Redis(std::move(*server)));
  }
  if (kind == "postgresql") {
    auto server = PostgresServer::start(dir / "postgres");
    if (!server) return failed("postgresql: " + server.error());
    auto url = server->create_database("jwtguard");
    if (!url) return failed("postgresql: " + url.error());
    return std::unique_ptr<StoreServer>(new Postgres(std::move(*server), std::move(*url)));
  }
  return failed("unknown store server " + std::string(kind));
}

}  // namespace jwtguard::testing
