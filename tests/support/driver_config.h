// The core config the printer tests load: printer.bambu, and printer.sim with the YAML printers
// given (list items under its `instances:`), from the build's plugin directory, with the data
// directory in `core`'s temp dir. Header-only; for tests that link bambuddy_config.
#pragma once

#include "config/core_config.h"
#include "support/core_services.h"
#include "support/server_process.h"

#include <string>

namespace bambuddy::testing {

inline config::CoreConfig driverConfig(CoreServices& core, const std::string& sim_instances_yaml = "",
                                       bool with_sim = true) {
  std::string yaml = "data_dir: " + core.dir().path() + "\nplugins:\n  search_path: [" + pluginDir() +
                     "]\n  load:\n    - name: printer.bambu\n";
  if (with_sim) {
    yaml += "    - name: printer.sim\n";
    if (!sim_instances_yaml.empty()) {
      yaml += "      instances:\n" + sim_instances_yaml;
    }
  }
  config::Environment env;
  env.exe_dir = core.dir().path();
  return config::parseCoreConfig(yaml, core.dir().file("bambuddy.yaml"), env);
}

} // namespace bambuddy::testing
