// JSON Pointer (RFC 6901) helpers and the dotted form config errors show to operators.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace bambuddy::config {

// "/a" + "b/c" -> "/a/b~1c"
std::string childPointer(const std::string& parent, const std::string& key);
std::string childPointer(const std::string& parent, std::size_t index);

// Unescaped tokens; "" (the root) gives no tokens. Text not starting with '/' is treated as
// if it did, so a malformed pointer still yields something readable.
std::vector<std::string> splitPointer(const std::string& pointer);

// "/plugins/load/2/config/topic" -> "plugins.load[2].config.topic"; the root is "".
// With `doc`, a token is shown as an index exactly where the document holds an array; where
// the document has nothing (a missing key), and without `doc`, all-digit tokens count as indices.
std::string displayPath(const std::string& pointer, const nlohmann::json* doc = nullptr);

} // namespace bambuddy::config
