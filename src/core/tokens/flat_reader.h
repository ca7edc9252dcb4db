// The byte-level half of the fast claims reader (tokens/flat_claims.h): a
// cursor that checks RFC 8259 strings, numbers, literals and nested values as
// strictly as simdjson does, declining (returning false) wherever it is not
// sure. Private to flat_claims.cc.
#ifndef JWTGUARD_TOKENS_FLAT_READER_H_
#define JWTGUARD_TOKENS_FLAT_READER_H_

#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "tokens/flat_claims.h"

namespace jwtguard::detail::flat {

// Bytes that may stand in a JSON string as they are: printable ASCII except
// the quote and the backslash. Everything else takes the slow branch.
constexpr std::array<bool, 256> make_plain_table() {
  std::array<bool, 256> table{};
  for (int c = 0x20; c < 0x80; ++c) table[c] = c != '"' && c != '\\';
  return table;
}
inline constexpr auto kPlain = make_plain_table();

inline int hex_value(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

inline bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Whether the eight bytes at `p` are all ASCII digits, and if so their
// value (the SWAR method of simdjson and fast_float): dates are ten to
// thirteen digits, and a digit at a time was a fifth of reading a payload.
inline bool eight_digits(const unsigned char* p, std::uint64_t& value) {
  if constexpr (std::endian::native != std::endian::little) return false;  // digit by digit
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  if ((((v & 0xF0F0F0F0F0F0F0F0) | (((v + 0x0606060606060606) & 0xF0F0F0F0F0F0F0F0) >> 4)) !=
       0x3333333333333333)) {
    return false;
  }
  v -= 0x3030303030303030;
  v = (v * 10) + (v >> 8);
  value = (((v & 0x000000FF000000FF) * (100 + (1000000ULL << 32))) +
           (((v >> 16) & 0x000000FF000000FF) * (1 + (10000ULL << 32)))) >>
          32;
  return true;
}

struct Number {
  bool integer = false;
  std::int64_t int_value = 0;
  double real = 0;
};

// A cursor over the payload. Every method returns false on anything it does
// not accept, and the caller gives up at once: the reference decides then.
class Reader {
 public:
  explicit Reader(std::string_view text)
      : p_(reinterpret_cast<const unsigned char*>(text.data())), end_(p_ + text.size()) {}

  bool at_end() const { return p_ == end_; }
  bool peek(unsigned char c) const { return p_ != end_ && *p_ == c; }
  bool consume(unsigned char c) {
    if (!peek(c)) return false;
    ++p_;
    return true;
  }
  void skip_ws() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  // A string, opening quote included; `raw` is its text between the quotes,
  // still escaped when `escaped` says so.
  bool string(std::string_view& raw, bool& escaped) {
    if (!consume('"')) return false;
    const unsigned char* start = p_;
    escaped = false;
    for (;;) {
      skip_plain();
      if (p_ == end_) return false;
      const unsigned char c = *p_;
      if (c == '"') break;
      if (c == '\\') {
        escaped = true;
        if (!escape()) return false;
      } else if (!utf8_sequence()) {  // also refuses control characters
        return false;
      }
    }
    raw = std::string_view(reinterpret_cast<const char*>(start), p_ - start);
    ++p_;
    return true;
  }

  // RFC 8259 §6 grammar. Integers are read as int64 up to 18 digits; longer
  // ones (where the reference switches to uint64 or refuses) and "-0" (an
  // integer or a double, depending on the parser) are declined.
  bool number(Number& out) {
    const unsigned char* start = p_;
    const bool negative = consume('-');
    if (p_ == end_) return false;
    std::int64_t value = 0;
    if (*p_ == '0') {
      ++p_;
    } else if (*p_ >= '1' && *p_ <= '9') {
      // Wraps for long numbers, which are declined below before any use.
      std::uint64_t eight = 0;
      while (end_ - p_ >= 8 && eight_digits(p_, eight)) {
        value = static_cast<std::int64_t>(static_cast<std::uint64_t>(value) * 100000000 + eight);
        p_ += 8;
      }
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') {
        value = static_cast<std::int64_t>(static_cast<std::uint64_t>(value) * 10 + (*p_++ - '0'));
      }
    } else {
      return false;
    }
    const auto int_digits = p_ - start - (negative ? 1 : 0);
    out.integer = p_ == end_ || (*p_ != '.' && *p_ != 'e' && *p_ != 'E');
    if (out.integer) {
      if (int_digits > 18 || (negative && value == 0)) return false;
      out.int_value = negative ? -value : value;
      return true;
    }
    if (consume('.') && !digits(SIZE_MAX)) return false;
    if (consume('e') || consume('E')) {
      if (!consume('+')) consume('-');
      // Huge exponents are where parsers' edge handling differs most.
      if (!digits(3)) return false;
    }
    if (p_ - start > 40) return false;
    const auto* first = reinterpret_cast<const char*>(start);
    const auto [ptr, ec] = std::from_chars(first, reinterpret_cast<const char*>(p_), out.real);
    // Out of range (1e400, and underflows the reference may round to 0): declined.
    return ec == std::errc() && ptr == reinterpret_cast<const char*>(p_) && std::isfinite(out.real);
  }

  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::memcmp(p_, word.data(), word.size()) != 0) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  // Any JSON value, checked as strictly as the reference checks it and
  // thrown away: the application's own claims.
  bool skip_value(std::size_t depth) {
    if (p_ == end_) return false;
    std::string_view raw;
    bool escaped = false;
    Number number_value;
    switch (*p_) {
      case '"':
        return string(raw, escaped);
      case '{':
      case '[':
        return depth < kFlatMaxDepth && skip_container(depth + 1);
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default:
        return number(number_value);
    }
  }

 private:
  // Moves past the bytes kPlain allows, 16 at a time where SSE2 is there
  // (every x86-64): claim values are mostly such runs.
  void skip_plain() {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    while (end_ - p_ >= 16) {
      const __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p_));
      // Signed compare: bytes from 0x80 up count as negative, so "below
      // 0x20" also catches them, and both go to the careful path.
      const __m128i special =
          _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(chunk, quote), _mm_cmpeq_epi8(chunk, backslash)),
                       _mm_cmplt_epi8(chunk, space));
      const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(special));
      if (mask != 0) {
        p_ += __builtin_ctz(mask);
        return;
      }
      p_ += 16;
    }
#endif
    while (p_ != end_ && kPlain[*p_]) ++p_;
  }

  bool digits(std::size_t max) {
    const unsigned char* start = p_;
    while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    return p_ != start && static_cast<std::size_t>(p_ - start) <= max;
  }

  // After a backslash. \u escapes of surrogates are declined: parsers differ
  // on lone ones, and pairs are rare enough for the reference to handle.
  bool escape() {
    ++p_;
    if (p_ == end_) return false;
    const unsigned char c = *p_++;
    if (c != 'u') return std::strchr("\"\\/bfnrt", c) != nullptr && c != '\0';
    if (end_ - p_ < 4) return false;
    int code = 0;
    for (int i = 0; i < 4; ++i) {
      const int h = hex_value(*p_++);
      if (h < 0) return false;
      code = code * 16 + h;
    }
    return code < 0xD800 || code > 0xDFFF;
  }

  // One UTF-8 sequence of two to four bytes, without overlongs, surrogates
  // or code points beyond U+10FFFF (RFC 3629).
  bool utf8_sequence() {
    const unsigned char c = *p_;
    const auto left = end_ - p_;
    unsigned char low = 0x80, high = 0xBF;
    int length = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      length = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      length = 3;
      if (c == 0xE0) low = 0xA0;
      if (c == 0xED) high = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4;
      if (c == 0xF0) low = 0x90;
      if (c == 0xF4) high = 0x8F;
    } else {
      return false;
    }
    if (left < length || p_[1] < low || p_[1] > high) return false;
    for (int i = 2; i < length; ++i) {
      if (!is_continuation(p_[i])) return false;
    }
    p_ += length;
    return true;
  }

  bool skip_container(std::size_t depth) {
    const unsigned char close = *p_ == '{' ? '}' : ']';
    ++p_;
    skip_ws();
    if (consume(close)) return true;
    for (;;) {
      if (close == '}') {
        std::string_view key;
        bool escaped = false;
        if (!string(key, escaped)) return false;
        skip_ws();
        if (!consume(':')) return false;
        skip_ws();
      }
      if (!skip_value(depth)) return false;
      skip_ws();
      if (consume(close)) return true;
      if (!consume(',')) return false;
      skip_ws();
    }
  }

  const unsigned char* p_;
  const unsigned char* end_;
};

// The text of a string already checked by Reader::string: escapes replaced,
// \u escapes (never surrogates there) written as UTF-8.
inline void unescape(std::string_view raw, std::string& out) {
  out.clear();
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '\\') {
      out += raw[i];
      continue;
    }
    const char c = raw[++i];
    switch (c) {
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        unsigned code = 0;
        for (int k = 1; k <= 4; ++k) code = code * 16 + hex_value(raw[i + k]);
        i += 4;
        if (code < 0x80) {
          out += static_cast<char>(code);
        } else if (code < 0x800) {
          out += static_cast<char>(0xC0 | (code >> 6));
          out += static_cast<char>(0x80 | (code & 0x3F));
        } else {
          out += static_cast<char>(0xE0 | (code >> 12));
          out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
          out += static_cast<char>(0x80 | (code & 0x3F));
        }
        break;
      }
      default:  // '"', '\\', '/'
        out += c;
    }
  }
}

}  // namespace jwtguard::detail::flat

#endif  // JWTGUARD_TOKENS_FLAT_READER_H_
