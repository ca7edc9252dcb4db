// Runs a program and captures what it prints, for tests of the command line
// and of servers started by tests.
#ifndef JWTGUARD_TESTS_TESTING_SUBPROCESS_H_
#define JWTGUARD_TESTS_TESTING_SUBPROCESS_H_

#include <string>
#include <vector>

namespace jwtguard::testing {

struct RunResult {
  int exit_code = -1;  // -1 when killed by a signal or not started
  std::string out;
  std::string err;
};

// Runs argv[0] (a path, or a name looked up on PATH) with `input` on its
// standard input, and waits for it. Extra environment entries ("K=V") are
// added to the current environment.
RunResult run(const std::vector<std::string>& argv, const std::string& input = {},
              const std::vector<std::string>& extra_env = {});

}  // namespace jwtguard::testing

#endif  // JWTGUARD_TESTS_TESTING_SUBPROCESS_H_
