// Strict UTF-8 checking and repair for payloads that are supposed to be JSON text.
#pragma once

#include <string>
#include <string_view>

namespace bambuddy::printer_bambu {

// True when `text` is well-formed UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
bool isValidUtf8(std::string_view text);

// `text` with every byte that is not part of a well-formed sequence replaced by U+FFFD.
std::string repairUtf8(std::string_view text);

// The replacement character as UTF-8, for spotting repaired strings.
inline constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";

} // namespace bambuddy::printer_bambu
