// The settings of one simulated printer (schema/instance.schema.json) and the empty plugin config.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace bambuddy::printer_sim {

struct AutoPrint {
  std::string filename;
  bool repeat = true;
  int64_t idle_s = 10; // simulated seconds idle before the next automatic print
};

// Defaults equal the schema's; a test keeps them in step.
struct SimSettings {
  std::string model = "X1C";
  int64_t print_time_s = 600; // simulated duration when a start gives no estimate
  double speed = 1.0;         // simulated seconds per real second
  int64_t report_interval_ms = 1000;
  double nozzle_target_c = 220.0;
  double bed_target_c = 60.0;
  std::optional<AutoPrint> auto_print;
  bool start_connected = true;
};

// Parses and checks one instance's settings. The host validated them against the schema already;
// this repeats every check so a bad value never reaches the simulation (FakeHost validates
// nothing). Throws sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_settings") naming the field.
SimSettings parseSimSettings(const std::string& settings_json);

// The plugin config block must be an empty object; throws sdk::Error(..., "invalid_config").
void checkPluginConfig(const std::string& config_json);

// True when `text` has no control characters (U+0000..U+001F, U+007F).
bool isPrintable(const std::string& text);

} // namespace bambuddy::printer_sim
