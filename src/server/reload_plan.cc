#include "reload_plan.h"

#include <variant>

#include "issuer_settings.h"
#include "settings.h"

namespace jwtguard::server {
namespace {

bool same_value(const settings::Setting& s, const ServeConfig& a, const ServeConfig& b) {
  return std::visit([&](auto member) { return a.*member == b.*member; }, s.field);
}

// The running source of setting `key` (none when it had its default).
void keep_source(const ServeConfig& running, const std::string& key, ServeConfig& effective) {
  const auto source = running.sources.find(key);
  if (source == running.sources.end()) {
    effective.sources.erase(key);
  } else {
    effective.sources[key] = source->second;
  }
}

void keep_running(const settings::Setting& s, const ServeConfig& running, ServeConfig& effective) {
  std::visit([&](auto member) { effective.*member = running.*member; }, s.field);
  keep_source(running, s.key, effective);
}

bool same_errors(const ServeConfig& a, const ServeConfig& b) {
  if (a.errors.size() != b.errors.size()) return false;
  for (const auto& [name, override] : a.errors) {
    const auto other = b.errors.find(name);
    if (other == b.errors.end() || other->second.status != override.status ||
        other->second.body != override.body) {
      return false;
    }
  }
  return true;
}

}  // namespace

ReloadPlan plan_reload(const ServeConfig& running, const ServeConfig& next) {
  ReloadPlan plan{.effective = next, .changed = {}, .restart_needed = {}};
  for (const settings::Setting& s : settings::table()) {
    if (same_value(s, running, next)) continue;
    if (s.rules.restart) {
      plan.restart_needed.emplace_back(s.key);
      keep_running(s, running, plan.effective);
    } else {
      plan.changed.emplace_back(s.key);
    }
  }
  // A token travels in a header: a token limit raised with the (restart-
  // only) header limit waits for the restart too, or it would pass the
  // header limit in force.
  if (plan.effective.token_limit > plan.effective.header_limit) {
    std::erase(plan.changed, std::string("http.token_limit"));
    plan.restart_needed.emplace_back("http.token_limit");
    plan.effective.token_limit = running.token_limit;
    keep_source(running, "http.token_limit", plan.effective);
  }
  if (!same_errors(running, next)) plan.changed.emplace_back("errors");
  // [[issuers]] open their key sets' fetchers at start: restart-only.
  if (issuers_json(running.issuers) != issuers_json(next.issuers)) {
    plan.restart_needed.emplace_back("issuers");
    plan.effective.issuers = running.issuers;
  }
  return plan;
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out.append(out.empty() ? "" : ",").append(name);
  return out;
}

}  // namespace jwtguard::server
