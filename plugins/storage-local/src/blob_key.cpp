#include "blob_key.h"

#include <bambuddy/abi.h>
#include <bambuddy/sdk.hpp>

#include <cstdio>

namespace bambuddy::storage_local {
namespace {

constexpr std::size_t kQuotedKeyBytes = 120;

bool isKeyByte(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-';
}

std::string hexByte(char c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", static_cast<unsigned>(static_cast<unsigned char>(c)));
  return buf;
}

[[noreturn]] void fail(const char* reason, const char* what, std::string_view text, const std::string& why) {
  throw sdk::Error(BB_ERR_INVALID_ARGUMENT, reason, std::string(what) + " " + quoteKey(text) + ": " + why);
}

// Shared by keys and prefixes: checks the segment text[begin, end) and throws with `reason`.
void checkSegment(const char* reason, const char* what, std::string_view text, std::size_t begin,
                  std::size_t end) {
  std::string_view segment = text.substr(begin, end - begin);
  if (segment.empty()) {
    fail(reason, what, text, "empty segment at offset " + std::to_string(begin));
  }
  if (segment == "." || segment == "..") {
    fail(reason, what, text,
         "segment \"" + std::string(segment) + "\" at offset " + std::to_string(begin) + " is not allowed");
  }
  if (segment.size() > kMaxSegmentBytes) {
    fail(reason, what, text,
         "segment at offset " + std::to_string(begin) + " is " + std::to_string(segment.size()) +
             " bytes; the limit is " + std::to_string(kMaxSegmentBytes));
  }
}

// Common checks of keys and prefixes: length, relative, alphabet.
void checkText(const char* reason, const char* what, std::string_view text) {
  if (text.size() > kMaxKeyBytes) {
    fail(reason, what, text,
         std::to_string(text.size()) + " bytes; the limit is " + std::to_string(kMaxKeyBytes));
  }
  if (!text.empty() && text.front() == '/') {
    fail(reason, what, text, "must be relative (starts with '/')");
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '/' && !isKeyByte(text[i])) {
      fail(reason, what, text,
           "byte " + hexByte(text[i]) + " at offset " + std::to_string(i) +
               " is not allowed (segments use A-Z a-z 0-9 . _ - joined by '/')");
    }
  }
}

} // namespace

bool isValidSegment(std::string_view segment) {
  if (segment.empty() || segment.size() > kMaxSegmentBytes || segment == "." || segment == "..") {
    return false;
  }
  for (char c : segment) {
    if (!isKeyByte(c)) {
      return false;
    }
  }
  return true;
}

std::vector<std::string> splitKey(std::string_view key) {
  if (key.empty()) {
    fail("invalid_key", "invalid key", key, "the key is empty");
  }
  checkText("invalid_key", "invalid key", key);
  std::vector<std::string> segments;
  std::size_t begin = 0;
  while (true) {
    std::size_t slash = key.find('/', begin);
    std::size_t end = slash == std::string_view::npos ? key.size() : slash;
    checkSegment("invalid_key", "invalid key", key, begin, end);
    segments.emplace_back(key.substr(begin, end - begin));
    if (slash == std::string_view::npos) {
      return segments;
    }
    begin = slash + 1;
  }
}

std::vector<std::string> prefixDirectories(std::string_view prefix) {
  checkText("invalid_prefix", "invalid prefix", prefix);
  std::vector<std::string> directories;
  std::size_t begin = 0;
  for (std::size_t slash = prefix.find('/'); slash != std::string_view::npos;
       slash = prefix.find('/', begin)) {
    checkSegment("invalid_prefix", "invalid prefix", prefix, begin, slash);
    directories.emplace_back(prefix.substr(begin, slash - begin));
    begin = slash + 1;
  }
  // The tail is a partial segment: only its length can already be wrong.
  if (prefix.size() - begin > kMaxSegmentBytes) {
    fail("invalid_prefix", "invalid prefix", prefix,
         "last segment is " + std::to_string(prefix.size() - begin) + " bytes; the limit is " +
             std::to_string(kMaxSegmentBytes));
  }
  return directories;
}

std::string quoteKey(std::string_view key) {
  std::string out = "\"";
  std::size_t shown = key.size() < kQuotedKeyBytes ? key.size() : kQuotedKeyBytes;
  for (std::size_t i = 0; i < shown; ++i) {
    unsigned char c = static_cast<unsigned char>(key[i]);
    if (c < 0x20 || c >= 0x7F || c == '"' || c == '\\') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  if (shown < key.size()) {
    out += "... (" + std::to_string(key.size()) + " bytes)";
  }
  return out;
}

} // namespace bambuddy::storage_local
