// Metadata/project_settings.config: the slicer's full settings as one JSON object whose values
// are strings or arrays of strings, even for numbers ("layer_height": "0.2",
// "nozzle_diameter": ["0.4"], "filament_type": ["PLA", "PETG"]).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bambuddy::archives {

inline constexpr std::string_view kProjectSettingsEntry = "Metadata/project_settings.config";

struct ProjectSettings {
  std::optional<std::string> printer_model; // "printer_model"
  std::optional<std::string> print_profile; // "print_settings_id"
  std::optional<std::string> bed_type;      // "curr_bed_type"
  std::optional<double> layer_height_mm;    // "layer_height"
  std::optional<double> nozzle_diameter_mm; // first of "nozzle_diameter"
  std::vector<std::string> filament_types;  // "filament_type", one per configured filament
  std::vector<std::string> filament_colors; // "filament_colour"
};

// Throws ThreeMfError(MalformedMetadata) for a JSON syntax error (with line, column and byte),
// nesting deeper than 64 levels, or a root that is not an object. Values of an unexpected shape
// or not numbers where numbers belong are skipped with a warning.
ProjectSettings parseProjectSettings(std::string_view json, std::vector<std::string>& warnings);

} // namespace bambuddy::archives
