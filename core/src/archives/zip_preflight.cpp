#include "archives/zip_preflight.h"

#include "archives/three_mf_error.h"

#include <cstddef>

namespace bambuddy::archives {
namespace {

constexpr std::size_t kEocdSize = 22;           // fixed part of the end-of-central-directory record
constexpr std::size_t kMaxCommentBytes = 65535; // the record's comment length is 16 bits
constexpr std::size_t kZip64LocatorSize = 20;
constexpr std::size_t kZip64EocdMinSize = 56;

uint64_t readLittleEndian(std::string_view bytes, std::size_t offset, int width) {
  uint64_t value = 0;
  for (int k = width - 1; k >= 0; --k) {
    value = (value << 8) | static_cast<unsigned char>(bytes[offset + static_cast<std::size_t>(k)]);
  }
  return value;
}

bool hasSignature(std::string_view bytes, std::size_t offset, char third, char fourth) {
  return bytes[offset] == 'P' && bytes[offset + 1] == 'K' && bytes[offset + 2] == third &&
         bytes[offset + 3] == fourth;
}

} // namespace

uint64_t declaredEntryCount(std::string_view bytes) {
  if (bytes.empty()) {
    throw ThreeMfError(ThreeMfErrorCode::NotZip, "not a zip archive (the upload is empty)");
  }
  const ThreeMfError no_record(ThreeMfErrorCode::NotZip,
                               "not a zip archive (no end-of-central-directory record: not a zip "
                               "file, or the upload is truncated)");
  if (bytes.size() < kEocdSize) {
    throw no_record;
  }
  // The record sits at the very end unless a comment follows it; search backwards for the last
  // signature whose comment fits in the file.
  const std::size_t last = bytes.size() - kEocdSize;
  const std::size_t first = last > kMaxCommentBytes ? last - kMaxCommentBytes : 0;
  std::size_t eocd = std::string_view::npos;
  for (std::size_t pos = last + 1; pos-- > first;) {
    if (hasSignature(bytes, pos, '\x05', '\x06') &&
        pos + kEocdSize + readLittleEndian(bytes, pos + 20, 2) <= bytes.size()) {
      eocd = pos;
      break;
    }
  }
  if (eocd == std::string_view::npos) {
    throw no_record;
  }
  uint64_t count = readLittleEndian(bytes, eocd + 10, 2);
  // A ZIP64 locator right before the record points at the 64-bit record, whose count wins
  // (the 16-bit field then holds 0xFFFF).
  if (eocd >= kZip64LocatorSize && hasSignature(bytes, eocd - kZip64LocatorSize, '\x06', '\x07')) {
    const uint64_t zip64_offset = readLittleEndian(bytes, eocd - kZip64LocatorSize + 8, 8);
    if (bytes.size() >= kZip64EocdMinSize && zip64_offset <= bytes.size() - kZip64EocdMinSize &&
        hasSignature(bytes, static_cast<std::size_t>(zip64_offset), '\x06', '\x06')) {
      count = readLittleEndian(bytes, static_cast<std::size_t>(zip64_offset) + 32, 8);
    }
  }
  return count;
}

} // namespace bambuddy::archives
