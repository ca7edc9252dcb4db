// A Beast request as jwtguard/http.h's RequestView: what the service hands
// to HttpGuard, the same code an embedding application calls.
#ifndef JWTGUARD_SERVER_REQUEST_VIEW_H_
#define JWTGUARD_SERVER_REQUEST_VIEW_H_

#include "http.h"
#include "jwtguard/http.h"

namespace jwtguard::server {

class BeastRequestView final : public RequestView {
 public:
  explicit BeastRequestView(const Request& request) : request_(request) {}

  std::string_view method() const override {
    auto method = request_.method_string();
    return {method.data(), method.size()};
  }
  void header_values(std::string_view name,
                     const std::function<void(std::string_view)>& each) const override {
    auto [first, end] = request_.equal_range({name.data(), name.size()});
    for (auto it = first; it != end; ++it) each({it->value().data(), it->value().size()});
  }
  std::optional<std::string> query_parameter(std::string_view name) const override {
    auto target = request_.target();
    return form_value(target_query({target.data(), target.size()}), name);
  }

 private:
  const Request& request_;
};

}  // namespace jwtguard::server

#endif  // JWTGUARD_SERVER_REQUEST_VIEW_H_
