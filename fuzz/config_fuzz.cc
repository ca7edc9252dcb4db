// libFuzzer target: anything may arrive as `jwtguard serve`'s TOML file. The
// real loader (load_serve_config_text: TOML parsing, every setting's kind and
// range, [errors.<name>] tables, the cross-checks) must never crash, leak,
// hang or hit undefined behaviour, must refuse with kInvalidArgument and a
// message, and must never hand out a configuration that breaks its own
// rules. Nothing is written and no key is generated: only the text is loaded.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "server/config.h"

namespace {

using namespace jwtguard;
using namespace jwtguard::server;

// What load_serve_config_text promises of a configuration it returns.
bool keeps_its_rules(const ServeConfig& config) {
  const int key_sources = !config.secret.empty() + !config.secret_file.empty() +
                          !config.key_file.empty() + !config.jwks_file.empty();
  return key_sources <= 1 && config.token_limit <= config.header_limit && !config.store.empty() &&
         !config.data_dir.empty() && parse_listen(config.listen).has_value();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = load_serve_config_text(text, "fuzz.toml", {}, {});
  if (!config) {
    if (config.error().code() != Errc::kInvalidArgument || config.error().detail().empty()) {
      std::abort();
    }
    return 0;
  }
  if (!keeps_its_rules(*config)) std::abort();
  // The startup log line must describe whatever was accepted.
  if (describe(*config).empty()) std::abort();
  return 0;
}
