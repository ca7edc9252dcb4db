// A RequestView over plain containers, for the tests of jwtguard/http.h:
// header fields as a server would hand them over (several lines of one name
// kept in order, names compared case-insensitively), and query parameters
// already decoded.
#ifndef JWTGUARD_TESTS_HTTP_FAKE_REQUEST_H_
#define JWTGUARD_TESTS_HTTP_FAKE_REQUEST_H_

#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <utility>

#include "jwtguard/http.h"

namespace jwtguard::testing {

struct CaseInsensitiveLess {
  bool operator()(const std::string& a, const std::string& b) const {
    return std::lexicographical_compare(
        a.begin(), a.end(), b.begin(), b.end(),
        [](unsigned char x, unsigned char y) { return std::tolower(x) < std::tolower(y); });
  }
};

class FakeRequest final : public RequestView {
 public:
  explicit FakeRequest(std::string method = "GET") : method_(std::move(method)) {}

  FakeRequest& header(std::string name, std::string value) {
    headers_.emplace(std::move(name), std::move(value));
    return *this;
  }
  FakeRequest& bearer(const std::string& token) {
    return header("Authorization", "Bearer " + token);
  }
  FakeRequest& cookie(const std::string& name, const std::string& value) {
    return header("Cookie", name + "=" + value);
  }
  FakeRequest& query(std::string name, std::string value) {
    query_.emplace(std::move(name), std::move(value));
    return *this;
  }

  std::string_view method() const override { return method_; }
  void header_values(std::string_view name,
                     const std::function<void(std::string_view)>& each) const override {
    auto [begin, end] = headers_.equal_range(std::string(name));
    for (auto it = begin; it != end; ++it) each(it->second);
  }
  std::optional<std::string> query_parameter(std::string_view name) const override {
    auto it = query_.find(std::string(name));
    if (it == query_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::string method_;
  std::multimap<std::string, std::string, CaseInsensitiveLess> headers_;
  std::multimap<std::string, std::string> query_;
};

}  // namespace jwtguard::testing

#endif  // JWTGUARD_TESTS_HTTP_FAKE_REQUEST_H_
