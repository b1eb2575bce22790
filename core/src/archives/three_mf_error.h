// The one exception type the 3MF reader throws: a stable machine code, an HTTP status for the
// upload route and a message precise enough to show the uploader as it is.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace bambuddy::archives {

enum class ThreeMfErrorCode {
  NotZip = 1,        // not a zip archive at all (random bytes, empty, truncated end)
  NotThreeMf,        // a zip, but [Content_Types].xml or 3D/3dmodel.model is missing
  TooLarge,          // upload or its declared uncompressed total above the limit (413)
  TooManyEntries,    // more entries than the limit
  UnsafePath,        // an entry name that could escape an extraction directory
  DuplicateEntry,    // two entries with the same name (ignoring ASCII case, as OPC does)
  ZipBomb,           // an entry whose compression ratio or real size gives it away
  UnsupportedEntry,  // encrypted, or a compression method libzip cannot read
  CorruptEntry,      // CRC mismatch, bad deflate data, inconsistent headers
  MetadataTooLarge,  // a metadata entry we parse is bigger than its limit
  MalformedMetadata, // XML or JSON syntax error in a metadata entry we parse
};

// "not_zip", "not_3mf", "too_large", ... (stable, for API error bodies and tests).
std::string_view threeMfErrorCodeName(ThreeMfErrorCode code);

class ThreeMfError : public std::runtime_error {
public:
  ThreeMfError(ThreeMfErrorCode code, const std::string& message);

  ThreeMfErrorCode code() const { return code_; }
  std::string_view codeName() const { return threeMfErrorCodeName(code_); }
  // 413 for TooLarge, 400 for everything else: every other failure is a problem of the file.
  int httpStatus() const { return code_ == ThreeMfErrorCode::TooLarge ? 413 : 400; }

private:
  ThreeMfErrorCode code_;
};

} // namespace bambuddy::archives
