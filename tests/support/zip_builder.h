// Builds zip archives in memory with libzip for the 3MF tests (unit and integration), plus byte-level patches
// that forge what libzip would never write (lying sizes, broken CRCs, renamed entries).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bambuddy::testing {

class ZipBuilder {
public:
  enum class Method { Deflate, Store };

  ZipBuilder& add(std::string name, std::string data, Method method = Method::Deflate);
  // An entry of `size` zero bytes, produced on the fly (no buffer of that size is allocated).
  ZipBuilder& addZeros(std::string name, uint64_t size);
  // An AES-256 encrypted entry.
  ZipBuilder& addEncrypted(std::string name, std::string data);
  // Replaces the data of the entry called `name`, or adds it.
  ZipBuilder& set(const std::string& name, std::string data);
  ZipBuilder& remove(const std::string& name);

  // The archive bytes; fails the current test (and returns "") when libzip refuses.
  std::string build() const;

private:
  struct Entry {
    std::string name;
    std::string data;
    uint64_t zeros = 0;
    Method method = Method::Deflate;
    bool encrypted = false;
  };
  std::vector<Entry> entries_;
};

// Byte-level patches of a built archive; each changes the central directory record of `name`
// and the matching local header, so libzip's consistency check still passes. They fail the
// current test when `name` is not found.
void patchDeclaredSize(std::string& zip, std::string_view name, uint32_t size);
void patchCompressionMethod(std::string& zip, std::string_view name, uint16_t method);
// Renames an entry to a name of the same length.
void patchName(std::string& zip, std::string_view name, std::string_view new_name);
// Flips the first occurrence of `needle` in the raw bytes (stored data) to upper/lower case so the
// CRC no longer matches.
void corruptStoredData(std::string& zip, std::string_view needle);

// A valid 1x1 grayscale PNG, built byte by byte.
std::string tinyPng();

} // namespace bambuddy::testing
