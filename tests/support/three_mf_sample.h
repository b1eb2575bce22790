// A small sliced 3MF, made by the test (no third-party model): one plate with a print time,
// filament weight and a thumbnail, enough for uploads, queueing and statistics.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bambuddy::testing {

std::string sampleThreeMf(const std::string& title, int64_t print_time_s, double filament_g);

// The same project with a stored (uncompressed) plate G-code of `gcode_bytes` varied text, so the
// file is about that big: for upload and download tests of large files.
std::string largeThreeMf(const std::string& title, uint64_t gcode_bytes);

struct SamplePlate {
  int index = 1;
  int64_t print_time_s = 60;
  double filament_g = 1.0;
};

// A project with several sliced plates (each with its own time, weight, thumbnail and G-code), as
// Bambu Studio writes one when every plate is sliced.
std::string multiPlateThreeMf(const std::string& title, const std::vector<SamplePlate>& plates);

} // namespace bambuddy::testing
