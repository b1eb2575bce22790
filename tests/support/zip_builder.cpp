#include "support/zip_builder.h"

#include <gtest/gtest.h>
#include <zip.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace bambuddy::testing {
namespace {

// A libzip source that yields `size` zero bytes.
struct ZerosSource {
  uint64_t size = 0;
  uint64_t position = 0;
  zip_error_t error;
};

zip_int64_t zerosCallback(void* state, void* data, zip_uint64_t length, zip_source_cmd_t command) {
  auto* source = static_cast<ZerosSource*>(state);
  switch (command) {
  case ZIP_SOURCE_OPEN:
    source->position = 0;
    return 0;
  case ZIP_SOURCE_READ: {
    const uint64_t n = std::min<uint64_t>(length, source->size - source->position);
    std::memset(data, 0, static_cast<std::size_t>(n));
    source->position += n;
    return static_cast<zip_int64_t>(n);
  }
  case ZIP_SOURCE_CLOSE:
    return 0;
  case ZIP_SOURCE_STAT: {
    auto* stat = static_cast<zip_stat_t*>(data);
    zip_stat_init(stat);
    stat->size = source->size;
    stat->valid |= ZIP_STAT_SIZE;
    return sizeof(zip_stat_t);
  }
  case ZIP_SOURCE_ERROR:
    return zip_error_to_data(&source->error, data, length);
  case ZIP_SOURCE_FREE:
    zip_error_fini(&source->error);
    delete source;
    return 0;
  case ZIP_SOURCE_SUPPORTS:
    return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE, ZIP_SOURCE_STAT,
                                          ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE, -1);
  default:
    zip_error_set(&source->error, ZIP_ER_OPNOTSUPP, 0);
    return -1;
  }
}

uint32_t read32(const std::string& zip, std::size_t offset) {
  uint32_t value = 0;
  for (int k = 3; k >= 0; --k) {
    value = (value << 8) | static_cast<unsigned char>(zip[offset + static_cast<std::size_t>(k)]);
  }
  return value;
}

uint16_t read16(const std::string& zip, std::size_t offset) {
  return static_cast<uint16_t>(static_cast<unsigned char>(zip[offset]) |
                               (static_cast<unsigned char>(zip[offset + 1]) << 8));
}

void write32(std::string& zip, std::size_t offset, uint32_t value) {
  for (int k = 0; k < 4; ++k) {
    zip[offset + static_cast<std::size_t>(k)] = static_cast<char>((value >> (8 * k)) & 0xFF);
  }
}

void write16(std::string& zip, std::size_t offset, uint16_t value) {
  zip[offset] = static_cast<char>(value & 0xFF);
  zip[offset + 1] = static_cast<char>(value >> 8);
}

// Offsets of the central directory record of `name` and of its local header.
bool findHeaders(const std::string& zip, std::string_view name, std::size_t& central, std::size_t& local) {
  const std::string signature("PK\x01\x02", 4);
  for (std::size_t pos = zip.find(signature); pos != std::string::npos; pos = zip.find(signature, pos + 1)) {
    if (pos + 46 > zip.size()) {
      break;
    }
    const uint16_t name_length = read16(zip, pos + 28);
    if (std::string_view(zip).substr(pos + 46, name_length) == name) {
      central = pos;
      local = read32(zip, pos + 42);
      return true;
    }
  }
  ADD_FAILURE() << "no central directory record for " << name;
  return false;
}

uint32_t crc32Of(std::string_view data) {
  uint32_t crc = 0xFFFFFFFFu;
  for (const char c : data) {
    crc ^= static_cast<unsigned char>(c);
    for (int k = 0; k < 8; ++k) {
      crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
  }
  return ~crc;
}

void appendBigEndian32(std::string& out, uint32_t value) {
  for (int k = 3; k >= 0; --k) {
    out += static_cast<char>((value >> (8 * k)) & 0xFF);
  }
}

void appendChunk(std::string& png, std::string_view type, std::string_view data) {
  appendBigEndian32(png, static_cast<uint32_t>(data.size()));
  std::string body(type);
  body += data;
  png += body;
  appendBigEndian32(png, crc32Of(body));
}

} // namespace

ZipBuilder& ZipBuilder::add(std::string name, std::string data, Method method) {
  entries_.push_back({std::move(name), std::move(data), 0, method, false});
  return *this;
}

ZipBuilder& ZipBuilder::addZeros(std::string name, uint64_t size) {
  entries_.push_back({std::move(name), {}, size, Method::Deflate, false});
  return *this;
}

ZipBuilder& ZipBuilder::addEncrypted(std::string name, std::string data) {
  entries_.push_back({std::move(name), std::move(data), 0, Method::Deflate, true});
  return *this;
}

ZipBuilder& ZipBuilder::set(const std::string& name, std::string data) {
  for (Entry& entry : entries_) {
    if (entry.name == name) {
      entry.data = std::move(data);
      return *this;
    }
  }
  return add(name, std::move(data));
}

ZipBuilder& ZipBuilder::remove(const std::string& name) {
  entries_.erase(
      std::remove_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.name == name; }),
      entries_.end());
  return *this;
}

std::string ZipBuilder::build() const {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* buffer = zip_source_buffer_create(nullptr, 0, 0, &error);
  zip_t* archive = buffer != nullptr ? zip_open_from_source(buffer, ZIP_TRUNCATE, &error) : nullptr;
  if (archive == nullptr) {
    ADD_FAILURE() << "libzip cannot create an archive: " << zip_error_strerror(&error);
    zip_source_free(buffer);
    zip_error_fini(&error);
    return {};
  }
  zip_error_fini(&error);
  zip_source_keep(buffer); // the bytes are read back after zip_close
  for (const Entry& entry : entries_) {
    zip_source_t* source = nullptr;
    if (entry.zeros > 0) {
      auto* zeros = new ZerosSource{entry.zeros, 0, {}};
      zip_error_init(&zeros->error);
      source = zip_source_function(archive, zerosCallback, zeros);
    } else {
      source = zip_source_buffer(archive, entry.data.data(), entry.data.size(), 0);
    }
    const zip_int64_t index = zip_file_add(archive, entry.name.c_str(), source, ZIP_FL_ENC_UTF_8);
    if (index < 0) {
      ADD_FAILURE() << "libzip refuses entry " << entry.name << ": " << zip_strerror(archive);
      zip_source_free(source);
      continue;
    }
    const auto i = static_cast<zip_uint64_t>(index);
    // Zeros get the fastest deflate level: they still shrink about 1000 times, in a fraction of the time.
    const zip_uint32_t level = entry.zeros > 0 ? 1 : 0;
    zip_set_file_compression(archive, i, entry.method == Method::Store ? ZIP_CM_STORE : ZIP_CM_DEFLATE,
                             level);
    if (entry.encrypted && zip_file_set_encryption(archive, i, ZIP_EM_AES_256, "secret-pass") != 0) {
      ADD_FAILURE() << "libzip cannot encrypt: " << zip_strerror(archive);
    }
  }
  if (zip_close(archive) != 0) {
    ADD_FAILURE() << "libzip cannot write the archive: " << zip_strerror(archive);
    zip_discard(archive);
    zip_source_free(buffer);
    return {};
  }
  std::string out;
  zip_stat_t stat;
  if (zip_source_stat(buffer, &stat) == 0 && zip_source_open(buffer) == 0) {
    out.resize(static_cast<std::size_t>(stat.size));
    const zip_int64_t got = zip_source_read(buffer, out.data(), out.size());
    if (got != static_cast<zip_int64_t>(out.size())) {
      ADD_FAILURE() << "short read of the built archive";
    }
    zip_source_close(buffer);
  } else {
    ADD_FAILURE() << "cannot read the built archive back";
  }
  zip_source_free(buffer);
  return out;
}

void patchDeclaredSize(std::string& zip, std::string_view name, uint32_t size) {
  std::size_t central = 0;
  std::size_t local = 0;
  if (findHeaders(zip, name, central, local)) {
    write32(zip, central + 24, size);
    write32(zip, local + 22, size);
  }
}

void patchCompressionMethod(std::string& zip, std::string_view name, uint16_t method) {
  std::size_t central = 0;
  std::size_t local = 0;
  if (findHeaders(zip, name, central, local)) {
    write16(zip, central + 10, method);
    write16(zip, local + 8, method);
  }
}

void patchName(std::string& zip, std::string_view name, std::string_view new_name) {
  ASSERT_EQ(name.size(), new_name.size());
  std::size_t central = 0;
  std::size_t local = 0;
  if (findHeaders(zip, name, central, local)) {
    zip.replace(central + 46, name.size(), new_name);
    zip.replace(local + 30, name.size(), new_name);
  }
}

void corruptStoredData(std::string& zip, std::string_view needle) {
  const std::size_t pos = zip.find(needle);
  ASSERT_NE(pos, std::string::npos) << "no " << needle << " in the archive";
  zip[pos] = static_cast<char>(zip[pos] ^ 0x20);
}

std::string tinyPng() {
  std::string png("\x89PNG\r\n\x1a\n", 8);
  std::string header;
  appendBigEndian32(header, 1);                     // width
  appendBigEndian32(header, 1);                     // height
  header += std::string("\x08\x00\x00\x00\x00", 5); // 8-bit grayscale, deflate, no filter, no interlace
  appendChunk(png, "IHDR", header);
  // zlib stream with one stored block holding the scanline [filter 0, pixel 0]; adler32 = 0x00020001.
  appendChunk(png, "IDAT", std::string("\x78\x01\x01\x02\x00\xfd\xff\x00\x00\x00\x02\x00\x01", 13));
  appendChunk(png, "IEND", "");
  return png;
}

} // namespace bambuddy::testing
