// Early return on failure, for functions that return a Result.
#ifndef JWTGUARD_UTIL_TRY_H_
#define JWTGUARD_UTIL_TRY_H_

// Evaluates `expr` (a Result); when it holds an error, returns that error
// from the enclosing function.
#define JWTGUARD_TRY(expr)                                     \
  do {                                                         \
    if (auto try_result_ = (expr); !try_result_) {             \
      return ::tl::unexpected(std::move(try_result_).error()); \
    }                                                          \
  } while (0)

#endif  // JWTGUARD_UTIL_TRY_H_
