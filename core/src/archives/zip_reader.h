// Read-only access to a zip archive held in memory, through libzip, with every read bounded:
// nothing trusts the sizes an entry declares, since a crafted archive can lie about them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct zip;
struct zip_source;

namespace bambuddy::archives {

struct ZipEntry {
  uint64_t index = 0;
  std::string name;             // as stored in the central directory (raw bytes)
  uint64_t size = 0;            // declared uncompressed size
  uint64_t compressed_size = 0; // declared compressed size
  int32_t compression_method = 0;
  bool encrypted = false;
  bool compression_supported = true; // libzip can decompress this method
  bool directory = false;            // name ends with '/'
};

class ZipReader {
public:
  // Opens `bytes`, which is not copied and must outlive the reader. libzip checks that every
  // local header agrees with the central directory. Throws ThreeMfError(NotZip) when the bytes
  // are not a readable zip archive.
  explicit ZipReader(std::string_view bytes);

  // Opens the zip file at `path` (read on demand, never loaded whole). Same checks and errors.
  struct FromFile {};
  ZipReader(FromFile, const std::string& path);

  const std::vector<ZipEntry>& entries() const { return entries_; }

  // The whole entry. Throws ThreeMfError: ZipBomb when it decompresses to more than its declared
  // size (reading stops right there), MetadataTooLarge when it is bigger than `max_bytes`,
  // CorruptEntry for a CRC mismatch, bad compressed data or data shorter than declared,
  // UnsupportedEntry for encryption or an unknown compression method.
  std::string read(const ZipEntry& entry, uint64_t max_bytes) const;

  // At most the first `max_bytes` of the entry; `complete` tells whether that was all of it (and
  // so whether the CRC was checked). Same errors as read() apart from MetadataTooLarge.
  std::string readPrefix(const ZipEntry& entry, uint64_t max_bytes, bool& complete) const;

  // Decompresses the whole entry without keeping it, so its CRC and real size are checked.
  // Same errors as read() apart from MetadataTooLarge.
  void verify(const ZipEntry& entry) const;

private:
  enum class Overflow { Fail, Stop };
  // Reads up to `limit` bytes, passing each chunk to `sink` (nullptr: discard). Returns whether the
  // end of the entry was reached. With Overflow::Fail, more data than `limit` throws.
  template <typename Sink>
  bool stream(const ZipEntry& entry, uint64_t limit, Overflow overflow, Sink&& sink) const;

  void open(zip_source* source);

  struct Discard {
    void operator()(zip* archive) const; // read-only: discarded, nothing is written back
  };
  std::unique_ptr<zip, Discard> archive_;
  std::vector<ZipEntry> entries_;
};

} // namespace bambuddy::archives
