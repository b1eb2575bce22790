#include "archives/entry_name.h"

#include "archives/text_values.h"
#include "archives/three_mf_error.h"

namespace bambuddy::archives {
namespace {

[[noreturn]] void rejectName(std::string_view name, std::string_view reason) {
  throw ThreeMfError(ThreeMfErrorCode::UnsafePath,
                     "entry '" + displayName(name) + "' " + std::string(reason));
}

} // namespace

void checkEntryName(std::string_view name) {
  if (name.empty()) {
    rejectName(name, "has an empty name");
  }
  for (const char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) {
      rejectName(name, "is not a safe relative path (control character)");
    }
    if (c == '\\') {
      rejectName(name, "is not a safe relative path (backslash)");
    }
    if (c == ':') {
      rejectName(name, "is not a safe relative path (drive letter or colon)");
    }
  }
  if (name.front() == '/') {
    rejectName(name, "escapes the archive (absolute path)");
  }
  // Split on '/'; a single trailing '/' marks a directory entry and is fine.
  std::string_view rest = name.back() == '/' ? name.substr(0, name.size() - 1) : name;
  bool normalized = true;
  while (true) {
    const std::size_t slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    if (segment == "..") {
      rejectName(name, "escapes the archive (path traversal)");
    }
    if (segment.empty() || segment == ".") {
      normalized = false; // reported after the loop so a later ".." still wins
    }
    if (slash == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(slash + 1);
  }
  if (!normalized) {
    rejectName(name, "is not a safe relative path (empty or '.' segment)");
  }
}

std::string entryNameKey(std::string_view name) {
  std::string key(name);
  for (char& c : key) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return key;
}

} // namespace bambuddy::archives
