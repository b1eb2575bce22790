// Writes the small sliced 3MF a `start <serial>` without a file puts on a printer's storage: one
// plate with its predicted time, filament weight, a thumbnail and a few lines of G-code, enough
// for the server to archive it with file, thumbnail, plate and filament.
#pragma once

#include <cstdint>
#include <string>

namespace bambusim {

struct SampleProject {
  std::string title; // 3D/3dmodel.model Title
  int64_t prediction_s = 60;
  double weight_g = 7.5;
  int total_layers = 20; // written into the G-code header as a slicer does
};

// Writes the archive to `path` (created, not overwritten). Empty on success, else why not.
std::string writeSampleThreeMf(const std::string& path, const SampleProject& project);

} // namespace bambusim
