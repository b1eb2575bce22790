// UTC time helpers: every time the server stores or serves is UTC, ISO 8601 with 'Z'.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace bambuddy {

// Milliseconds since the Unix epoch (wall clock, UTC).
int64_t nowUtcMs();

// Milliseconds from a monotonic clock, for durations and deadlines.
int64_t monotonicMs();

// "2024-01-15T14:30:00.123Z"
std::string formatUtcMs(int64_t epoch_ms);

// "2024-01-15T14:30:00Z" (whole seconds, the API's form)
std::string formatUtcSeconds(int64_t epoch_ms);

// "2024-01-15T14:30:00Z" or with fractional seconds ("...:00.123Z") or "+00:00" -> epoch ms;
// nullopt for anything else.
std::optional<int64_t> parseUtcTimestamp(const std::string& text);

} // namespace bambuddy
