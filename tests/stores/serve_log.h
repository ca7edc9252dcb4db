// `jwtguard serve` started on a store URL, for tests of what it logs about
// the store: whether it starts or fails, its whole log comes back.
#ifndef JWTGUARD_TESTS_STORES_SERVE_LOG_H_
#define JWTGUARD_TESTS_STORES_SERVE_LOG_H_

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "testing/serve_process.h"

namespace jwtguard::testing {

// Starts `jwtguard serve --store URL` (an HS256 secret from the environment)
// and returns everything it wrote: up to its SIGTERM exit when it listened,
// else up to its failed start (the log is in the error then).
inline std::string serve_log(const std::filesystem::path& dir, const std::string& url) {
  auto serve = ServeProcess::start({.binary = JWTGUARD_BINARY,
                                    .store = url,
                                    .env = {"JWTGUARD_SECRET=" + std::string(64, 'a')},
                                    .dir = dir});
  if (!serve) return serve.error();
  auto stopped = serve->terminate();
  EXPECT_TRUE(stopped.has_value()) << stopped.error();
  return serve->log();
}

// Every word of `words` absent from `text`.
inline void expect_none_of(const std::vector<std::string>& words, const std::string& text,
                           const std::string& context) {
  for (const std::string& word : words) {
    EXPECT_EQ(text.find(word), std::string::npos)
        << "\"" << word << "\" shown for " << context << ":\n"
        << text;
  }
}

}  // namespace jwtguard::testing

#endif  // JWTGUARD_TESTS_STORES_SERVE_LOG_H_
