// The byte array of a Token Status List (jwtguard/status_list.h).
#include "jwtguard/status_list.h"

#include <string>

#include "status_list/status_list_bits.h"

namespace jwtguard {
namespace {

// The bit offset of `index` in the array, and the byte it falls in: 8 / bits
// statuses share a byte, the lowest index in the least significant bits.
struct Position {
  std::size_t byte;
  unsigned shift;
};

Position position(std::size_t index, int bits) {
  const std::size_t bit = index * static_cast<std::size_t>(bits);
  return {bit / 8, static_cast<unsigned>(bit % 8)};
}

std::uint8_t mask(int bits) { return static_cast<std::uint8_t>((1u << bits) - 1); }

Result<void> check_index(std::size_t index, std::size_t size) {
  if (index >= size) {
    return fail(Errc::kInvalidArgument, "status list index " + std::to_string(index) +
                                            " is out of range (the list holds " +
                                            std::to_string(size) + ")");
  }
  return {};
}

}  // namespace

Result<void> status_list::check_bits(int bits) {
  if (!is_valid_bits(bits)) {
    return fail(Errc::kInvalidArgument,
                "status list bits must be 1, 2, 4 or 8, not " + std::to_string(bits));
  }
  return {};
}

Result<StatusList> StatusList::create(std::size_t size, int bits) {
  if (auto ok = status_list::check_bits(bits); !ok) return tl::unexpected(ok.error());
  const std::size_t per_byte = 8 / static_cast<std::size_t>(bits);
  if (size > kMaxBytes * per_byte) {
    return fail(Errc::kInvalidArgument, "a status list of " + std::to_string(size) +
                                            " entries is larger than " + std::to_string(kMaxBytes) +
                                            " bytes");
  }
  const std::size_t byte_count = (size + per_byte - 1) / per_byte;
  return StatusList(std::string(byte_count, '\0'), size, bits);
}

Result<StatusList> StatusList::from_bytes(std::string bytes, int bits) {
  if (auto ok = status_list::check_bits(bits); !ok) return tl::unexpected(ok.error());
  if (bytes.size() > kMaxBytes) {
    return fail(Errc::kInvalidArgument, "a status list of " + std::to_string(bytes.size()) +
                                            " bytes is larger than " + std::to_string(kMaxBytes));
  }
  const std::size_t size = bytes.size() * 8 / static_cast<std::size_t>(bits);
  return StatusList(std::move(bytes), size, bits);
}

Result<void> StatusList::set(std::size_t index, std::uint8_t value) {
  if (auto ok = check_index(index, size_); !ok) return ok;
  if (value > mask(bits_)) {
    return fail(Errc::kInvalidArgument, "status " + std::to_string(value) + " does not fit in " +
                                            std::to_string(bits_) + " bits");
  }
  const Position at = position(index, bits_);
  auto byte = static_cast<std::uint8_t>(bytes_[at.byte]);
  byte = static_cast<std::uint8_t>((byte & ~(mask(bits_) << at.shift)) | (value << at.shift));
  bytes_[at.byte] = static_cast<char>(byte);
  return {};
}

Result<std::uint8_t> StatusList::get(std::size_t index) const {
  if (auto ok = check_index(index, size_); !ok) return tl::unexpected(ok.error());
  const Position at = position(index, bits_);
  return static_cast<std::uint8_t>((static_cast<std::uint8_t>(bytes_[at.byte]) >> at.shift) &
                                   mask(bits_));
}

Result<TokenStatus> StatusList::get_status(std::size_t index) const {
  return get(index).map([](std::uint8_t value) { return static_cast<TokenStatus>(value); });
}

}  // namespace jwtguard
