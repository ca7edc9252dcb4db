#include "http.h"

#include <optional>

namespace jwtguard::server {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char lower_ascii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Whether `text` begins with `prefix`, ignoring ASCII case.
bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && iequals_ascii(text.substr(0, prefix.size()), prefix);
}

}  // namespace

bool iequals_ascii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower_ascii(a[i]) != lower_ascii(b[i])) return false;
  }
  return true;
}

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;  // '%' needs two hex digits
      int high = hex_digit(text[i + 1]);
      int low = hex_digit(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Response json_response(const Request& request, http::status status, std::string json) {
  Response response{status, request.version()};
  response.set(http::field::content_type, "application/json");
  response.set(http::field::cache_control, "no-store");
  response.keep_alive(request.keep_alive());
  response.body() = std::move(json);
  response.prepare_payload();
  return response;
}

std::string_view header_value(const Request& request, http::field field) {
  auto it = request.find(field);
  if (it == request.end()) return {};
  return std::string_view(it->value().data(), it->value().size());
}

std::string_view header_value(const Request& request, std::string_view name) {
  auto it = request.find({name.data(), name.size()});
  if (it == request.end()) return {};
  return std::string_view(it->value().data(), it->value().size());
}

std::string_view target_path(std::string_view target) {
  // RFC 9112 §3.2.2: the absolute form ("http://host/path") is accepted too;
  // its scheme and host are case-insensitive (RFC 9110 §4.2.3), and the host
  // is not used.
  if (starts_with_nocase(target, "http://") || starts_with_nocase(target, "https://")) {
    // The authority ends at the path's '/' or at the query's '?' (a '/' in
    // the query is not the path's); an empty path is "/".
    auto end = target.find_first_of("/?", target.find("//") + 2);
    if (end == std::string_view::npos || target[end] != '/') return "/";
    target = target.substr(end);
  }
  return target.substr(0, target.find('?'));
}

std::string_view target_query(std::string_view target) {
  auto mark = target.find('?');
  return mark == std::string_view::npos ? std::string_view{} : target.substr(mark + 1);
}

std::optional<std::string> form_value(std::string_view form, std::string_view name) {
  while (!form.empty()) {
    auto amp = form.find('&');
    std::string_view pair = form.substr(0, amp);
    form = amp == std::string_view::npos ? std::string_view{} : form.substr(amp + 1);
    auto eq = pair.find('=');
    auto raw_name = percent_decode(pair.substr(0, eq), true);
    if (!raw_name || *raw_name != name) continue;
    return percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1),
                          true);
  }
  return std::nullopt;
}

bool has_media_type(const Request& request, std::string_view media_type) {
  std::string_view value = header_value(request, http::field::content_type);
  value = value.substr(0, value.find(';'));
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return iequals_ascii(value, media_type);
}

}  // namespace jwtguard::server
