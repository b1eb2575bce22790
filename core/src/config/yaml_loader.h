// YAML text -> JSON document, remembering the line every value came from so later checks
// (schema validation, plugin config) can point the operator at the right line.
#pragma once

#include "config/variable_substitution.h"

#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace bambuddy::config {

struct LoadedDocument {
  nlohmann::json json;              // null for an empty file
  std::string file;                 // the name errors should show
  std::map<std::string, int> lines; // JSON pointer -> 1-based line (a mapping member: its key's line)

  // The line of `json_pointer`, or of its nearest ancestor that has one (so a missing key
  // reports the line of the object that should hold it). 1 when nothing matches.
  int lineOf(const std::string& json_pointer) const;
};

// Scalars follow the YAML 1.2 core schema: true/false, null/~/empty, decimal/0x/0o integers
// and floats become JSON booleans, null and numbers; anything quoted, block scalars and !!str
// stay strings. Throws ConfigException for syntax errors, duplicate keys, non-scalar keys,
// several documents in one file, integers out of range and unsupported tags.
// String values (never keys) have their ${VAR} references replaced from `variables`
// (variable_substitution.h; an empty lookup has no variable set); the result is always a string,
// quoted or not. A reference to an unset variable is an error naming the variable.
LoadedDocument parseYaml(const std::string& text, const std::string& file_name,
                         const VariableLookup& variables = {});

// Reads and parses `path` (errors name the file as given). Unreadable files throw ConfigException.
LoadedDocument loadYamlFile(const std::string& path, const VariableLookup& variables = {});

} // namespace bambuddy::config
