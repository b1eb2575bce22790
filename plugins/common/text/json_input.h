// Reading a plugin's config block or instance settings: parse errors and unknown keys become
// sdk::Error(BB_ERR_INVALID_ARGUMENT) with the caller's reason code and a message naming the key.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace bambuddy::common::text {

// Throws sdk::Error(BB_ERR_INVALID_ARGUMENT, reason, "<what> is not valid JSON") or
// "<what> must be a JSON object, got array".
nlohmann::json parseJsonObject(const std::string& text, const std::string& reason, const std::string& what);

// Throws sdk::Error(BB_ERR_INVALID_ARGUMENT, reason, "<what>: unknown property /x (allowed: a, b)").
void rejectUnknownKeys(const nlohmann::json& object, const std::vector<std::string>& allowed,
                       const std::string& reason, const std::string& what);

} // namespace bambuddy::common::text
