// The route table (server/routes.h): its rows, the routing read from them,
// and the Service's dispatch and thread choice through them.
#include "server/routes.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <utility>

#include "server/service_fixture.h"
#include "server/service_impl.h"

namespace jwtguard::server {
namespace {

using namespace service_tests;  // NOLINT(google-build-using-namespace): the fixture's helpers

// A path the row's template matches: its parameter, if any, is "x y".
std::string concrete_path(const RouteSpec& spec) {
  std::string path(spec.path);
  auto open = path.find('{');
  if (open != std::string::npos) {
    path = path.substr(0, open) + "x%20y" + path.substr(path.find('}', open) + 1);
  }
  return path;
}

// In Beast's verb order, as an Allow header lists them.
constexpr http::verb kMethods[] = {http::verb::delete_, http::verb::get, http::verb::head,
                                   http::verb::post,    http::verb::put, http::verb::patch,
                                   http::verb::options};

TEST(RouteTableTest, EveryRouteButUnmatchedHasOneRowInEnumOrder) {
  auto table = route_table();
  ASSERT_EQ(table.size() + 1, kRouteCount);
  for (std::size_t i = 0; i < table.size(); ++i) {
    EXPECT_EQ(table[i].route, static_cast<Route>(i)) << table[i].name;
    EXPECT_EQ(route_spec(table[i].route), &table[i]) << table[i].name;
    EXPECT_EQ(route_name(table[i].route), table[i].name);
  }
  EXPECT_EQ(route_spec(Route::kUnmatched), nullptr);
  EXPECT_EQ(route_name(Route::kUnmatched), "unmatched");
}

TEST(RouteTableTest, NamesAndMethodPathPairsAreUnique) {
  std::set<std::string_view> names;
  std::set<std::pair<http::verb, std::string_view>> endpoints;
  for (const RouteSpec& spec : route_table()) {
    EXPECT_TRUE(names.insert(spec.name).second) << "two routes named " << spec.name;
    EXPECT_TRUE(endpoints.insert({spec.method, spec.path}).second) << spec.name;
    EXPECT_NE(spec.name, "unmatched");
    EXPECT_NE(spec.handler, nullptr) << spec.name;
  }
}

TEST(RouteTableTest, EachRowsMethodAndPathMatchItsRoute) {
  for (const RouteSpec& spec : route_table()) {
    RouteMatch match = match_route(spec.method, concrete_path(spec));
    EXPECT_EQ(match.route, spec.route) << spec.name;
    bool parameterised = spec.path.find('{') != std::string_view::npos;
    EXPECT_EQ(match.param, parameterised ? "x y" : "") << spec.name;
    EXPECT_FALSE(match.method_mismatch) << spec.name;
  }
}

TEST(RouteTableTest, HeadMatchesEveryGetRow) {
  for (const RouteSpec& spec : route_table()) {
    if (spec.method != http::verb::get) continue;
    EXPECT_EQ(match_route(http::verb::head, concrete_path(spec)).route, spec.route) << spec.name;
  }
}

// A method no row of the path has is 405, and Allow lists exactly the
// methods that the same path is routed for.
TEST(RouteTableTest, OtherMethodsOnARowsPathAre405WithTheAllowOfItsRows) {
  for (const RouteSpec& spec : route_table()) {
    const std::string path = concrete_path(spec);
    std::string routed;
    for (http::verb method : kMethods) {
      if (match_route(method, path).route == Route::kUnmatched) continue;
      if (!routed.empty()) routed += ", ";
      routed += http::to_string(method);
    }
    for (http::verb method : kMethods) {
      RouteMatch match = match_route(method, path);
      if (match.route != Route::kUnmatched) continue;
      EXPECT_TRUE(match.method_mismatch) << http::to_string(method) << " " << path;
      EXPECT_EQ(match.allow, routed) << http::to_string(method) << " " << path;
    }
  }
}

TEST(RouteTableTest, PathsOfNoRowAreNotFound) {
  for (std::string_view path :
       {"/nowhere", "/auth/sessions/", "/auth/sessions/a/b", "/admin/revocations/",
        "/auth/logout/x", "/healthz/", "/admin/users//disable", "/admin/users/a/b/disable",
        "/admin/users/a/disable/", "/admin/users/a/disabled"}) {
    RouteMatch match = match_route(http::verb::get, path);
    EXPECT_EQ(match.route, Route::kUnmatched) << path;
    EXPECT_FALSE(match.method_mismatch) << path;
    EXPECT_TRUE(match.allow.empty()) << path;
  }
}

// docs/service.md lists every route: "`METHOD /path" (a parameter's name in
// the doc may differ from the template's).
TEST(RouteTableTest, TheServiceDocumentationListsEveryRoute) {
  const auto path = std::filesystem::path(JWTGUARD_SOURCE_DIR) / "docs/service.md";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  std::stringstream doc;
  doc << in.rdbuf();
  const std::string text = doc.str();
  for (const RouteSpec& spec : route_table()) {
    const auto open = spec.path.find('{');
    std::string_view fixed = spec.path.substr(0, open);
    // After the parameter, the rest of the template, to the end of the path.
    std::string rest = open == std::string_view::npos
                           ? std::string()
                           : std::string(spec.path.substr(spec.path.find('}', open) + 1));
    std::string endpoint =
        "`" + std::string(http::to_string(spec.method)) + " " + std::string(fixed);
    bool found = false;
    for (auto at = text.find(endpoint); at != std::string::npos && !found;
         at = text.find(endpoint, at + 1)) {
      if (open == std::string_view::npos) {
        found = true;
        break;
      }
      auto close = text.find('}', at + endpoint.size());
      found = close != std::string::npos && text.compare(close + 1, rest.size(), rest) == 0;
    }
    EXPECT_TRUE(found) << spec.name;
  }
}

// Every row reaches its own handler: the Service answers each method and
// path of the table as the row's handler does when called directly, never
// 404 or 405, and the outcome names the row's route.
TEST_F(ServiceTest, EveryRowOfTheTableIsDispatchedToItsHandler) {
  ServiceImpl direct({*guard_, guard_->store(), metrics_, clock_}, {},
                     ErrorResponses::create({}).value(), HttpGuard::create(*guard_, {}).value(),
                     password_hash());
  for (const RouteSpec& spec : route_table()) {
    Request request = make_request(spec.method, concrete_path(spec));
    Outcome outcome;
    RouteCall call{request, "x y", kPeer, outcome};
    Response expected = spec.handler(direct, call);
    Handled handled = service_->handle(request, kPeer);
    EXPECT_EQ(status(handled.response), status(expected)) << spec.name;
    EXPECT_EQ(handled.response.body(), expected.body()) << spec.name;
    // With status lists off (this fixture) the list route's own answer is
    // 404 "Status lists are not enabled": the body, equal to the handler's,
    // and the outcome's route show that it was dispatched.
    if (spec.route != Route::kStatusList) {
      EXPECT_NE(status(handled.response), 404) << spec.name;
    }
    EXPECT_NE(status(handled.response), 405) << spec.name;
    EXPECT_EQ(handled.outcome.route, spec.route) << spec.name;
  }
}

TEST_F(ServiceTest, AMethodNoRowHasIsAnswered405WithTheRowsAllow) {
  for (const RouteSpec& spec : route_table()) {
    // A gateway's check asks with any method a client request has
    // (CookieTest.VerifyAnswersAGatewayAskingWithTheClientsMethodAndPath).
    if (spec.route == Route::kVerify) continue;
    Request request = make_request(http::verb::put, concrete_path(spec));
    Handled handled = service_->handle(request, kPeer);
    EXPECT_EQ(status(handled.response), 405) << spec.name;
    EXPECT_EQ(header(handled.response, http::field::allow), service_->route(request).allow)
        << spec.name;
    EXPECT_EQ(handled.outcome.route, Route::kUnmatched) << spec.name;
  }
}

Service::Work expected_work(RouteThread thread, bool strict) {
  switch (thread) {
    case RouteThread::kIo:
      return Service::Work::kInline;
    case RouteThread::kIoUnlessStrict:
      return strict ? Service::Work::kStore : Service::Work::kInline;
    case RouteThread::kStoreWorker:
      return Service::Work::kStore;
    case RouteThread::kHashWorker:
      return Service::Work::kPasswordHash;
  }
  return Service::Work::kStore;
}

TEST_F(ServiceTest, EachRouteRunsWhereItsRowSays) {
  for (const RouteSpec& spec : route_table()) {
    EXPECT_EQ(service_->work(spec.route), expected_work(spec.thread, false)) << spec.name;
    EXPECT_EQ(spec.queued_hashes_per_worker > 0, spec.thread == RouteThread::kHashWorker)
        << spec.name;
  }
  EXPECT_EQ(service_->work(Route::kUnmatched), Service::Work::kInline);
  GuardOptions strict = guard_options();
  strict.check_mode = GuardOptions::CheckMode::kStore;
  start({}, strict);
  for (const RouteSpec& spec : route_table()) {
    EXPECT_EQ(service_->work(spec.route), expected_work(spec.thread, true)) << spec.name;
  }
}

}  // namespace
}  // namespace jwtguard::server
