#include "archives/zip_reader.h"

#include "archives/text_values.h"
#include "archives/three_mf_error.h"

#include <zip.h>

#include <algorithm>
#include <array>
#include <memory>

namespace bambuddy::archives {
namespace {

constexpr std::size_t kChunkBytes = 64 * 1024;

std::string quoted(const ZipEntry& entry) {
  return "'" + displayName(entry.name) + "'";
}

[[noreturn]] void throwOpenError(zip_error_t& error) {
  const int code = zip_error_code_zip(&error);
  std::string message;
  switch (code) {
  case ZIP_ER_NOZIP:
    message = "not a zip archive";
    break;
  case ZIP_ER_INCONS:
    message = "not a valid zip archive (its directory does not match its entries: damaged or truncated)";
    break;
  case ZIP_ER_EXISTS: // libzip refuses an archive where two entries share a name
    zip_error_fini(&error);
    throw ThreeMfError(ThreeMfErrorCode::DuplicateEntry, "duplicate entry names in the archive");
  case ZIP_ER_MULTIDISK:
    message = "not a valid zip archive (split into several parts)";
    break;
  default:
    message = std::string("not a valid zip archive (") + zip_error_strerror(&error) + ")";
    break;
  }
  zip_error_fini(&error);
  throw ThreeMfError(ThreeMfErrorCode::NotZip, message);
}

[[noreturn]] void throwReadError(const ZipEntry& entry, zip_error_t* error) {
  const int code = error != nullptr ? zip_error_code_zip(error) : ZIP_ER_INTERNAL;
  switch (code) {
  case ZIP_ER_CRC:
    throw ThreeMfError(ThreeMfErrorCode::CorruptEntry,
                       "entry " + quoted(entry) + " is corrupt (CRC mismatch)");
  case ZIP_ER_ZLIB:
  case ZIP_ER_COMPRESSED_DATA:
    throw ThreeMfError(ThreeMfErrorCode::CorruptEntry,
                       "entry " + quoted(entry) + " is corrupt (invalid compressed data)");
  case ZIP_ER_COMPNOTSUPP:
    throw ThreeMfError(ThreeMfErrorCode::UnsupportedEntry,
                       "entry " + quoted(entry) + " uses an unsupported compression method (" +
                           std::to_string(entry.compression_method) + ")");
  case ZIP_ER_ENCRNOTSUPP:
  case ZIP_ER_NOPASSWD:
  case ZIP_ER_WRONGPASSWD:
    throw ThreeMfError(ThreeMfErrorCode::UnsupportedEntry, "entry " + quoted(entry) + " is encrypted");
  default:
    throw ThreeMfError(ThreeMfErrorCode::CorruptEntry,
                       "entry " + quoted(entry) + " cannot be read (" +
                           (error != nullptr ? zip_error_strerror(error) : "unknown error") + ")");
  }
}

struct FileCloser {
  void operator()(zip_file_t* file) const { zip_fclose(file); }
};

} // namespace

ZipReader::ZipReader(std::string_view bytes) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (source == nullptr) {
    throwOpenError(error);
  }
  open(source);
}

ZipReader::ZipReader(FromFile, const std::string& path) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_file_create(path.c_str(), 0, 0, &error) /* 0: to the end */;
  if (source == nullptr) {
    throwOpenError(error);
  }
  open(source);
}

void ZipReader::open(zip_source_t* source) {
  zip_error_t error;
  zip_error_init(&error);
  archive_.reset(zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error));
  if (!archive_) {
    zip_source_free(source); // only owned by the archive once opening succeeded
    throwOpenError(error);
  }
  zip_error_fini(&error);

  const zip_int64_t count = zip_get_num_entries(archive_.get(), 0);
  entries_.reserve(count > 0 ? static_cast<std::size_t>(count) : 0);
  for (zip_int64_t i = 0; i < count; ++i) {
    zip_stat_t stat;
    zip_stat_init(&stat);
    constexpr zip_uint64_t kNeeded =
        ZIP_STAT_NAME | ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD;
    if (zip_stat_index(archive_.get(), static_cast<zip_uint64_t>(i), ZIP_FL_ENC_RAW, &stat) != 0 ||
        (stat.valid & kNeeded) != kNeeded || stat.name == nullptr) {
      throw ThreeMfError(ThreeMfErrorCode::NotZip, "not a valid zip archive (entry #" + std::to_string(i) +
                                                       " has an unreadable header)");
    }
    ZipEntry entry;
    entry.index = static_cast<uint64_t>(i);
    entry.name = stat.name;
    entry.size = stat.size;
    entry.compressed_size = stat.comp_size;
    entry.compression_method = stat.comp_method;
    entry.encrypted = (stat.valid & ZIP_STAT_ENCRYPTION_METHOD) != 0 && stat.encryption_method != ZIP_EM_NONE;
    entry.compression_supported = zip_compression_method_supported(stat.comp_method, 0) != 0;
    entry.directory = !entry.name.empty() && entry.name.back() == '/';
    entries_.push_back(std::move(entry));
  }
}

void ZipReader::Discard::operator()(zip* archive) const {
  zip_discard(archive);
}

template <typename Sink>
bool ZipReader::stream(const ZipEntry& entry, uint64_t limit, Overflow overflow, Sink&& sink) const {
  if (entry.encrypted) {
    throw ThreeMfError(ThreeMfErrorCode::UnsupportedEntry, "entry " + quoted(entry) + " is encrypted");
  }
  std::unique_ptr<zip_file_t, FileCloser> file(zip_fopen_index(archive_.get(), entry.index, 0));
  if (!file) {
    throwReadError(entry, zip_get_error(archive_.get()));
  }
  std::array<char, kChunkBytes> buffer;
  uint64_t total = 0;
  while (true) {
    // Ask for one byte more than allowed so an entry that keeps going is noticed without ever
    // holding more than limit + 1 bytes of it.
    const uint64_t left = limit - total;
    const uint64_t room = left == UINT64_MAX ? left : left + 1;
    const zip_uint64_t want = std::min<uint64_t>(buffer.size(), room);
    const zip_int64_t got = zip_fread(file.get(), buffer.data(), want);
    if (got < 0) {
      throwReadError(entry, zip_file_get_error(file.get()));
    }
    if (got == 0) {
      break;
    }
    total += static_cast<uint64_t>(got);
    if (total > entry.size) {
      // libzip trusts the compressed stream, not the declared size; this is the lie a zip bomb
      // tells to slip past size checks.
      throw ThreeMfError(ThreeMfErrorCode::ZipBomb, "zip bomb suspected: entry " + quoted(entry) +
                                                        " expands beyond its declared size of " +
                                                        std::to_string(entry.size) + " bytes");
    }
    if (total > limit) {
      if (overflow == Overflow::Stop) {
        sink(buffer.data(), static_cast<std::size_t>(got) - static_cast<std::size_t>(total - limit));
        return false;
      }
      throw ThreeMfError(ThreeMfErrorCode::MetadataTooLarge,
                         "entry " + quoted(entry) + " is larger than " + std::to_string(limit) + " bytes");
    }
    sink(buffer.data(), static_cast<std::size_t>(got));
  }
  if (total < entry.size) {
    throw ThreeMfError(ThreeMfErrorCode::CorruptEntry, "entry " + quoted(entry) + " is corrupt (" +
                                                           std::to_string(total) + " of its declared " +
                                                           std::to_string(entry.size) + " bytes)");
  }
  return true;
}

std::string ZipReader::read(const ZipEntry& entry, uint64_t max_bytes) const {
  std::string out;
  out.reserve(static_cast<std::size_t>(std::min(entry.size, max_bytes)));
  stream(entry, max_bytes, Overflow::Fail, [&](const char* data, std::size_t n) { out.append(data, n); });
  return out;
}

std::string ZipReader::readPrefix(const ZipEntry& entry, uint64_t max_bytes, bool& complete) const {
  std::string out;
  out.reserve(static_cast<std::size_t>(std::min(entry.size, max_bytes)));
  complete =
      stream(entry, max_bytes, Overflow::Stop, [&](const char* data, std::size_t n) { out.append(data, n); });
  return out;
}

void ZipReader::verify(const ZipEntry& entry) const {
  stream(entry, entry.size, Overflow::Fail, [](const char*, std::size_t) {});
}

} // namespace bambuddy::archives
