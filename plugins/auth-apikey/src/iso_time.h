// ISO 8601 UTC timestamps, the only time format of the REST API and of the stored documents.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bambuddy::auth_apikey {

// Accepts "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+00:00|-00:00)" ('t'/'z' too). Other offsets are
// refused: the API speaks UTC only. Returns ms since the epoch.
std::optional<int64_t> parseIsoUtc(std::string_view text);

// "2024-01-15T14:30:00Z" (whole seconds, the API's form).
std::string formatIsoSeconds(int64_t epoch_ms);

// "2024-01-15T14:30:00.123Z" (for stored documents, lossless).
std::string formatIsoMs(int64_t epoch_ms);

} // namespace bambuddy::auth_apikey
