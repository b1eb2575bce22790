// SPDX-License-Identifier: MIT
//
// bambuddy/json_limits.hpp — a size and nesting-depth check for JSON text, run before the text is
// parsed. Header-only C++17 with no dependencies; used by the server (request bodies, plugin JSON,
// stored documents) and by plugins (printer reports, settings). Not part of the binary ABI.
//
// Why a pre-scan: nlohmann::json parses iteratively, but copying, comparing, dumping and merging a
// parsed document recurse once per nesting level, so 200,000 '[' overflow the stack long after
// the parse succeeded. Refusing deep text up front bounds every later recursion by max_depth.
//
// The scan is one linear pass that counts '[' and '{' outside strings. For valid JSON the depth it
// finds is exactly the document's depth. For invalid JSON it agrees with the parser up to the
// first syntax error (strings are delimited the same way), so the parser never gets deeper than
// the scan allowed before it stops with its own error.
#pragma once

#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

namespace bambuddy::sdk {

// Depth of `[]` and `{}` is 1, of `{"a":[1]}` 2; scalars are depth 0.
inline constexpr std::size_t kDefaultJsonMaxDepth = 64;
inline constexpr std::size_t kDefaultJsonMaxBytes = 1024 * 1024;

struct JsonLimits {
  std::size_t max_depth = kDefaultJsonMaxDepth;
  std::size_t max_bytes = kDefaultJsonMaxBytes;
};

struct JsonLimitCheck {
  enum class Verdict { Ok, TooLarge, TooDeep };
  Verdict verdict = Verdict::Ok;
  std::size_t offset = 0; // TooDeep: byte of the first bracket past the limit
  std::size_t limit = 0;  // the limit that was passed (bytes or levels)

  bool ok() const { return verdict == Verdict::Ok; }
  explicit operator bool() const { return ok(); }

  // "JSON nested deeper than 64 levels (at byte 64)" / "JSON text of 2000000 bytes exceeds the
  // limit of 1048576 bytes"; empty when ok.
  std::string message(std::size_t size) const {
    switch (verdict) {
    case Verdict::TooDeep:
      return "JSON nested deeper than " + std::to_string(limit) + " levels (at byte " +
             std::to_string(offset) + ")";
    case Verdict::TooLarge:
      return "JSON text of " + std::to_string(size) + " bytes exceeds the limit of " + std::to_string(limit) +
             " bytes";
    case Verdict::Ok:
      break;
    }
    return std::string();
  }
};

// Checks `text` against `limits` without parsing it. Stops at the first bracket past max_depth.
inline JsonLimitCheck checkJsonLimits(std::string_view text, const JsonLimits& limits = JsonLimits()) {
  JsonLimitCheck result;
  if (text.size() > limits.max_bytes) {
    result.verdict = JsonLimitCheck::Verdict::TooLarge;
    result.limit = limits.max_bytes;
    return result;
  }
  std::size_t depth = 0;
  const char* const begin = text.data();
  const char* const end = begin + text.size();
  for (const char* p = begin; p != end; ++p) {
    switch (*p) {
    case '"': {
      // Skip the string: it ends at the first quote preceded by an even run of backslashes (a
      // backslash escapes exactly one character, and \uXXXX's hex digits are never quotes), which
      // is where the JSON lexer ends it. memchr keeps long strings cheap.
      const char* const open = p;
      while (true) {
        p = static_cast<const char*>(std::memchr(p + 1, '"', static_cast<std::size_t>(end - p - 1)));
        if (p == nullptr) {
          return result; // unterminated: the parser reports it
        }
        std::size_t backslashes = 0;
        for (const char* b = p - 1; b != open && *b == '\\'; --b) {
          ++backslashes;
        }
        if (backslashes % 2 == 0) {
          break;
        }
      }
      break;
    }
    case '[':
    case '{':
      if (++depth > limits.max_depth) {
        result.verdict = JsonLimitCheck::Verdict::TooDeep;
        result.offset = static_cast<std::size_t>(p - begin);
        result.limit = limits.max_depth;
        return result;
      }
      break;
    case ']':
    case '}':
      if (depth == 0) {
        return result; // a stray closer is a syntax error the parser reports at this point
      }
      --depth;
      break;
    default:
      break;
    }
  }
  return result;
}

} // namespace bambuddy::sdk
