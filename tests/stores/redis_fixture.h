// What the Redis store's tests share: options that fail a test on an
// unexpected warning, a plain connection to look under the store (Peek), and
// a fixture that starts servers of the test's own.
#ifndef JWTGUARD_TESTS_STORES_REDIS_FIXTURE_H_
#define JWTGUARD_TESTS_STORES_REDIS_FIXTURE_H_

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "jwtguard/store.h"
#include "testing/fixtures.h"
#include "testing/redis_server.h"

namespace jwtguard {
namespace {

using testing::RedisServer;
using testing::RedisServerOptions;

// Fails the test on any warning: the servers here use appendfsync always.
inline RedisOptions strict_options() {
  RedisOptions options;
  options.warn = [](std::string_view message) {
    ADD_FAILURE() << "unexpected warning: " << message;
  };
  return options;
}

// For servers with weaker persistence than appendfsync always: fails the
// test on any warning but the one that says what that persistence loses.
inline RedisOptions options_allowing(std::string expected) {
  RedisOptions options;
  options.warn = [expected = std::move(expected)](std::string_view message) {
    if (message.find(expected) == std::string_view::npos) {
      ADD_FAILURE() << "unexpected warning: " << message;
    }
  };
  return options;
}

// A plain connection to a test server, to look under the store.
class Peek {
 public:
  explicit Peek(const RedisServer& server, const std::string& password = "", int db = 0) {
    context_.reset(redisConnect("127.0.0.1", server.port()));
    EXPECT_TRUE(context_ && context_->err == 0) << "cannot connect to the test's redis";
    if (!password.empty()) {
      EXPECT_EQ(run({"AUTH", password}), "OK");
    }
    if (db != 0) {
      EXPECT_EQ(run({"SELECT", std::to_string(db)}), "OK");
    }
  }

  // The reply as text: an integer in decimal, "(nil)", an error's message,
  // an array's elements joined by spaces.
  std::string run(std::vector<std::string> args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto& arg : args) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    auto* reply = static_cast<redisReply*>(redisCommandArgv(
        context_.get(), static_cast<int>(argv.size()), argv.data(), lengths.data()));
    if (reply == nullptr) return "(connection failed)";
    const std::string text = describe(*reply);
    freeReplyObject(reply);
    return text;
  }
  long long integer(std::vector<std::string> args) { return std::stoll(run(std::move(args))); }

 private:
  static std::string describe(const redisReply& r) {
    switch (r.type) {
      case REDIS_REPLY_INTEGER:
        return std::to_string(r.integer);
      case REDIS_REPLY_NIL:
        return "(nil)";
      case REDIS_REPLY_ARRAY: {
        std::string out;
        for (std::size_t i = 0; i < r.elements; ++i) {
          out += (i ? " " : "") + describe(*r.element[i]);
        }
        return out;
      }
      default:
        return std::string(r.str, r.len);
    }
  }
  struct Free {
    void operator()(redisContext* c) const { redisFree(c); }
  };
  std::unique_ptr<redisContext, Free> context_;
};

class RedisStoreTest : public ::testing::Test {
 protected:
  // A server of the test's own, in its own directory.
  RedisServer& start_server(RedisServerOptions options = {}) {
    auto started =
        RedisServer::start(dir_.path() / ("redis" + std::to_string(servers_.size())), options);
    if (!started) {
      ADD_FAILURE() << started.error();
      throw std::runtime_error("no redis-server");  // ends the test; gtest reports it
    }
    servers_.push_back(std::make_unique<RedisServer>(std::move(*started)));
    return *servers_.back();
  }

  std::unique_ptr<Store> open(const std::string& url, RedisOptions options = strict_options()) {
    auto store = open_redis_store(url, options);
    if (!store) {
      ADD_FAILURE() << store.error().message();
      throw std::runtime_error("cannot open the store");
    }
    return std::move(*store);
  }

  // The warnings a store gave while opening.
  std::vector<std::string> warnings_when_opening(const RedisServer& server) {
    std::vector<std::string> warnings;
    RedisOptions options;
    options.warn = [&](std::string_view m) { warnings.emplace_back(m); };
    auto store = open_redis_store(server.url(), options);
    EXPECT_TRUE(store.has_value()) << store.error().message();
    return warnings;
  }

  testing::ScratchDir dir_;
  std::vector<std::unique_ptr<RedisServer>> servers_;
};

}  // namespace
}  // namespace jwtguard

#endif  // JWTGUARD_TESTS_STORES_REDIS_FIXTURE_H_
