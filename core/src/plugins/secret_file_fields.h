// `<field>_file` siblings in a plugin's config block or instance settings: for each property the
// plugin's schema marks secret (secret_fields.h), the config file may name a file holding the
// value instead (`access_code_file: /run/secrets/x1c`). Resolved before schema validation, so the
// plugin and its schema only ever see `<field>`. Only the config file is resolved this way: the
// API never reads files on a client's behalf.
#pragma once

#include "config/config_error.h"
#include "config/yaml_loader.h"

#include <nlohmann/json.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace bambuddy::plugins {

struct SecretFileResolution {
  // Where each value read from a file came from: pointer of `<field>` -> pointer of
  // `<field>_file` (both in the config document), so later errors point at the operator's line.
  std::map<std::string, std::string> origins;
  // Pointers of `<field>`s whose file could not be used: their schema issues ("required") would
  // only repeat the error.
  std::set<std::string> failed;
  std::vector<config::ConfigError> errors; // with file and line; never any content

  // The pointer to report an issue at `pointer` under: the `_file` member's when the value came
  // from a file, `pointer` otherwise.
  std::string reportedPointer(const std::string& pointer) const;
  // True when `pointer` is at or below a field whose file failed.
  bool isFailed(const std::string& pointer) const;
};

// Replaces every `<field>_file` member of `block` (at `block_pointer` in `doc`) whose `<field>`
// is a secret text property of `schema` (at any object depth the schema describes) and not
// itself a declared property, by `<field>` holding the file's content (config/secret_file.h;
// relative paths against `base_dir`). Problems: both members given, a path that is not a string,
// a field that is not text, a file that cannot be read.
SecretFileResolution resolveSecretFiles(nlohmann::json& block, const nlohmann::json& schema,
                                        const std::string& block_pointer, const config::LoadedDocument& doc,
                                        const std::string& base_dir);

} // namespace bambuddy::plugins
