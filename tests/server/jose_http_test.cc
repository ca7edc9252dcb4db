// What the JOSE layer answers over HTTP: segments that are not JSON, and the
// decision to accept both (r, s) and (r, n - s) ECDSA signatures.
#include <openssl/bn.h>

#include <fstream>
#include <memory>
#include <string>

#include "jose/base64url.h"
#include "server/http_fixture.h"

namespace jwtguard::server::http_tests {
namespace {

TEST_F(HttpTest, SegmentsThatAreNotJsonAreNamedAsSuch) {
  HttpClient client(port());
  // "abc" is valid base64url, but of bytes (69 b7) that are not text.
  Reply reply = client.get("/auth/verify", bearer("abc.def.ghi"));
  EXPECT_EQ(reply.status, 422) << reply.body;
  EXPECT_EQ(reply.msg(),
            "Invalid JSON: header is not JSON: it decodes to bytes that are not UTF-8 text");
  // Text, but not JSON.
  const std::string text = base64url::encode("hello") + ".e30.c2ln";
  reply = client.get("/auth/verify", bearer(text));
  EXPECT_EQ(reply.status, 422) << reply.body;
  EXPECT_EQ(reply.msg().rfind("Invalid JSON: header is not valid JSON (", 0), 0u) << reply.msg();
  // JSON, but not an object.
  const std::string array = base64url::encode("[1]") + ".e30.c2ln";
  reply = client.get("/auth/verify", bearer(array));
  EXPECT_EQ(reply.status, 422) << reply.body;
  EXPECT_EQ(reply.msg(), "JSON value is not an object: header is JSON but not an object");
}

// The order n of P-256's base point.
constexpr char kP256Order[] = "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551";

// `token` (ES256) with its signature (r, s) replaced by (r, n - s): the same
// signature of the same bytes, the other way round.
std::string other_s(const std::string& token) {
  const auto dot = token.rfind('.');
  auto sig = base64url::decode(std::string_view(token).substr(dot + 1));
  EXPECT_TRUE(sig.has_value());
  if (!sig || sig->size() != 64) return {};
  std::unique_ptr<BIGNUM, decltype(&BN_free)> n(nullptr, BN_free), s(nullptr, BN_free);
  BIGNUM* parsed = nullptr;
  BN_hex2bn(&parsed, kP256Order);
  n.reset(parsed);
  s.reset(BN_bin2bn(reinterpret_cast<const unsigned char*>(sig->data()) + 32, 32, nullptr));
  EXPECT_EQ(BN_sub(s.get(), n.get(), s.get()), 1);
  unsigned char flipped[32];
  EXPECT_EQ(BN_bn2binpad(s.get(), flipped, 32), 32);
  sig->replace(32, 32, reinterpret_cast<const char*>(flipped), 32);
  return token.substr(0, dot + 1) + base64url::encode(*sig);
}

class Es256Test : public HttpTest {
 protected:
  void configure(ServeConfig& config) override {
    const auto path = dir_.path() / "es256.pem";
    std::ofstream(path) << testing::key_pem(testing::private_key_for(Algorithm::kES256), false);
    config.secret.clear();
    config.algorithm = "ES256";
    config.key_file = path.string();
  }
};

// ECDSA signatures are malleable: (r, n - s) verifies wherever (r, s) does.
// jwtguard accepts both (as RFC 7518 does not ask otherwise) because it never
// uses a signature as an identifier: revocation is by jti, which both
// variants carry.
TEST_F(Es256Test, TheOtherSOfASignatureVerifiesAndIsRevokedByTheSameJti) {
  HttpClient client(port());
  const Tokens tokens = register_and_login(client, "alice");
  const std::string variant = other_s(tokens.access);
  ASSERT_FALSE(variant.empty());
  ASSERT_NE(variant, tokens.access);
  // One of s and n - s is above n / 2 (high S): both verify.
  for (const std::string* token : {&tokens.access, &variant}) {
    Reply verified = client.get("/auth/verify", bearer(*token));
    EXPECT_EQ(verified.status, 200) << verified.body;
  }

  // Revoking the original token's jti, and nothing else, refuses the variant
  // too.
  const std::string payload_b64 = tokens.access.substr(
      tokens.access.find('.') + 1, tokens.access.rfind('.') - tokens.access.find('.') - 1);
  const json claims = json::parse(base64url::decode(payload_b64).value());
  Reply revoked = client.post_json(
      "/admin/revocations", {{"jti", claims["jti"]}, {"reason", "test"}}, bearer(admin_token()));
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  Reply refused = client.get("/auth/verify", bearer(variant));
  EXPECT_EQ(refused.status, 401) << refused.body;
  EXPECT_EQ(refused.msg(), "Token has been revoked");
}

}  // namespace
}  // namespace jwtguard::server::http_tests
