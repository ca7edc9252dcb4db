// encode_lst and decode_lst (jwtguard/status_list.h): the draft's test
// vectors both ways, random round trips, and every malformed or hostile lst
// a verifier may be handed.
#include <gtest/gtest.h>
#include <zlib.h>

#include <iostream>
#include <random>
#include <string>

#include "jose/base64url.h"
#include "jwtguard/status_list.h"
#include "status_list/draft_vectors.h"
#include "testing/fixtures.h"

namespace jwtguard {
namespace {

// zlib with the given windowBits: 15 ZLIB, -15 raw DEFLATE, 31 gzip.
std::string deflate_bytes(std::string_view bytes, int window_bits = 15) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string out(deflateBound(&z, bytes.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string lst_of(std::string_view bytes) { return base64url::encode(deflate_bytes(bytes)); }

StatusList list_of(const draft_vectors::Vector& vector) {
  auto list = StatusList::create(draft_vectors::kSize, vector.bits);
  EXPECT_TRUE(list.has_value());
  for (const auto& [index, status] : vector.statuses) EXPECT_OK(list->set(index, status));
  return *list;
}

std::size_t non_zero(const StatusList& list) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < list.size(); ++i) count += *list.get(i) != 0;
  return count;
}

std::size_t non_zero(const draft_vectors::Vector& vector) {
  std::size_t count = 0;
  for (const auto& entry : vector.statuses) count += entry.second != 0;
  return count;
}

TEST(DraftVectors, DecodeToEveryListedStatusAndNothingElse) {
  for (const draft_vectors::Vector& vector : draft_vectors::kVectors) {
    SCOPED_TRACE(std::to_string(vector.bits) + " bits");
    auto list = decode_lst(vector.lst, vector.bits);
    ASSERT_OK(list);
    EXPECT_EQ(list->size(), draft_vectors::kSize);
    EXPECT_EQ(list->bits(), vector.bits);
    for (const auto& [index, status] : vector.statuses) {
      EXPECT_EQ(list->get(index), status) << "index " << index;
    }
    EXPECT_EQ(non_zero(*list), non_zero(vector));
    // The byte array itself, as built by setting the listed statuses.
    EXPECT_TRUE(list->bytes() == list_of(vector).bytes());
  }
}

TEST(DraftVectors, EncodeToAnLstThatDecodesToTheSameStatuses) {
  for (const draft_vectors::Vector& vector : draft_vectors::kVectors) {
    SCOPED_TRACE(std::to_string(vector.bits) + " bits");
    const StatusList list = list_of(vector);
    auto lst = encode_lst(list);
    ASSERT_OK(lst);
    auto back = decode_lst(*lst, vector.bits);
    ASSERT_OK(back);
    EXPECT_TRUE(*back == list);
    auto draft = decode_lst(vector.lst, vector.bits);
    ASSERT_OK(draft);
    EXPECT_TRUE(back->bytes() == draft->bytes());
    // The same best-level DEFLATE as the draft's encoder, give or take the
    // encoder's version: no larger than its output by more than a little.
    EXPECT_LE(lst->size(), vector.lst.size() + 16);
  }
}

TEST(LstCodec, RoundTripsRandomListsOfEveryWidth) {
  std::mt19937_64 random(20260601);
  for (int bits : {1, 2, 4, 8}) {
    for (std::size_t size : {0, 1, 7, 8, 9, 1000, 65536, 200001}) {
      auto list = StatusList::create(size, bits);
      ASSERT_OK(list);
      for (std::size_t i = 0; i < size; ++i) {
        // Mostly valid, as real lists are; some lists dense.
        if (size < 1000 || random() % 50 == 0) {
          ASSERT_OK(list->set(i, static_cast<std::uint8_t>(random() & ((1u << bits) - 1))));
        }
      }
      auto lst = encode_lst(*list);
      ASSERT_OK(lst);
      auto back = decode_lst(*lst, bits);
      ASSERT_OK(back);
      EXPECT_TRUE(back->bytes() == list->bytes()) << bits << " bits, " << size << " entries";
      // The size comes back rounded up to the statuses the bytes hold.
      EXPECT_EQ(back->size(), list->bytes().size() * 8 / static_cast<unsigned>(bits));
    }
  }
}

TEST(LstCodec, StopsABombAtTheLimit) {
  // 64 MiB of zeros deflate to about 64 KiB; the limit is 16 MiB.
  const std::string bomb = lst_of(std::string(std::size_t{64} << 20, '\0'));
  ASSERT_LT(bomb.size(), std::size_t{128} << 10);
  auto list = decode_lst(bomb, 1);
  EXPECT_ERRC(list, Errc::kBadClaim);
  EXPECT_NE(list.error().detail().find("inflates to more than 16777216 bytes"), std::string::npos)
      << list.error().detail();
}

TEST(LstCodec, AcceptsExactlyTheLimitAndNotOneByteMore) {
  const std::string zeros(100'000, '\0');
  const std::string lst = lst_of(zeros);
  auto at_limit = decode_lst(lst, 8, {.max_bytes = 100'000});
  ASSERT_OK(at_limit);
  EXPECT_EQ(at_limit->size(), 100'000u);
  auto over = decode_lst(lst, 8, {.max_bytes = 99'999});
  EXPECT_ERRC(over, Errc::kBadClaim);
  EXPECT_NE(over.error().detail().find("more than 99999 bytes"), std::string::npos);
  // A few KiB of DEFLATE, well past a small limit.
  EXPECT_ERRC(decode_lst(lst_of(std::string(4 << 20, '\0')), 1, {.max_bytes = 1 << 20}),
              Errc::kBadClaim);
}

TEST(LstCodec, RefusesATruncatedStream) {
  const std::string compressed = deflate_bytes("\xb9\xa3 some statuses");
  for (std::size_t keep : {std::size_t{0}, std::size_t{1}, std::size_t{2}, compressed.size() / 2,
                           compressed.size() - 4, compressed.size() - 1}) {
    auto list = decode_lst(base64url::encode(compressed.substr(0, keep)), 1);
    EXPECT_ERRC(list, Errc::kBadClaim);
    if (!list) {
      EXPECT_FALSE(list.error().detail().empty());
    }
  }
  auto cut = decode_lst(base64url::encode(compressed.substr(0, compressed.size() - 1)), 1);
  ASSERT_FALSE(cut.has_value());
  EXPECT_NE(cut.error().detail().find("truncated"), std::string::npos) << cut.error().detail();
}

TEST(LstCodec, RefusesBytesAfterTheStream) {
  const std::string compressed = deflate_bytes("\xb9\xa3");
  for (const std::string& tail : {std::string(1, '\0'), std::string("garbage"), compressed}) {
    auto list = decode_lst(base64url::encode(compressed + tail), 1);
    EXPECT_ERRC(list, Errc::kBadClaim);
    if (!list) {
      EXPECT_NE(list.error().detail().find("after the end"), std::string::npos)
          << list.error().detail();
    }
  }
}

TEST(LstCodec, RefusesRawDeflateGzipAndACorruptChecksum) {
  const std::string bytes = "\xb9\xa3\x01\x02";
  EXPECT_ERRC(decode_lst(base64url::encode(deflate_bytes(bytes, -15)), 1), Errc::kBadClaim);
  EXPECT_ERRC(decode_lst(base64url::encode(deflate_bytes(bytes, 31)), 1), Errc::kBadClaim);
  std::string corrupt = deflate_bytes(bytes);
  corrupt.back() = static_cast<char>(corrupt.back() ^ 1);
  EXPECT_ERRC(decode_lst(base64url::encode(corrupt), 1), Errc::kBadClaim);
  EXPECT_ERRC(decode_lst(base64url::encode("not zlib at all"), 1), Errc::kBadClaim);
}

TEST(LstCodec, RefusesWhatIsNotStrictBase64Url) {
  for (const char* lst : {"eNrbuRgAAhcBXQ==", "eNrbuRgAAhcBXQ=", "eNrb+RgAAhcBXQ", "eNrb/RgAAhcBXQ",
                          "eNrb uRgAAhcBXQ", "eNrbuRgAAhcBXQ\n", "eNrbuRgAAhcBXR", "e"}) {
    SCOPED_TRACE(lst);
    EXPECT_ERRC(decode_lst(lst, 1), Errc::kBadBase64);
  }
  ASSERT_OK(decode_lst("eNrbuRgAAhcBXQ", 1));
}

TEST(LstCodec, RefusesAWidthOtherThanOneTwoFourEight) {
  for (int bits : {0, 3, 5, 16, -8}) {
    SCOPED_TRACE(bits);
    EXPECT_ERRC(decode_lst("eNrbuRgAAhcBXQ", bits), Errc::kInvalidArgument);
  }
}

TEST(LstCodec, AnIndexPastTheDecodedListIsOutOfRange) {
  auto list = decode_lst("eNrbuRgAAhcBXQ", 2);
  ASSERT_OK(list);
  EXPECT_EQ(list->size(), 8u);
  EXPECT_OK(list->get(7));
  EXPECT_ERRC(list->get(8), Errc::kInvalidArgument);
}

TEST(LstCodec, AMillionEntryListEncodesAndDecodes) {
  // One bit per token; one token in a hundred revoked, at random places.
  auto list = StatusList::create(1'000'000, 1);
  ASSERT_OK(list);
  std::mt19937_64 random(7);
  for (int i = 0; i < 10'000; ++i) ASSERT_OK(list->set(random() % list->size(), 1));
  auto lst = encode_lst(*list);
  ASSERT_OK(lst);
  auto back = decode_lst(*lst, 1);
  ASSERT_OK(back);
  EXPECT_TRUE(back->bytes() == list->bytes());
  EXPECT_EQ(back->size(), 1'000'000u);
  RecordProperty("bytes", static_cast<int>(list->bytes().size()));
  RecordProperty("lst_chars", static_cast<int>(lst->size()));
  std::cout << "1,000,000 one-bit statuses (1% revoked): " << list->bytes().size()
            << " bytes, lst of " << lst->size() << " characters\n";
}

}  // namespace
}  // namespace jwtguard
