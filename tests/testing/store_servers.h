// A shared store's server, whichever it is: the integration tests and the
// benchmarks run the same scenarios against Redis and PostgreSQL.
#ifndef JWTGUARD_TESTS_TESTING_STORE_SERVERS_H_
#define JWTGUARD_TESTS_TESTING_STORE_SERVERS_H_

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "testing/serve_process.h"

namespace jwtguard::testing {

class StoreServer {
 public:
  virtual ~StoreServer() = default;
  // The store URL jwtguard is given.
  virtual std::string url() const = 0;
  // A clean stop (data kept), and a start on the same port with the same data.
  virtual Attempt<void> stop() = 0;
  virtual Attempt<void> restart() = 0;
};

// "redis" (AOF on, appendfsync always) or "postgresql", with its data in
// `dir`. Errors say why the server did not start.
Attempt<std::unique_ptr<StoreServer>> start_store_server(std::string_view kind,
                                                         const std::filesystem::path& dir);

}  // namespace jwtguard::testing

#endif  // JWTGUARD_TESTS_TESTING_STORE_SERVERS_H_
