// Standard base64 (RFC 4648 section 4, with '=' padding), for RFC 2047 encoded words and
// Standard Webhooks secrets and signatures.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace bambuddy::common::text {

std::string base64Encode(std::string_view bytes);

// Strict decoding: only the standard alphabet, length a multiple of 4, padding only at the end,
// unused bits zero. nullopt for anything else (the caller says which field was wrong).
std::optional<std::string> base64Decode(std::string_view text);

} // namespace bambuddy::common::text
