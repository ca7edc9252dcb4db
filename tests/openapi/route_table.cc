// Prints `jwtguard serve`'s route table (server/routes.h), one route per
// line as "METHOD /path/{param}", for tests/openapi/routes_test.mjs to hold
// docs/openapi.yaml to: the table is what the service routes, so the
// document is checked against the table itself, never a copy of it.
#include <iostream>

#include "routes.h"

int main() {
  for (const jwtguard::server::RouteSpec& spec : jwtguard::server::route_table()) {
    std::cout << jwtguard::server::http::to_string(spec.method) << ' ' << spec.path << '\n';
  }
  return std::cout.good() ? 0 : 1;
}
