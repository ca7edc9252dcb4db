// GET /statuslists/{id}: the published lists as verifiers fetch them, and
// the service's refusal to start status lists with a shared secret.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "jwtguard/jose.h"
#include "jwtguard/status_list.h"
#include "server/app.h"
#include "server/service_fixture.h"
#include "testing/status_store.h"

namespace jwtguard::server {
namespace {

using namespace service_tests;  // NOLINT: the handler tests' helpers

using Json = nlohmann::json;
constexpr Algorithm kAlg = Algorithm::kES256;

class StatusListHttpTest : public ::testing::Test {
 protected:
  void SetUp() override { start(true); }

  void start(bool enabled) {
    service_.reset();
    guard_.reset();
    GuardOptions options;
    options.issuer.algorithm = kAlg;
    options.verify.algorithms = {kAlg};
    options.background = false;
    options.status_list.enabled = enabled;
    options.status_list.base_url = "https://auth.example.com";
    options.status_list.list_size = 16;
    auto opened = Guard::open(jwtguard::testing::private_key_for(kAlg), KeySet(),
                              std::make_unique<jwtguard::testing::StatusStore>(*memory_, lists_),
                              std::move(options), clock_);
    ASSERT_OK(opened);
    guard_ = std::move(*opened);
    ServiceOptions service_options;
    service_options.status_list_ttl = std::chrono::seconds(120);
    auto created = Service::create(Service::Parts{*guard_, guard_->store(), metrics_, clock_},
                                   std::move(service_options));
    ASSERT_OK(created);
    service_ = std::move(*created);
  }

  Response get(std::string_view target, const Fields& fields = {}) {
    return service_->handle(make_request(http::verb::get, target, fields), kPeer).response;
  }

  jwtguard::testing::FakeClock clock_;
  std::unique_ptr<Store> memory_ = open_memory_store();
  std::shared_ptr<jwtguard::testing::StatusStore::Lists> lists_ =
      std::make_shared<jwtguard::testing::StatusStore::Lists>();
  Metrics metrics_;
  std::unique_ptr<Guard> guard_;
  std::unique_ptr<Service> service_;
};

TEST_F(StatusListHttpTest, AnswersTheSignedListAnonymously) {
  auto pair = guard_->login("alice");
  ASSERT_OK(pair);
  ASSERT_OK(guard_->revoke_jti(pair->refresh.jti));
  const Response response = get("/statuslists/1");  // no Authorization header
  ASSERT_EQ(response.result(), http::status::ok) << response.body();
  EXPECT_EQ(response[http::field::content_type], "application/statuslist+jwt");
  EXPECT_EQ(response[http::field::cache_control], "max-age=120");
  auto verified = verify_jws(response.body(), KeySet(jwtguard::testing::public_key_for(kAlg)), {});
  ASSERT_OK(verified);
  const Json claims = Json::parse(verified->payload);
  EXPECT_EQ(claims["sub"], "https://auth.example.com/statuslists/1");
  auto list = parse_status_list_claim(claims["status_list"].dump());
  ASSERT_OK(list);
  const Json refresh = Json::parse(decode_jws(pair->refresh.token)->payload);
  const Json access = Json::parse(decode_jws(pair->access.token)->payload);
  EXPECT_EQ(list->get(refresh["status"]["status_list"]["idx"].get<std::size_t>()).value(), 1);
  EXPECT_EQ(list->get(access["status"]["status_list"]["idx"].get<std::size_t>()).value(), 0);
  // HEAD: the same head, by the route table.
  auto head = service_->handle(make_request(http::verb::head, "/statuslists/1"), kPeer).response;
  EXPECT_EQ(head.result(), http::status::ok);
  EXPECT_EQ(head[http::field::content_type], "application/statuslist+jwt");
}

TEST_F(StatusListHttpTest, AcceptChoosesTheJsonFormOnlyWhenItComesFirst) {
  ASSERT_OK(guard_->login("alice"));
  const Response json = get("/statuslists/1", {{"Accept", "application/statuslist+json"}});
  ASSERT_EQ(json.result(), http::status::ok);
  EXPECT_EQ(json[http::field::content_type], "application/statuslist+json");
  EXPECT_EQ(json[http::field::cache_control], "max-age=120");
  auto list = parse_status_list_claim(std::string(json.body()));
  ASSERT_OK(list);
  EXPECT_EQ(list->size(), 16u);
  const Response jwt_first =
      get("/statuslists/1",
          {{"Accept", "application/statuslist+jwt;q=0.5, application/statuslist+json"}});
  EXPECT_EQ(jwt_first[http::field::content_type], "application/statuslist+jwt");
  const Response json_first =
      get("/statuslists/1", {{"Accept",
                              "text/html, application/statuslist+json; q=0.9, "
                              "application/statuslist+jwt"}});
  EXPECT_EQ(json_first[http::field::content_type], "application/statuslist+json");
  const Response other = get("/statuslists/1", {{"Accept", "application/json"}});
  EXPECT_EQ(other[http::field::content_type], "application/statuslist+jwt");
}

TEST_F(StatusListHttpTest, IdsThatNameNoListAreNotFound) {
  ASSERT_OK(guard_->login("alice"));
  for (std::string_view target :
       {"/statuslists/0", "/statuslists/01", "/statuslists/-1", "/statuslists/+1",
        "/statuslists/1x", "/statuslists/99999999999999999999", "/statuslists/18446744073709551616",
        "/statuslists/2", "/statuslists/1/x", "/statuslists/", "/statuslists"}) {
    const Response response = get(target);
    EXPECT_EQ(response.result(), http::status::not_found) << target;
    EXPECT_NE(response[http::field::content_type].find("application/json"), std::string::npos)
        << target;
  }
  const Response unknown = get("/statuslists/2");
  EXPECT_EQ(Json::parse(unknown.body())["msg"], "No such status list");
  // The largest id parses, and names no list.
  EXPECT_EQ(get("/statuslists/18446744073709551615").result(), http::status::not_found);
}

TEST_F(StatusListHttpTest, ListsOffAreNotFound) {
  start(false);
  ASSERT_OK(guard_->login("alice"));
  const Response response = get("/statuslists/1");
  EXPECT_EQ(response.result(), http::status::not_found);
  EXPECT_EQ(Json::parse(response.body())["msg"], "Status lists are not enabled");
}

TEST_F(StatusListHttpTest, AStoreFailureIs503OnlyWithNothingKept) {
  ASSERT_OK(guard_->login("alice"));
  lists_->fail_find = true;
  EXPECT_EQ(get("/statuslists/1").result(), http::status::service_unavailable);
  lists_->fail_find = false;
  const Response kept = get("/statuslists/1");
  ASSERT_EQ(kept.result(), http::status::ok);
  lists_->fail_find = true;
  clock_.advance(std::chrono::hours(24));
  const Response served = get("/statuslists/1");
  EXPECT_EQ(served.result(), http::status::ok);
  EXPECT_EQ(served.body(), kept.body());
}

TEST_F(StatusListHttpTest, MetricsCountBuildsAndAllocations) {
  ASSERT_OK(guard_->login("alice"));
  ASSERT_EQ(get("/statuslists/1").result(), http::status::ok);
  lists_->fail_allocate = true;
  EXPECT_FALSE(guard_->login("bob").has_value());
  const std::string text = get("/metrics").body();
  EXPECT_NE(text.find("jwtguard_status_list_builds_total 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("jwtguard_status_allocations_total 2\n"), std::string::npos);
  EXPECT_NE(text.find("jwtguard_status_allocation_failures_total 1\n"), std::string::npos);
}

TEST(StatusListStartTest, ASharedSecretIsRefusedWithWhatToConfigure) {
  ServeConfig config;
  config.dev = false;
  config.secret = std::string(kSecret);
  config.store = "memory:";
  config.listen = "127.0.0.1:0";
  config.log_level = "off";
  config.status_list_enabled = true;
  config.status_list_base_url = "https://auth.example.com";
  auto app = App::start(config);
  ASSERT_FALSE(app.has_value());
  const std::string detail = app.error().detail();
  EXPECT_NE(detail.find("status lists need an asymmetric signing key (RS*, PS*, ES* or EdDSA)"),
            std::string::npos)
      << detail;
  EXPECT_NE(detail.find("keys.key_file"), std::string::npos) << detail;
}

TEST(StatusListStartTest, SettingsAreCheckedWhereTheyAreGiven) {
  auto bits = load_serve_config("", {{"JWTGUARD_STATUS_LIST_BITS", "4"}}, {});
  ASSERT_FALSE(bits.has_value());
  EXPECT_NE(bits.error().detail().find("JWTGUARD_STATUS_LIST_BITS"), std::string::npos)
      << bits.error().detail();
  auto size = load_serve_config("", {}, {{"status_list.list_size", "0"}});
  EXPECT_FALSE(size.has_value());
  auto interval = load_serve_config("", {}, {{"status_list.publish_interval", "0s"}});
  EXPECT_FALSE(interval.has_value());
  auto good = load_serve_config("",
                                {{"JWTGUARD_STATUS_LIST_ENABLED", "true"},
                                 {"JWTGUARD_STATUS_LIST_BASE_URL", "https://auth.example.com"}},
                                {{"status_list.bits", "2"}, {"status_list.ttl", "10m"}});
  ASSERT_OK(good);
  EXPECT_TRUE(good->status_list_enabled);
  EXPECT_EQ(good->status_list_bits, 2u);
  EXPECT_EQ(good->status_list_ttl, std::chrono::minutes(10));
}

}  // namespace
}  // namespace jwtguard::server
