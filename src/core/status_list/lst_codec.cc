// "lst": a status list's byte array as ZLIB-format DEFLATE in base64url
// (jwtguard/status_list.h). zlib is the reference implementation of both
// formats; OpenSSL has no DEFLATE API to use instead.
#include <zlib.h>

#include <algorithm>
#include <array>
#include <limits>
#include <optional>
#include <string>

#include "jose/base64url.h"
#include "jwtguard/status_list.h"
#include "status_list/status_list_bits.h"
#include "util/try.h"

namespace jwtguard {
namespace {

// Inflated output goes through a buffer of this size, so the limit is checked
// before a chunk joins the result and a bomb never costs more than the limit
// plus one chunk.
constexpr std::size_t kChunk = 64 * 1024;

tl::unexpected<Error> bad_lst(std::string why) {
  return fail(Errc::kBadClaim, "status_list.lst " + why);
}

// inflateEnd on every path out of inflate_bounded.
struct InflateStream {
  z_stream z{};
  bool open = false;
  ~InflateStream() {
    if (open) inflateEnd(&z);
  }
};

// Feeds zlib the input in pieces it can count (avail_in is 32-bit).
void refill(z_stream& z, const std::string& in, std::size_t& fed) {
  if (z.avail_in != 0 || fed == in.size()) return;
  const std::size_t piece =
      std::min<std::size_t>(in.size() - fed, std::numeric_limits<uInt>::max());
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + fed));
  z.avail_in = static_cast<uInt>(piece);
  fed += piece;
}

Result<std::string> inflate_bounded(const std::string& compressed, std::size_t max_bytes) {
  InflateStream stream;
  // inflateInit (not inflateInit2 with a negative or +32 window) accepts the
  // ZLIB format only: no raw DEFLATE, no gzip, as the draft requires.
  if (inflateInit(&stream.z) != Z_OK) {
    return fail(Errc::kInvalidArgument, "zlib could not allocate an inflate state");
  }
  stream.open = true;
  std::string out;
  std::array<unsigned char, kChunk> chunk;
  std::size_t fed = 0;
  for (;;) {
    refill(stream.z, compressed, fed);
    stream.z.next_out = chunk.data();
    stream.z.avail_out = static_cast<uInt>(chunk.size());
    const int rc = inflate(&stream.z, Z_NO_FLUSH);
    const std::size_t produced = chunk.size() - stream.z.avail_out;
    if (produced > max_bytes - out.size()) {
      return bad_lst("inflates to more than " + std::to_string(max_bytes) +
                     " bytes (the decoding limit)");
    }
    out.append(reinterpret_cast<const char*>(chunk.data()), produced);
    if (rc == Z_STREAM_END) break;
    if (rc == Z_NEED_DICT) return bad_lst("asks for a preset dictionary, which ZLIB lists may not");
    if (rc == Z_DATA_ERROR) {
      return bad_lst(std::string("is not valid ZLIB data (") +
                     (stream.z.msg ? stream.z.msg : "corrupt") + ")");
    }
    if (rc == Z_MEM_ERROR) return fail(Errc::kInvalidArgument, "zlib ran out of memory");
    // Z_BUF_ERROR (or Z_OK making no progress) with every byte fed: the
    // stream stops before its end.
    if (produced == 0 && stream.z.avail_in == 0 && fed == compressed.size()) {
      return bad_lst("is truncated: the ZLIB stream does not end");
    }
  }
  if (stream.z.avail_in != 0 || fed != compressed.size()) {
    return bad_lst("has bytes after the end of its ZLIB stream");
  }
  return out;
}

}  // namespace

Result<std::string> encode_lst(const StatusList& list) {
  const std::string_view bytes = list.bytes();
  uLongf size = compressBound(static_cast<uLong>(bytes.size()));
  std::string compressed(size, '\0');
  const int rc = compress2(reinterpret_cast<Bytef*>(compressed.data()), &size,
                           reinterpret_cast<const Bytef*>(bytes.data()),
                           static_cast<uLong>(bytes.size()), Z_BEST_COMPRESSION);
  if (rc != Z_OK) {
    return fail(Errc::kInvalidArgument,
                "zlib could not compress the status list (" + std::string(zError(rc)) + ")");
  }
  compressed.resize(size);
  return base64url::encode(compressed);
}

Result<StatusList> decode_lst(std::string_view lst, int bits, const DecodeLimits& limits) {
  JWTGUARD_TRY(status_list::check_bits(bits));
  std::optional<std::string> compressed = base64url::decode(lst);
  if (!compressed) {
    return fail(Errc::kBadBase64, "status_list.lst is not unpadded base64url");
  }
  const std::size_t max_bytes = std::min(limits.max_bytes, StatusList::kMaxBytes);
  JWTGUARD_ASSIGN_OR_RETURN(std::string bytes, inflate_bounded(*compressed, max_bytes));
  return StatusList::from_bytes(std::move(bytes), bits);
}

}  // namespace jwtguard
