// UTF-8 well-formedness, checked wherever text enters the config (YAML values, substituted
// variables, secret files): nlohmann::json refuses to serialize anything else.
#pragma once

#include <string>

namespace bambuddy::config {

// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool validUtf8(const std::string& s);

} // namespace bambuddy::config
