#include "archives/three_mf_error.h"

namespace bambuddy::archives {

std::string_view threeMfErrorCodeName(ThreeMfErrorCode code) {
  switch (code) {
  case ThreeMfErrorCode::NotZip:
    return "not_zip";
  case ThreeMfErrorCode::NotThreeMf:
    return "not_3mf";
  case ThreeMfErrorCode::TooLarge:
    return "too_large";
  case ThreeMfErrorCode::TooManyEntries:
    return "too_many_entries";
  case ThreeMfErrorCode::UnsafePath:
    return "unsafe_path";
  case ThreeMfErrorCode::DuplicateEntry:
    return "duplicate_entry";
  case ThreeMfErrorCode::ZipBomb:
    return "zip_bomb";
  case ThreeMfErrorCode::UnsupportedEntry:
    return "unsupported_entry";
  case ThreeMfErrorCode::CorruptEntry:
    return "corrupt_entry";
  case ThreeMfErrorCode::MetadataTooLarge:
    return "metadata_too_large";
  case ThreeMfErrorCode::MalformedMetadata:
    return "malformed_metadata";
  }
  return "unknown";
}

ThreeMfError::ThreeMfError(ThreeMfErrorCode code, const std::string& message)
    : std::runtime_error(message), code_(code) {}

} // namespace bambuddy::archives
