#include "jose/base64url.h"

#include <array>

namespace jwtguard::base64url {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::uint8_t kInvalid = 0xFF;

constexpr std::array<std::uint8_t, 256> make_decode_table() {
  std::array<std::uint8_t, 256> table{};
  for (auto& v : table) v = kInvalid;
  for (std::uint8_t i = 0; i < 64; ++i) table[static_cast<unsigned char>(kAlphabet[i])] = i;
  return table;
}
constexpr auto kDecode = make_decode_table();

}  // namespace

void encode_append(std::string_view bytes, std::string& out) {
  const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t n = bytes.size();
  const std::size_t start = out.size();
  out.resize(start + (n * 4 + 2) / 3);
  char* o = out.data() + start;
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const std::uint32_t v = (in[i] << 16) | (in[i + 1] << 8) | in[i + 2];
    *o++ = kAlphabet[(v >> 18) & 63];
    *o++ = kAlphabet[(v >> 12) & 63];
    *o++ = kAlphabet[(v >> 6) & 63];
    *o++ = kAlphabet[v & 63];
  }
  if (n - i == 1) {
    const std::uint32_t v = in[i] << 16;
    *o++ = kAlphabet[(v >> 18) & 63];
    *o++ = kAlphabet[(v >> 12) & 63];
  } else if (n - i == 2) {
    const std::uint32_t v = (in[i] << 16) | (in[i + 1] << 8);
    *o++ = kAlphabet[(v >> 18) & 63];
    *o++ = kAlphabet[(v >> 12) & 63];
    *o++ = kAlphabet[(v >> 6) & 63];
  }
}

std::string encode(std::string_view bytes) {
  std::string out;
  encode_append(bytes, out);
  return out;
}

std::optional<std::size_t> decoded_size(std::size_t encoded_size) {
  if (encoded_size % 4 == 1) return std::nullopt;
  return encoded_size / 4 * 3 + (encoded_size % 4 == 0 ? 0 : encoded_size % 4 - 1);
}

// One table per position in a group of four characters, each holding the
// character's six bits already shifted into place, so that a group is four
// loads and three ORs. An invalid character sets bit 24, outside the three
// decoded bytes, where one test at the end finds it.
constexpr std::uint32_t kBadBit = 1u << 24;

constexpr std::array<std::uint32_t, 256> make_shifted_table(int shift) {
  std::array<std::uint32_t, 256> table{};
  for (std::size_t c = 0; c < 256; ++c) {
    table[c] = kDecode[c] == kInvalid ? kBadBit : std::uint32_t{kDecode[c]} << shift;
  }
  return table;
}
constexpr auto kDecode0 = make_shifted_table(18);
constexpr auto kDecode1 = make_shifted_table(12);
constexpr auto kDecode2 = make_shifted_table(6);
constexpr auto kDecode3 = make_shifted_table(0);

bool decode_to(std::string_view in, std::uint8_t* out) {
  const auto* s = reinterpret_cast<const unsigned char*>(in.data());
  const std::size_t n = in.size();
  if (n % 4 == 1) return false;
  std::size_t i = 0;
  std::uint32_t bad = 0;
  for (; i + 4 <= n; i += 4) {
    const std::uint32_t v =
        kDecode0[s[i]] | kDecode1[s[i + 1]] | kDecode2[s[i + 2]] | kDecode3[s[i + 3]];
    bad |= v;
    out[0] = static_cast<std::uint8_t>(v >> 16);
    out[1] = static_cast<std::uint8_t>(v >> 8);
    out[2] = static_cast<std::uint8_t>(v);
    out += 3;
  }
  const std::size_t rest = n - i;
  if (rest == 2) {
    const std::uint32_t v = kDecode0[s[i]] | kDecode1[s[i + 1]];
    bad |= v;
    // Non-canonical trailing bits: the second character's low four bits
    // encode nothing, so they must be zero.
    if ((v & 0xFFFF) != 0) return false;
    *out++ = static_cast<std::uint8_t>(v >> 16);
  } else if (rest == 3) {
    const std::uint32_t v = kDecode0[s[i]] | kDecode1[s[i + 1]] | kDecode2[s[i + 2]];
    bad |= v;
    if ((v & 0xFF) != 0) return false;  // the third character's low two bits
    *out++ = static_cast<std::uint8_t>(v >> 16);
    *out++ = static_cast<std::uint8_t>(v >> 8);
  }
  return (bad & kBadBit) == 0;
}

std::optional<std::string> decode(std::string_view in, std::size_t padding) {
  const auto size = decoded_size(in.size());
  if (!size) return std::nullopt;
  std::string out;
  out.reserve(*size + padding);
  out.resize(*size);
  if (!decode_to(in, reinterpret_cast<std::uint8_t*>(out.data()))) return std::nullopt;
  return out;
}

}  // namespace jwtguard::base64url
