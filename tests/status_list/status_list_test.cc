// StatusList's byte layout and bounds, and the "status_list" claim's JSON
// (jwtguard/status_list.h).
#include "jwtguard/status_list.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "testing/fixtures.h"

namespace jwtguard {
namespace {

std::vector<int> bytes_of(const StatusList& list) {
  std::vector<int> out;
  for (char c : list.bytes()) out.push_back(static_cast<unsigned char>(c));
  return out;
}

StatusList make(std::size_t size, int bits) {
  auto list = StatusList::create(size, bits);
  EXPECT_TRUE(list.has_value()) << list.error().message();
  return *list;
}

TEST(StatusList, LaysOutTheDraftsOneBitExample) {
  // The draft's section on the status list: 16 one-bit statuses in 0xB9 0xA3.
  StatusList list = make(16, 1);
  for (std::size_t index : {0, 3, 4, 5, 7, 8, 9, 13, 15}) ASSERT_OK(list.set(index, 1));
  EXPECT_EQ(bytes_of(list), (std::vector<int>{0xb9, 0xa3}));
  EXPECT_EQ(list.get(0), 1);
  EXPECT_EQ(list.get(1), 0);
  EXPECT_EQ(list.get(15), 1);
}

TEST(StatusList, LaysOutTheDraftsTwoBitExample) {
  // The draft's 12 two-bit statuses in 0xC9 0x44 0xF9.
  const std::uint8_t statuses[] = {1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3};
  StatusList list = make(12, 2);
  for (std::size_t i = 0; i < std::size(statuses); ++i) ASSERT_OK(list.set(i, statuses[i]));
  EXPECT_EQ(bytes_of(list), (std::vector<int>{0xc9, 0x44, 0xf9}));
  for (std::size_t i = 0; i < std::size(statuses); ++i) EXPECT_EQ(list.get(i), statuses[i]) << i;
}

TEST(StatusList, FourAndEightBitsFillTheLowBitsFirst) {
  StatusList four = make(4, 4);
  ASSERT_OK(four.set(0, 0x1));
  ASSERT_OK(four.set(1, 0xA));
  ASSERT_OK(four.set(3, 0xF));
  EXPECT_EQ(bytes_of(four), (std::vector<int>{0xA1, 0xF0}));
  StatusList eight = make(3, 8);
  ASSERT_OK(eight.set(1, 0xFE));
  EXPECT_EQ(bytes_of(eight), (std::vector<int>{0x00, 0xFE, 0x00}));
}

TEST(StatusList, SettingOneStatusLeavesItsNeighboursAlone) {
  for (int bits : {1, 2, 4, 8}) {
    StatusList list = make(64, bits);
    const std::uint8_t top = static_cast<std::uint8_t>((1u << bits) - 1);
    for (std::size_t i = 0; i < list.size(); ++i) ASSERT_OK(list.set(i, top));
    ASSERT_OK(list.set(17, 0));
    for (std::size_t i = 0; i < list.size(); ++i) {
      EXPECT_EQ(list.get(i), i == 17 ? 0 : top) << bits << " bits, index " << i;
    }
  }
}

TEST(StatusList, RoundsTheArrayUpToWholeBytesAndKeepsTheSize) {
  StatusList list = make(9, 1);
  EXPECT_EQ(list.size(), 9u);
  EXPECT_EQ(list.bits(), 1);
  EXPECT_EQ(list.bytes().size(), 2u);
  EXPECT_EQ(make(5, 2).bytes().size(), 2u);
  EXPECT_EQ(make(0, 8).bytes().size(), 0u);
  EXPECT_ERRC(list.get(9), Errc::kInvalidArgument);
}

TEST(StatusList, FromBytesCountsEveryStatusTheBytesHold) {
  for (int bits : {1, 2, 4, 8}) {
    auto list = StatusList::from_bytes(std::string(3, '\xff'), bits);
    ASSERT_OK(list);
    EXPECT_EQ(list->size(), 24u / static_cast<unsigned>(bits));
    EXPECT_EQ(list->get(list->size() - 1), (1u << bits) - 1);
  }
}

TEST(StatusList, RefusesWidthsOtherThanOneTwoFourEight) {
  for (int bits : {-1, 0, 3, 5, 6, 7, 9, 16}) {
    EXPECT_ERRC(StatusList::create(8, bits), Errc::kInvalidArgument);
    EXPECT_ERRC(StatusList::from_bytes("x", bits), Errc::kInvalidArgument);
  }
}

TEST(StatusList, RefusesAnIndexOutOfRangeAndAValueTooWide) {
  StatusList list = make(8, 2);
  EXPECT_ERRC(list.set(8, 1), Errc::kInvalidArgument);
  EXPECT_ERRC(list.get(8), Errc::kInvalidArgument);
  EXPECT_ERRC(list.get(SIZE_MAX), Errc::kInvalidArgument);
  EXPECT_ERRC(list.set(0, 4), Errc::kInvalidArgument);
  EXPECT_ERRC(make(8, 1).set(0, 2), Errc::kInvalidArgument);
  EXPECT_ERRC(make(8, 4).set(0, 16), Errc::kInvalidArgument);
  EXPECT_EQ(list, make(8, 2)) << "a refused set changed the list";
  ASSERT_OK(make(8, 8).set(7, 255));
}

TEST(StatusList, RefusesAListLargerThanItsBound) {
  EXPECT_ERRC(StatusList::create(StatusList::kMaxBytes * 8 + 1, 1), Errc::kInvalidArgument);
  EXPECT_ERRC(StatusList::create(SIZE_MAX, 1), Errc::kInvalidArgument);
  EXPECT_ERRC(StatusList::create(StatusList::kMaxBytes + 1, 8), Errc::kInvalidArgument);
}

TEST(StatusList, NamesTheDraftsStatusesAndPassesOthersThrough) {
  StatusList list = make(4, 2);
  ASSERT_OK(list.set(1, TokenStatus::kInvalid));
  ASSERT_OK(list.set(2, TokenStatus::kSuspended));
  ASSERT_OK(list.set(3, 3));
  EXPECT_EQ(list.get_status(0), TokenStatus::kValid);
  EXPECT_EQ(list.get_status(1), TokenStatus::kInvalid);
  EXPECT_EQ(list.get_status(2), TokenStatus::kSuspended);
  EXPECT_EQ(static_cast<int>(*list.get_status(3)), 3);
  EXPECT_ERRC(list.get_status(4), Errc::kInvalidArgument);
}

// The "status_list" claim.

TEST(StatusListClaim, ReadsTheDraftsExample) {
  auto list = parse_status_list_claim(R"({"bits": 1, "lst": "eNrbuRgAAhcBXQ"})");
  ASSERT_OK(list);
  EXPECT_EQ(bytes_of(*list), (std::vector<int>{0xb9, 0xa3}));
  EXPECT_EQ(list->size(), 16u);
  EXPECT_TRUE(list->aggregation_uri().empty());
  auto two = parse_status_list_claim(R"({"bits":2,"lst":"eNo76fITAAPfAgc"})");
  ASSERT_OK(two);
  EXPECT_EQ(bytes_of(*two), (std::vector<int>{0xc9, 0x44, 0xf9}));
  EXPECT_EQ(two->size(), 12u);
}

TEST(StatusListClaim, WritesWhatItReads) {
  StatusList list = make(100, 4);
  ASSERT_OK(list.set(42, 9));
  list.set_aggregation_uri("https://auth.example/statuslists?x=\"1\"");
  auto json = status_list_claim_json(list);
  ASSERT_OK(json);
  EXPECT_EQ(json->rfind(R"({"bits":4,"lst":")", 0), 0u) << *json;
  EXPECT_NE(json->find(R"("aggregation_uri":"https://auth.example/statuslists?x=\"1\"")"),
            std::string::npos)
      << *json;
  auto back = parse_status_list_claim(*json);
  ASSERT_OK(back);
  EXPECT_EQ(back->get(42), 9);
  EXPECT_EQ(back->aggregation_uri(), list.aggregation_uri());
  EXPECT_EQ(back->bytes(), list.bytes());
}

TEST(StatusListClaim, LeavesOutAnAbsentAggregationUri) {
  auto json = status_list_claim_json(make(8, 1));
  ASSERT_OK(json);
  EXPECT_EQ(json->find("aggregation_uri"), std::string::npos) << *json;
}

TEST(StatusListClaim, IgnoresMembersItDoesNotKnow) {
  auto list = parse_status_list_claim(R"({"lst":"eNrbuRgAAhcBXQ","x":[1],"bits":1})");
  ASSERT_OK(list);
  EXPECT_EQ(list->size(), 16u);
}

TEST(StatusListClaim, RefusesADuplicateMember) {
  EXPECT_ERRC(parse_status_list_claim(R"({"bits":1,"bits":1,"lst":"eNrbuRgAAhcBXQ"})"),
              Errc::kDuplicateMember);
  EXPECT_ERRC(
      parse_status_list_claim(R"({"bits":1,"lst":"eNrbuRgAAhcBXQ","lst":"eNrbuRgAAhcBXQ"})"),
      Errc::kDuplicateMember);
}

TEST(StatusListClaim, NamesTheMissingMember) {
  auto no_bits = parse_status_list_claim(R"({"lst":"eNrbuRgAAhcBXQ"})");
  EXPECT_ERRC(no_bits, Errc::kMissingClaim);
  EXPECT_EQ(no_bits.error().detail(), "status_list.bits");
  auto no_lst = parse_status_list_claim(R"({"bits":1})");
  EXPECT_ERRC(no_lst, Errc::kMissingClaim);
  EXPECT_EQ(no_lst.error().detail(), "status_list.lst");
}

TEST(StatusListClaim, RefusesBitsThatAreNotOneOfTheFourIntegers) {
  for (const char* bits : {"0", "3", "16", "-1", "1.0", "1e0", "\"1\"", "true", "null", "[1]",
                           "4294967297", "-4294967295", "18446744073709551617"}) {
    const std::string json = std::string(R"({"bits":)") + bits + R"(,"lst":"eNrbuRgAAhcBXQ"})";
    auto list = parse_status_list_claim(json);
    ASSERT_FALSE(list.has_value()) << json;
    // simdjson refuses an integer beyond 64 bits as JSON.
    if (std::string_view(bits) != "18446744073709551617") {
      EXPECT_ERRC(list, Errc::kBadClaim);
    }
  }
}

TEST(StatusListClaim, RefusesMembersOfTheWrongType) {
  EXPECT_ERRC(parse_status_list_claim(R"({"bits":1,"lst":12})"), Errc::kBadClaim);
  EXPECT_ERRC(parse_status_list_claim(R"({"bits":1,"lst":null})"), Errc::kBadClaim);
  EXPECT_ERRC(parse_status_list_claim(R"({"bits":1,"lst":"eNrbuRgAAhcBXQ","aggregation_uri":1})"),
              Errc::kBadClaim);
}

TEST(StatusListClaim, RefusesWhatIsNotAJsonObject) {
  EXPECT_ERRC(parse_status_list_claim(""), Errc::kBadJson);
  EXPECT_ERRC(parse_status_list_claim(R"({"bits":1,)"), Errc::kBadJson);
  EXPECT_ERRC(parse_status_list_claim("[1]"), Errc::kNotAnObject);
  EXPECT_ERRC(parse_status_list_claim(R"("eNrbuRgAAhcBXQ")"), Errc::kNotAnObject);
}

TEST(StatusListClaim, PassesDecodingErrorsOn) {
  EXPECT_ERRC(parse_status_list_claim(R"({"bits":1,"lst":"eNrbuRgAAhcBXQ=="})"), Errc::kBadBase64);
  EXPECT_ERRC(parse_status_list_claim(R"({"bits":1,"lst":"eNrbuRgAAhcB"})"), Errc::kBadClaim);
  // Two bytes inflated, one allowed.
  EXPECT_ERRC(parse_status_list_claim(R"({"bits":1,"lst":"eNrbuRgAAhcBXQ"})", {.max_bytes = 1}),
              Errc::kBadClaim);
}

}  // namespace
}  // namespace jwtguard
