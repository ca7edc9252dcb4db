// Early return on failure, for functions that return a Result.
#ifndef JWTGUARD_UTIL_TRY_H_
#define JWTGUARD_UTIL_TRY_H_

#include <tl/expected.hpp>
#include <utility>

// Evaluates `expr` (a Result); when it holds an error, returns that error
// from the enclosing function.
#define JWTGUARD_TRY(expr)                                     \
  do {                                                         \
    if (auto try_result_ = (expr); !try_result_) {             \
      return ::tl::unexpected(std::move(try_result_).error()); \
    }                                                          \
  } while (0)

// Evaluates `expr` (a Result<T>); when it holds an error, returns that error
// from the enclosing function, else initialises `lhs` from its value:
//   JWTGUARD_ASSIGN_OR_RETURN(auto rows, db.query(...));
//   JWTGUARD_ASSIGN_OR_RETURN(const Session session, read_session(row));
// `lhs` is a declaration (it may not be a structured binding). Expands to
// two statements, so it cannot be the body of an unbraced if.
#define JWTGUARD_ASSIGN_OR_RETURN(lhs, expr) \
  JWTGUARD_ASSIGN_OR_RETURN_IMPL_(JWTGUARD_TRY_CONCAT_(assign_result_, __LINE__), lhs, expr)

#define JWTGUARD_ASSIGN_OR_RETURN_IMPL_(result, lhs, expr)         \
  auto result = (expr);                                            \
  if (!result) return ::tl::unexpected(std::move(result).error()); \
  lhs = *std::move(result)

#define JWTGUARD_TRY_CONCAT_(a, b) JWTGUARD_TRY_CONCAT_IMPL_(a, b)
#define JWTGUARD_TRY_CONCAT_IMPL_(a, b) a##b

#endif  // JWTGUARD_UTIL_TRY_H_
