#include "archives/zip_preflight.h"

#include "archives/three_mf_error.h"

#include <algorithm>
#include <cstddef>
#include <optional>

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

// The count declared by the ZIP64 record that a locator right before `eocd` points to.
std::optional<uint64_t> zip64Count(std::string_view bytes, std::size_t eocd, uint64_t base) {
  if (eocd < kZip64LocatorSize || !hasSignature(bytes, eocd - kZip64LocatorSize, '\x06', '\x07')) {
    return std::nullopt;
  }
  const uint64_t file_offset = readLittleEndian(bytes, eocd - kZip64LocatorSize + 8, 8);
  if (file_offset < base) {
    return std::nullopt; // before the part we hold
  }
  const uint64_t offset = file_offset - base;
  if (bytes.size() < kZip64EocdMinSize || offset > bytes.size() - kZip64EocdMinSize ||
      !hasSignature(bytes, static_cast<std::size_t>(offset), '\x06', '\x06')) {
    return std::nullopt;
  }
  const auto record = static_cast<std::size_t>(offset);
  return std::max(readLittleEndian(bytes, record + 24, 8), readLittleEndian(bytes, record + 32, 8));
}

// The count of a plausible record at `pos`, or nullopt when the bytes there only look like one.
std::optional<uint64_t> recordCount(std::string_view bytes, std::size_t pos, uint64_t base) {
  if (!hasSignature(bytes, pos, '\x05', '\x06') ||
      pos + kEocdSize + readLittleEndian(bytes, pos + 20, 2) > bytes.size()) {
    return std::nullopt;
  }
  const uint64_t disk = readLittleEndian(bytes, pos + 4, 2);
  const uint64_t directory_disk = readLittleEndian(bytes, pos + 6, 2);
  const uint64_t on_disk = readLittleEndian(bytes, pos + 8, 2);
  const uint64_t total = readLittleEndian(bytes, pos + 10, 2);
  // ZIP64 archives may put 0xFFFF here and the real values in the ZIP64 record. Whether the
  // directory really is where the record says is left to libzip, which names that problem.
  const bool single_disk = (disk == 0 || disk == 0xFFFF) && (directory_disk == 0 || directory_disk == 0xFFFF);
  if (!single_disk || on_disk != total) {
    return std::nullopt;
  }
  const std::optional<uint64_t> zip64 = zip64Count(bytes, pos, base);
  return zip64 ? std::max(*zip64, total) : total;
}

} // namespace

uint64_t declaredEntryCount(std::string_view bytes) {
  return declaredEntryCount(bytes, 0);
}

uint64_t declaredEntryCount(std::string_view bytes, uint64_t base) {
  if (bytes.empty()) {
    throw ThreeMfError(ThreeMfErrorCode::NotZip, "not a zip archive (the upload is empty)");
  }
  std::optional<uint64_t> count;
  if (bytes.size() >= kEocdSize) {
    const std::size_t last = bytes.size() - kEocdSize;
    const std::size_t first = last > kMaxCommentBytes ? last - kMaxCommentBytes : 0;
    for (std::size_t pos = last + 1; pos-- > first;) {
      if (const std::optional<uint64_t> candidate = recordCount(bytes, pos, base)) {
        count = std::max(count.value_or(0), *candidate);
      }
    }
  }
  if (!count) {
    throw ThreeMfError(ThreeMfErrorCode::NotZip,
                       "not a zip archive (no end-of-central-directory record: not a zip "
                       "file, or the upload is truncated)");
  }
  return *count;
}

} // namespace bambuddy::archives
