// ${VAR} references in the config file's string values, so secrets and per-host values can come
// from the environment (Docker, systemd) instead of being written into the YAML.
//
// Forms (POSIX shell meaning):
//   ${NAME}            the value of NAME; an unset NAME is an error (an empty one gives "")
//   ${NAME:-default}   NAME's value, or `default` when NAME is unset or empty
//   ${NAME-default}    NAME's value, or `default` when NAME is unset (an empty NAME gives "")
//   $${               a literal "${" (any other "$" is copied as it is)
// NAME is [A-Za-z_][A-Za-z0-9_]*; `default` is literal text up to the first "}" (no nesting).
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace bambuddy::config {

// The value of an environment variable, or nullopt when it is not set.
using VariableLookup = std::function<std::optional<std::string>(const std::string& name)>;

struct SubstitutionResult {
  std::string value;        // the text with every reference replaced (valid only when ok())
  std::string error;        // names the variable or the malformed reference, never a value
  bool substituted = false; // at least one ${...} was replaced
  bool ok() const { return error.empty(); }
};

// True when `text` holds "${" (a reference or an escaped one): only such values are rewritten.
bool hasVariableSyntax(const std::string& text);

// Replaces the references in `text`. An empty `lookup` means no variable is set.
SubstitutionResult substituteVariables(const std::string& text, const VariableLookup& lookup);

} // namespace bambuddy::config
