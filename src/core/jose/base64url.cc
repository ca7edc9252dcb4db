#include "jose/base64url.h"

#include <array>
#include <cstdint>

#if defined(__x86_64__)
#include <tmmintrin.h>
#endif

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

#if defined(__x86_64__)
// Sixteen characters into twelve bytes per step (W. Mula and D. Lemire,
// "Faster Base64 Encoding and Decoding using AVX2 Instructions", 2018),
// with range tests instead of their nibble tables, for the URL alphabet.
// Stops while at least 22 characters remain, so that the 16-byte store
// stays inside the output; the scalar loop does the rest, trailing bits
// included. Returns the characters consumed, or SIZE_MAX on an invalid one.
__attribute__((target("ssse3"))) std::size_t decode_ssse3(const unsigned char* s, std::size_t n,
                                                          std::uint8_t*& out) {
  auto in_range = [](__m128i v, char low, char high) {
    return _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(static_cast<char>(low - 1))),
                         _mm_cmplt_epi8(v, _mm_set1_epi8(static_cast<char>(high + 1))));
  };
  const __m128i order = _mm_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
  std::size_t i = 0;
  for (; n - i >= 22; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
    const __m128i upper = in_range(v, 'A', 'Z'), lower = in_range(v, 'a', 'z');
    const __m128i digit = in_range(v, '0', '9');
    const __m128i dash = _mm_cmpeq_epi8(v, _mm_set1_epi8('-'));
    const __m128i underscore = _mm_cmpeq_epi8(v, _mm_set1_epi8('_'));
    const __m128i valid = _mm_or_si128(_mm_or_si128(upper, lower),
                                       _mm_or_si128(digit, _mm_or_si128(dash, underscore)));
    if (_mm_movemask_epi8(valid) != 0xFFFF) return SIZE_MAX;
    // What to add to each character to get its six bits.
    __m128i shift = _mm_and_si128(upper, _mm_set1_epi8(-'A'));
    shift = _mm_or_si128(shift, _mm_and_si128(lower, _mm_set1_epi8(26 - 'a')));
    shift = _mm_or_si128(shift, _mm_and_si128(digit, _mm_set1_epi8(52 - '0')));
    shift = _mm_or_si128(shift, _mm_and_si128(dash, _mm_set1_epi8(62 - '-')));
    shift = _mm_or_si128(shift, _mm_and_si128(underscore, _mm_set1_epi8(63 - '_')));
    const __m128i sextets = _mm_add_epi8(v, shift);
    const __m128i pairs = _mm_maddubs_epi16(sextets, _mm_set1_epi32(0x01400140));
    const __m128i groups = _mm_madd_epi16(pairs, _mm_set1_epi32(0x00011000));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm_shuffle_epi8(groups, order));
    out += 12;
  }
  return i;
}

bool have_ssse3() {
  static const bool yes = __builtin_cpu_supports("ssse3");
  return yes;
}
#endif

bool decode_to(std::string_view in, std::uint8_t* out) {
  const auto* s = reinterpret_cast<const unsigned char*>(in.data());
  const std::size_t n = in.size();
  if (n % 4 == 1) return false;
  std::size_t i = 0;
#if defined(__x86_64__)
  if (n >= 22 && have_ssse3()) {
    i = decode_ssse3(s, n, out);
    if (i == SIZE_MAX) return false;
  }
#endif
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
