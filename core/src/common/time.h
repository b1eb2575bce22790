// The core's date/time module: clocks, and UTC timestamps as the server stores and serves them
// (ISO 8601 with 'Z'). The text forms and the calendar are the SDK's bambuddy/date_time.hpp (on
// date.h), shared with the plugins, so the server and plugins read and write the same forms.
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

// "2024-01-15T14:30:00Z", with fractional seconds ("...:00.123Z"), or with "+00:00"/"-00:00" for
// 'Z' -> epoch ms, years 0000..9999 only; nullopt for anything else, with `error` saying why
// (sdk::parseIsoUtc).
std::optional<int64_t> parseUtcTimestamp(const std::string& text, std::string& error);
std::optional<int64_t> parseUtcTimestamp(const std::string& text);

// "Sun, 06 Nov 1994 08:49:37 GMT", the HTTP Date header.
std::string formatHttpDate(int64_t epoch_ms);

} // namespace bambuddy
