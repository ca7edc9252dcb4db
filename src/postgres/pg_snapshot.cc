#include "pg_snapshot.h"

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "util/try.h"

namespace jwtguard::pg {
namespace {

// The binary COPY file header: the signature, a flags word and the length
// of an extension area (PostgreSQL's "Binary Format" of COPY).
constexpr std::string_view kSignature("PGCOPY\n\377\r\n\0", 11);
constexpr int kColumns = 5;  // seq, kind, key, cutoff, expires_at

// Reads big-endian fields from one CopyData message; any read past its end
// fails the whole row, so a short or malformed message never reads beyond
// what libpq handed over.
class Cursor {
 public:
  explicit Cursor(std::string_view data) : data_(data) {}
  bool done() const { return data_.empty(); }
  std::optional<std::int64_t> integer(std::size_t bytes) {
    if (data_.size() < bytes) return std::nullopt;
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(data_[i]);
    data_.remove_prefix(bytes);
    // Sign-extend from the field's width.
    const unsigned shift = 64 - 8 * static_cast<unsigned>(bytes);
    return static_cast<std::int64_t>(v << shift) >> shift;
  }
  std::optional<std::string_view> bytes(std::size_t n) {
    if (data_.size() < n) return std::nullopt;
    const std::string_view out = data_.substr(0, n);
    data_.remove_prefix(n);
    return out;
  }
  // One field: its bytes, or nullopt for SQL NULL; false when malformed.
  bool field(std::optional<std::string_view>& out) {
    const auto length = integer(4);
    if (!length || *length < -1) return false;
    if (*length == -1) {
      out.reset();
      return true;
    }
    out = bytes(static_cast<std::size_t>(*length));
    return out.has_value();
  }

 private:
  std::string_view data_;
};

std::optional<std::int64_t> int_field(std::optional<std::string_view> field, std::size_t width) {
  if (!field || field->size() != width) return std::nullopt;
  return Cursor(*field).integer(width);
}

Error malformed() { return Error(Errc::kStore, "postgresql: malformed COPY data in the snapshot"); }

class SnapshotReader {
 public:
  explicit SnapshotReader(Snapshot& out) : out_(out) {}

  Result<void> message(std::string_view data) {
    Cursor in(data);
    if (!header_read_) {
      JWTGUARD_TRY(header(in));
      header_read_ = true;
    }
    while (!in.done()) JWTGUARD_TRY(tuple(in));
    return {};
  }

  // The head's row always comes, with or without entries.
  bool saw_head() const { return saw_head_; }

 private:
  Result<void> header(Cursor& in) {
    const auto signature = in.bytes(kSignature.size());
    if (!signature || *signature != kSignature || !in.integer(4))
      return tl::unexpected(malformed());
    const auto extension = in.integer(4);
    if (!extension || *extension < 0 || !in.bytes(static_cast<std::size_t>(*extension))) {
      return tl::unexpected(malformed());
    }
    return {};
  }

  Result<void> tuple(Cursor& in) {
    const auto columns = in.integer(2);
    if (!columns) return tl::unexpected(malformed());
    if (*columns == -1) return in.done() ? Result<void>() : tl::unexpected(malformed());  // trailer
    if (*columns != kColumns) return tl::unexpected(malformed());
    std::optional<std::string_view> f[kColumns];
    for (auto& one : f) {
      if (!in.field(one)) return tl::unexpected(malformed());
    }
    const auto seq = int_field(f[0], 8);
    if (!seq) return tl::unexpected(malformed());
    out_.seq = static_cast<std::uint64_t>(*seq);
    saw_head_ = true;
    if (!f[1]) return {};  // the head alone: no live revocation
    const auto kind = int_field(f[1], 4);
    const auto cutoff = int_field(f[3], 8);
    const auto expires = int_field(f[4], 8);
    if (!kind || !f[2] || !cutoff || !expires) return tl::unexpected(malformed());
    if (*kind < 0 || *kind > static_cast<int>(RevocationKind::kUser)) {
      return fail(Errc::kStore, "postgresql: unknown revocation kind " + std::to_string(*kind));
    }
    out_.entries.push_back(Change{.op = Change::Op::kRevoke,
                                  .kind = static_cast<RevocationKind>(*kind),
                                  .key = std::string(*f[2]),
                                  .cutoff = Timestamp(std::chrono::microseconds(*cutoff)),
                                  .expires_at = Timestamp(std::chrono::microseconds(*expires))});
    return {};
  }

  Snapshot& out_;
  bool header_read_ = false;
  bool saw_head_ = false;
};

}  // namespace

Result<Snapshot> read_snapshot(Conn& conn, Timestamp now, Deadline deadline) {
  // COPY takes no parameters: `now` is a number this process formats.
  // The casts fix each column's binary width for the reader.
  const std::string sql =
      "COPY (SELECT h.seq::bigint, r.kind::integer, r.key::text, r.cutoff::bigint,"
      " r.expires_at::bigint FROM jwtguard_feed_head h LEFT JOIN"
      " (SELECT kind, key, cutoff, expires_at FROM revocations WHERE expires_at > " +
      std::to_string(now.time_since_epoch().count()) + ") r ON true) TO STDOUT (FORMAT binary)";
  Snapshot out;
  SnapshotReader reader(out);
  JWTGUARD_TRY(conn.copy_out(sql.c_str(), deadline,
                             [&](std::string_view data) { return reader.message(data); }));
  if (!reader.saw_head()) return fail(Errc::kStore, "postgresql: jwtguard_feed_head has no row");
  return out;
}

}  // namespace jwtguard::pg
