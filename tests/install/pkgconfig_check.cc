// Built by tests/install/CMakeLists.txt with nothing but the compiler and
// `pkg-config --cflags --static --libs jwtguard`, against an installed
// jwtguard: proves the pc file names every header path and library a program
// needs. The steps are the smallest round trip through the library: open,
// log in, check, revoke, check again.
#include <jwtguard/guard.h>

#include <cstdio>
#include <utility>

namespace {

int fail(const char* step, const jwtguard::Error& error) {
  std::fprintf(stderr, "pkgconfig_check: %s: %s\n", step, error.message().c_str());
  return 1;
}

}  // namespace

int main() {
  const jwtguard::SystemClock clock;  // declared first: it must outlive the Guard
  auto key = jwtguard::Key::from_secret("0123456789abcdef0123456789abcdef");
  if (!key) return fail("key", key.error());
  auto store = jwtguard::open_store("memory:");
  if (!store) return fail("store", store.error());
  auto guard = jwtguard::Guard::open(*std::move(key), jwtguard::KeySet{}, *std::move(store),
                                     jwtguard::GuardOptions{}, clock);
  if (!guard) return fail("open", guard.error());

  auto pair = (*guard)->login("alice");
  if (!pair) return fail("login", pair.error());
  auto verified = (*guard)->require(pair->access.token);
  if (!verified) return fail("require", verified.error());
  if (verified->claims.sub != "alice") {
    std::fprintf(stderr, "pkgconfig_check: sub is \"%s\"\n", verified->claims.sub.c_str());
    return 1;
  }
  auto revoked = (*guard)->revoke_token(verified->claims);
  if (!revoked) return fail("revoke_token", revoked.error());

  auto refused = (*guard)->require(pair->access.token);
  if (refused || refused.error().code() != jwtguard::Errc::kRevoked) {
    std::fprintf(stderr, "pkgconfig_check: a revoked token was %s\n",
                 refused ? "accepted" : refused.error().message().c_str());
    return 1;
  }
  std::printf("pkgconfig_check: ok\n");
  return 0;
}
