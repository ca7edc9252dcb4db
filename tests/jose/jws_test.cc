#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "jose/base64url.h"
#include "jwtguard/jose.h"
#include "jwtguard/verifier.h"
#include "testing/fixtures.h"
#include "testing/rfc_vectors.h"

namespace jwtguard {
namespace {

using testing::other_key_for;
using testing::private_key_for;
using testing::public_key_for;

std::string b64(std::string_view s) { return base64url::encode(s); }

Key jwk(const char* json) {
  auto key = Key::from_jwk(json);
  EXPECT_TRUE(key) << key.error().message();
  return *key;
}

std::string signing_input_of(std::string_view token) {
  return std::string(token.substr(0, token.rfind('.')));
}

// --- Known answers ------------------------------------------------------------

TEST(JwsKnownAnswer, Rfc7515A1Hs256VerifiesAndSignsIdentically) {
  const Key key = jwk(testing::rfc::kA1Jwk);
  auto verified = verify_jws(testing::rfc::kA1Jws, KeySet(key), {});
  ASSERT_OK(verified);
  EXPECT_EQ(verified->header->alg, Algorithm::kHS256);
  EXPECT_EQ(verified->header->typ, "JWT");
  EXPECT_NE(verified->payload.find("\"iss\":\"joe\""), std::string::npos);
  const std::string token = testing::rfc::kA1Jws;
  EXPECT_EQ(*jws_signature(key, Algorithm::kHS256, signing_input_of(token)),
            token.substr(token.rfind('.') + 1));
}

TEST(JwsKnownAnswer, Rfc7515A2Rs256VerifiesAndSignsIdentically) {
  const Key key = jwk(testing::rfc::kA2Jwk);
  ASSERT_OK(verify_jws(testing::rfc::kA2Jws, KeySet(key), {}));
  const std::string token = testing::rfc::kA2Jws;
  EXPECT_EQ(*jws_signature(key, Algorithm::kRS256, signing_input_of(token)),
            token.substr(token.rfind('.') + 1));
}

TEST(JwsKnownAnswer, Rfc7515A3Es256Verifies) {
  ASSERT_OK(verify_jws(testing::rfc::kA3Jws, KeySet(jwk(testing::rfc::kA3Jwk)), {}));
}

TEST(JwsKnownAnswer, Rfc7515A4Es512Verifies) {
  auto verified = verify_jws(testing::rfc::kA4Jws, KeySet(jwk(testing::rfc::kA4Jwk)), {});
  ASSERT_OK(verified);
  EXPECT_EQ(verified->payload, "Payload");
}

TEST(JwsKnownAnswer, Rfc8037A4Ed25519VerifiesAndSignsIdentically) {
  const Key key = jwk(testing::rfc::kEd25519Jwk);
  auto verified = verify_jws(testing::rfc::kEd25519Jws, KeySet(key), {});
  ASSERT_OK(verified);
  EXPECT_EQ(verified->payload, "Example of Ed25519 signing");
  const std::string token = testing::rfc::kEd25519Jws;
  EXPECT_EQ(*jws_signature(key, Algorithm::kEdDSA, signing_input_of(token)),
            token.substr(token.rfind('.') + 1));
}

TEST(JwsKnownAnswer, Es256SignatureWithATamperedPayloadFails) {
  std::string token = testing::rfc::kA3Jws;
  token[token.find('.') + 5] ^= 1;
  EXPECT_FALSE(verify_jws(token, KeySet(jwk(testing::rfc::kA3Jwk)), {}));
}

// --- Every algorithm ----------------------------------------------------------

class EveryAlgorithm : public ::testing::TestWithParam<Algorithm> {};

INSTANTIATE_TEST_SUITE_P(Jws, EveryAlgorithm,
                         ::testing::ValuesIn(all_algorithms().begin(), all_algorithms().end()),
                         testing::algorithm_test_name);

TEST_P(EveryAlgorithm, RoundTrips) {
  const Algorithm alg = GetParam();
  auto token = sign_jws(private_key_for(alg), alg, R"({"sub":"alice"})");
  ASSERT_OK(token);
  auto verified = verify_jws(*token, KeySet(public_key_for(alg)), {});
  ASSERT_OK(verified);
  EXPECT_EQ(verified->payload, R"({"sub":"alice"})");
  EXPECT_EQ(verified->header->alg, alg);
}

TEST_P(EveryAlgorithm, EverySignatureBitFlipFails) {
  const Algorithm alg = GetParam();
  const std::string token = *sign_jws(private_key_for(alg), alg, R"({"sub":"alice"})");
  const std::string prefix = token.substr(0, token.rfind('.') + 1);
  const std::string signature = *base64url::decode(token.substr(prefix.size()));
  const KeySet keys(public_key_for(alg));
  for (std::size_t bit = 0; bit < signature.size() * 8; ++bit) {
    const std::string flipped = prefix + b64(testing::flip_bit(signature, bit));
    auto verified = verify_jws(flipped, keys, {});
    ASSERT_FALSE(verified) << "bit " << bit << " of " << signature.size() * 8;
    const Errc code = verified.error().code();
    ASSERT_TRUE(code == Errc::kBadSignature || code == Errc::kBadSignatureEncoding)
        << verified.error().message();
  }
}

TEST_P(EveryAlgorithm, PayloadBitFlipFails) {
  const Algorithm alg = GetParam();
  const std::string token = *sign_jws(private_key_for(alg), alg, R"({"sub":"alice"})");
  const auto dot = token.find('.');
  std::string tampered = token;
  tampered[dot + 2] = tampered[dot + 2] == 'A' ? 'B' : 'A';
  EXPECT_ERRC(verify_jws(tampered, KeySet(public_key_for(alg)), {}), Errc::kBadSignature);
}

TEST_P(EveryAlgorithm, WrongKeyOfTheSameKindFails) {
  const Algorithm alg = GetParam();
  const std::string token = *sign_jws(private_key_for(alg), alg, "{}");
  EXPECT_ERRC(verify_jws(token, KeySet(other_key_for(alg)), {}), Errc::kBadSignature);
}

TEST_P(EveryAlgorithm, KeyOfAnotherTypeNeverVerifies) {
  const Algorithm alg = GetParam();
  const std::string token = *sign_jws(private_key_for(alg), alg, "{}");
  for (Algorithm other : all_algorithms()) {
    const Key& key = public_key_for(other);
    if (key.allows(alg)) continue;
    EXPECT_ERRC(verify_jws(token, KeySet(key), {}), Errc::kAlgNotAllowed);
    // Even when the caller's allowlist names the algorithm, the key refuses it.
    EXPECT_ERRC(verify_jws(token, KeySet(key), {.algorithms = {alg}}), Errc::kNoKeyForAlg);
  }
}

TEST_P(EveryAlgorithm, PublicKeyCannotSign) {
  const Algorithm alg = GetParam();
  if (algorithm_family(alg) == AlgorithmFamily::kHmac) {
    EXPECT_TRUE(public_key_for(alg).is_private());  // a shared secret has no public half
    return;
  }
  EXPECT_ERRC(sign_jws(public_key_for(alg), alg, "{}"), Errc::kKeyNotPrivate);
}

// --- The RSA public key as an HMAC secret (the classic confusion attack) -----

TEST(JwsSafety, RsaPublicKeyNeverVerifiesHs256) {
  const Key& rsa = public_key_for(Algorithm::kRS256);
  // The attacker signs HS256 with the bytes of the server's public key PEM.
  const Key forged_secret = *Key::from_secret(testing::key_pem(rsa, true));
  const std::string token = *sign_jws(forged_secret, Algorithm::kHS256, "{}");
  EXPECT_ERRC(verify_jws(token, KeySet(rsa), {}), Errc::kAlgNotAllowed);
  EXPECT_ERRC(verify_jws(token, KeySet(rsa), {.algorithms = {Algorithm::kHS256}}),
              Errc::kNoKeyForAlg);
}

TEST(JwsSafety, AllowlistIsEnforced) {
  const Key& key = private_key_for(Algorithm::kHS256);
  const std::string token = *sign_jws(key, Algorithm::kHS384, "{}");
  EXPECT_OK(verify_jws(token, KeySet(key), {}));
  EXPECT_ERRC(verify_jws(token, KeySet(key), {.algorithms = {Algorithm::kHS256}}),
              Errc::kAlgNotAllowed);
}

TEST(JwsSafety, JwkAlgBindsTheKeyToOneAlgorithm) {
  auto key =
      Key::from_jwk(R"({"kty":"oct","alg":"HS256","k":")" + b64(std::string(64, 'x')) + R"("})");
  ASSERT_OK(key);
  EXPECT_TRUE(key->allows(Algorithm::kHS256));
  EXPECT_FALSE(key->allows(Algorithm::kHS512));
  const Key unbound = *Key::from_secret(std::string(64, 'x'));
  const std::string token = *sign_jws(unbound, Algorithm::kHS512, "{}");
  EXPECT_ERRC(verify_jws(token, KeySet(*key), {}), Errc::kAlgNotAllowed);
}

TEST(JwsSafety, AlgNoneIsRefusedInEverySpelling) {
  const KeySet keys(private_key_for(Algorithm::kHS256));
  for (const char* spelling : {"none", "None", "NONE", "nOnE", "noNe"}) {
    const std::string header = std::string(R"({"alg":")") + spelling + R"("})";
    for (const std::string& signature : {std::string(), b64("x")}) {
      const std::string token = b64(header) + "." + b64("{}") + "." + signature;
      EXPECT_ERRC(verify_jws(token, keys, {}), Errc::kAlgNone);
    }
  }
}

TEST(JwsSafety, UnknownAndMissingAlgAreRefused) {
  const KeySet keys(private_key_for(Algorithm::kHS256));
  const std::string sig = "." + b64("sig");
  EXPECT_ERRC(verify_jws(b64(R"({"alg":"HS1"})") + "." + b64("{}") + sig, keys, {}),
              Errc::kUnsupportedAlg);
  EXPECT_ERRC(verify_jws(b64(R"({"alg":"hs256"})") + "." + b64("{}") + sig, keys, {}),
              Errc::kUnsupportedAlg);
  EXPECT_ERRC(verify_jws(b64(R"({"typ":"JWT"})") + "." + b64("{}") + sig, keys, {}),
              Errc::kMissingAlg);
  EXPECT_ERRC(verify_jws(b64(R"({"alg":256})") + "." + b64("{}") + sig, keys, {}),
              Errc::kBadHeader);
}

std::string sign_with_header(const Key& key, Algorithm alg, std::string_view header) {
  const std::string input = b64(header) + "." + b64("{}");
  return input + "." + *jws_signature(key, alg, input);
}

TEST(JwsSafety, CritNamingAnythingNotUnderstoodIsRefused) {
  const Key& key = private_key_for(Algorithm::kHS256);
  const KeySet keys(key);
  EXPECT_ERRC(verify_jws(sign_with_header(key, Algorithm::kHS256,
                                          R"({"alg":"HS256","crit":["exp"],"exp":1})"),
                         keys, {}),
              Errc::kUnsupportedCrit);
  EXPECT_ERRC(verify_jws(sign_with_header(key, Algorithm::kHS256, R"({"alg":"HS256","crit":[]})"),
                         keys, {}),
              Errc::kUnsupportedCrit);
  EXPECT_ERRC(
      verify_jws(sign_with_header(key, Algorithm::kHS256, R"({"alg":"HS256","crit":"b64"})"), keys,
                 {}),
      Errc::kUnsupportedCrit);
  const std::string understood =
      sign_with_header(key, Algorithm::kHS256, R"({"alg":"HS256","crit":["x-app"],"x-app":1})");
  EXPECT_ERRC(verify_jws(understood, keys, {}), Errc::kUnsupportedCrit);
  EXPECT_OK(verify_jws(understood, keys, {.understood_crit = {"x-app"}}));
}

TEST(JwsSafety, DuplicateHeaderMembersAreRefused) {
  const Key& key = private_key_for(Algorithm::kHS256);
  EXPECT_ERRC(
      verify_jws(sign_with_header(key, Algorithm::kHS256, R"({"alg":"HS256","alg":"HS256"})"),
                 KeySet(key), {}),
      Errc::kDuplicateMember);
}

TEST(JwsSafety, EcdsaSignatureMustBeRawOfTheCurveSize) {
  for (Algorithm alg : {Algorithm::kES256, Algorithm::kES384, Algorithm::kES512}) {
    const std::string token = *sign_jws(private_key_for(alg), alg, "{}");
    const std::string prefix = token.substr(0, token.rfind('.') + 1);
    const std::string raw = *base64url::decode(token.substr(prefix.size()));
    const KeySet keys(public_key_for(alg));
    EXPECT_ERRC(verify_jws(prefix + b64(raw.substr(1)), keys, {}), Errc::kBadSignatureEncoding);
    EXPECT_ERRC(verify_jws(prefix + b64(raw + '\0'), keys, {}), Errc::kBadSignatureEncoding);
    const std::size_t half = raw.size() / 2;
    const std::string zero(half, '\0');
    EXPECT_ERRC(verify_jws(prefix + b64(zero + raw.substr(half)), keys, {}),
                Errc::kBadSignatureEncoding);
    EXPECT_ERRC(verify_jws(prefix + b64(raw.substr(0, half) + zero), keys, {}),
                Errc::kBadSignatureEncoding);
  }
}

TEST(JwsSafety, EcdsaDerSignatureIsRefused) {
  // A DER ECDSA-Sig-Value (what OpenSSL and many libraries produce natively)
  // is not a JWS signature, even when it encodes a valid (r, s).
  const Algorithm alg = Algorithm::kES256;
  const std::string token = *sign_jws(private_key_for(alg), alg, "{}");
  const std::string prefix = token.substr(0, token.rfind('.') + 1);
  const std::string raw = *base64url::decode(token.substr(prefix.size()));
  auto der_int = [](std::string v) {
    while (v.size() > 1 && v[0] == '\0') v.erase(0, 1);
    if (static_cast<unsigned char>(v[0]) & 0x80) v.insert(0, 1, '\0');
    return std::string("\x02", 1) + static_cast<char>(v.size()) + v;
  };
  const std::string body = der_int(raw.substr(0, 32)) + der_int(raw.substr(32));
  const std::string der = std::string("\x30", 1) + static_cast<char>(body.size()) + body;
  EXPECT_ERRC(verify_jws(prefix + b64(der), KeySet(public_key_for(alg)), {}),
              Errc::kBadSignatureEncoding);
}

TEST(JwsSafety, HmacSecretShorterThanTheHashCannotSign) {
  const Key short_key = *Key::from_secret(std::string(31, 's'));
  EXPECT_ERRC(sign_jws(short_key, Algorithm::kHS256, "{}"), Errc::kWeakKey);
  const Key key_32 = *Key::from_secret(std::string(32, 's'));
  EXPECT_OK(sign_jws(key_32, Algorithm::kHS256, "{}"));
  EXPECT_ERRC(sign_jws(key_32, Algorithm::kHS384, "{}"), Errc::kWeakKey);
}

TEST(JwsSafety, HmacOfTheWrongLengthIsRefused) {
  const Key& key = private_key_for(Algorithm::kHS256);
  const std::string token = *sign_jws(key, Algorithm::kHS256, "{}");
  const std::string prefix = token.substr(0, token.rfind('.') + 1);
  const std::string mac = *base64url::decode(token.substr(prefix.size()));
  EXPECT_ERRC(verify_jws(prefix + b64(mac.substr(0, 16)), KeySet(key), {}),
              Errc::kBadSignatureEncoding);
}

// --- Shape --------------------------------------------------------------------

TEST(JwsShape, OversizedTokenIsRefusedBeforeParsing) {
  // Not even valid base64: the size check must come first.
  EXPECT_ERRC(verify_jws(std::string(kMaxTokenSize + 1, '!'),
                         KeySet(private_key_for(Algorithm::kHS256)), {}),
              Errc::kTokenTooLarge);
}

TEST(JwsShape, TheSizeLimitIsTheCallersChoice) {
  const Key& key = private_key_for(Algorithm::kHS256);
  const std::string token =
      *sign_jws(key, Algorithm::kHS256, "{\"pad\":\"" + std::string(10'000, 'x') + "\"}");
  ASSERT_GT(token.size(), kMaxTokenSize);
  EXPECT_ERRC(verify_jws(token, KeySet(key), {}), Errc::kTokenTooLarge);
  JwsOptions options;
  options.max_token_size = token.size();
  EXPECT_OK(verify_jws(token, KeySet(key), options));
  options.max_token_size = token.size() - 1;
  EXPECT_ERRC(verify_jws(token, KeySet(key), options), Errc::kTokenTooLarge);
  EXPECT_ERRC(decode_jws(token), Errc::kTokenTooLarge);
  EXPECT_OK(decode_jws(token, token.size()));
  // The verifier passes its own limit down.
  VerifyOptions verify_options;
  verify_options.max_token_size = 16 * 1024;
  auto verifier = Verifier::create(KeySet(key), verify_options);
  ASSERT_OK(verifier);
  auto verified = verifier->verify(token, Timestamp{});  // no "exp": refused past the size check
  ASSERT_FALSE(verified.has_value());
  EXPECT_EQ(error_name(verified.error().code()), "missing_claim") << verified.error().message();
  verify_options.max_token_size = 0;
  EXPECT_ERRC(Verifier::create(KeySet(key), verify_options), Errc::kInvalidArgument);
}

TEST(JwsShape, SegmentsThatAreNotJsonSayWhy) {
  const KeySet keys(private_key_for(Algorithm::kHS256));
  auto bytes = verify_jws("abc.def.ghi", keys, {});  // "abc" decodes to 69 b7
  ASSERT_FALSE(bytes.has_value());
  EXPECT_EQ(bytes.error().message(),
            "Invalid JSON: header is not JSON: it decodes to bytes that are not UTF-8 text");
  auto text = decode_jws(b64("{\"alg\":") + ".e30.c2ln");
  ASSERT_FALSE(text.has_value());
  EXPECT_EQ(bytes.error().code(), Errc::kBadJson);
  EXPECT_EQ(text.error().detail().rfind("header is not valid JSON (", 0), 0u)
      << text.error().detail();
  auto array = decode_jws(b64("[]") + ".e30.c2ln");
  ASSERT_FALSE(array.has_value());
  EXPECT_EQ(array.error().detail(), "header is JSON but not an object");
}

TEST(JwsShape, MalformedTokens) {
  const Key& key = private_key_for(Algorithm::kHS256);
  const KeySet keys(key);
  const std::string good = *sign_jws(key, Algorithm::kHS256, "{}");
  const auto first = good.find('.');
  const auto last = good.rfind('.');
  EXPECT_ERRC(verify_jws(good.substr(0, last), keys, {}), Errc::kMalformed);  // 2 segments
  EXPECT_ERRC(verify_jws(good + ".", keys, {}), Errc::kMalformed);            // 4 segments
  EXPECT_ERRC(verify_jws(good + ".abc", keys, {}), Errc::kMalformed);
  EXPECT_ERRC(verify_jws("", keys, {}), Errc::kMalformed);
  EXPECT_ERRC(verify_jws("..", keys, {}), Errc::kMalformed);
  EXPECT_ERRC(verify_jws(good.substr(first), keys, {}), Errc::kMalformed);        // empty header
  EXPECT_ERRC(verify_jws(good.substr(0, last + 1), keys, {}), Errc::kMalformed);  // no signature
  EXPECT_ERRC(verify_jws(" " + good, keys, {}), Errc::kBadBase64);
  EXPECT_ERRC(verify_jws(good + " ", keys, {}), Errc::kBadBase64);
  EXPECT_ERRC(verify_jws(good + "\n", keys, {}), Errc::kBadBase64);
  EXPECT_ERRC(verify_jws(good.substr(0, first) + "=" + good.substr(first), keys, {}),
              Errc::kBadBase64);
  EXPECT_ERRC(verify_jws(good + "==", keys, {}), Errc::kBadBase64);
}

TEST(JwsShape, HeaderMustBeAJsonObject) {
  const KeySet keys(private_key_for(Algorithm::kHS256));
  const std::string rest = "." + b64("{}") + "." + b64("sig");
  EXPECT_ERRC(verify_jws(b64("not json") + rest, keys, {}), Errc::kBadJson);
  EXPECT_ERRC(verify_jws(b64("[\"alg\",\"HS256\"]") + rest, keys, {}), Errc::kNotAnObject);
  EXPECT_ERRC(verify_jws(b64("\"HS256\"") + rest, keys, {}), Errc::kNotAnObject);
  EXPECT_ERRC(verify_jws(b64(R"({"alg":"HS256")") + rest, keys, {}), Errc::kBadJson);
  EXPECT_ERRC(verify_jws(b64("{\"alg\":\"HS\xff\"}") + rest, keys, {}), Errc::kBadJson);
  EXPECT_ERRC(verify_jws(b64(R"({"alg":"HS256"} {})") + rest, keys, {}), Errc::kBadJson);
}

TEST(JwsShape, NestedJsonBombInTheHeaderIsRefused) {
  const KeySet keys(private_key_for(Algorithm::kHS256));
  std::string bomb =
      R"({"alg":"HS256","x":)" + std::string(3000, '[') + std::string(3000, ']') + "}";
  EXPECT_ERRC(verify_jws(b64(bomb) + "." + b64("{}") + "." + b64("s"), keys, {}), Errc::kBadJson);
}

// --- Key selection by kid -----------------------------------------------------

TEST(JwsKid, SelectsTheKeyByKid) {
  const Key a = *Key::generate(Algorithm::kES256, "a");
  const Key b = *Key::generate(Algorithm::kES256, "b");
  KeySet keys;
  ASSERT_OK(keys.add(a));
  ASSERT_OK(keys.add(b));
  auto token = sign_jws(b, Algorithm::kES256, "{}");
  ASSERT_OK(token);
  EXPECT_OK(verify_jws(*token, keys, {}));
  const Key c = *Key::generate(Algorithm::kES256, "c");
  EXPECT_ERRC(verify_jws(*sign_jws(c, Algorithm::kES256, "{}"), keys, {}), Errc::kUnknownKid);
}

TEST(JwsKid, KidOfAKeyForAnotherAlgorithmIsAMismatch) {
  const Key ec = *Key::generate(Algorithm::kES256, "shared");
  const Key hmac = *Key::from_secret(std::string(32, 'h'), "shared");
  const std::string token = *sign_jws(hmac, Algorithm::kHS256, "{}");
  EXPECT_ERRC(verify_jws(token, KeySet(ec), {.algorithms = {Algorithm::kHS256, Algorithm::kES256}}),
              Errc::kKeyAlgMismatch);
}

TEST(JwsKid, KeysWithoutKidStandInForAnyKid) {
  const Key unnamed = *Key::generate(Algorithm::kES256);
  const Key named = *Key::generate(Algorithm::kES256, "y");
  const Key signer = *Key::from_jwk([&] {
    auto jwk = nlohmann::json::parse(*unnamed.to_jwk(true));
    jwk["kid"] = "x";
    return jwk.dump();
  }());
  const std::string token = *sign_jws(signer, Algorithm::kES256, "{}");
  EXPECT_OK(verify_jws(token, KeySet(unnamed), {}));
  EXPECT_ERRC(verify_jws(token, KeySet(named), {}), Errc::kUnknownKid);
}

TEST(JwsKid, WithoutKidEveryKeyForTheAlgorithmIsTried) {
  const Key first = *Key::generate(Algorithm::kEdDSA);
  const Key second = *Key::generate(Algorithm::kEdDSA);
  KeySet keys;
  ASSERT_OK(keys.add(first));
  ASSERT_OK(keys.add(second));
  EXPECT_OK(verify_jws(*sign_jws(second, Algorithm::kEdDSA, "{}"), keys, {}));
}

TEST(JwsKid, KeySetRefusesDuplicateKids) {
  KeySet keys;
  ASSERT_OK(keys.add(*Key::generate(Algorithm::kHS256, "k")));
  EXPECT_ERRC(keys.add(*Key::generate(Algorithm::kHS256, "k")), Errc::kInvalidArgument);
}

// --- Inspection ---------------------------------------------------------------

TEST(JwsDecode, DecodesWithoutVerifying) {
  auto decoded = decode_jws(testing::rfc::kA1Jws);
  ASSERT_OK(decoded);
  EXPECT_NE(decoded->header_json.find("HS256"), std::string::npos);
  EXPECT_NE(decoded->payload.find("joe"), std::string::npos);
  EXPECT_EQ(decoded->signature.size(), 32u);
  EXPECT_ERRC(decode_jws("abc"), Errc::kMalformed);
}

}  // namespace
}  // namespace jwtguard
