// Turning untrusted bytes from an uploaded archive into values that are safe to keep: strings that
// are valid UTF-8 of bounded length (nlohmann::json refuses to dump anything else) and numbers
// parsed without the locale.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bambuddy::archives {

// Metadata strings (title, designer, filament type, ...) are cut to this many bytes.
inline constexpr std::size_t kMaxTextBytes = 1024;

// `raw` trimmed of ASCII whitespace, invalid UTF-8 replaced by U+FFFD and cut to `max_bytes` on a
// character boundary. `truncated` (if given) tells whether the cut dropped anything.
std::string cleanText(std::string_view raw, std::size_t max_bytes = kMaxTextBytes, bool* truncated = nullptr);

// An entry name for an error message: control characters and invalid UTF-8 bytes become \xNN and
// names longer than 200 bytes end in "...", so the message is printable and valid JSON.
std::string displayName(std::string_view raw);

// Whole-string parses (after trimming ASCII whitespace): "12", "-3"; "0.2", "1e3". Anything else,
// including empty text, trailing garbage, NaN and infinities, gives nullopt.
std::optional<int64_t> parseInteger(std::string_view text);
std::optional<double> parseDecimal(std::string_view text);

// A quantity read from a metadata value: a non-negative number (amountOrWarn) or a non-negative
// whole number, rounding decimals (countOrWarn). Empty text is absent. Anything else is absent too
// and adds the warning "<what>: '<raw>' is not a non-negative number; ignored".
std::optional<double> amountOrWarn(std::string_view raw, const std::string& what,
                                   std::vector<std::string>& warnings);
std::optional<int64_t> countOrWarn(std::string_view raw, const std::string& what,
                                   std::vector<std::string>& warnings);

} // namespace bambuddy::archives
