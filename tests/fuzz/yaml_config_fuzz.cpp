// bambuddy.yaml through the real loader: YAML parse (line map included), ${VAR} substitution,
// validation against the embedded core schema, defaults and the typed config. Bad input must be a
// ConfigException.
#include "config/config_error.h"
#include "config/core_config.h"
#include "config/yaml_loader.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

using namespace bambuddy::config;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  Environment env;
  env.exe_dir = "/nonexistent-bambuddy-fuzz";
  // ${VAR} substitution: a few fixed variables (one empty), every other name unset.
  env.variables = [](const std::string& name) -> std::optional<std::string> {
    if (name == "A" || name == "HOST") {
      return std::string("value-of-") + name;
    }
    if (name == "EMPTY") {
      return std::string();
    }
    return std::nullopt;
  };
  try {
    LoadedDocument doc = parseYaml(text, "fuzz.yaml");
    for (const auto& [pointer, line] : doc.lines) {
      (void)doc.lineOf(pointer + "/x");
    }
  } catch (const ConfigException&) {
  }
  try {
    CoreConfig config = parseCoreConfig(text, "/nonexistent-bambuddy-fuzz/bambuddy.yaml", env);
    (void)config.plugins.size();
  } catch (const ConfigException&) {
  }
  return 0;
}
