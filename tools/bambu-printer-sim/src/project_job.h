// A print job from a 3MF on a printer's storage, checked the way a printer checks what
// project_file names: the file exists, its MD5 matches (when one is given), it is a valid 3MF
// (read with the core's 3MF reader, bounded) and has the plate's G-code. The job's length and
// filament come from that plate's Metadata/slice_info.config data.
#pragma once

#include "printer_model.h"
#include "storage.h"

#include <cstdint>
#include <optional>
#include <string>

namespace bambusim {

struct JobTiming {
  double time_scale = 1;           // real seconds per printed second (--time-scale)
  double fallback_duration_s = 60; // a plate without a predicted time (--job-duration-s)
};

struct ProjectJob {
  JobSpec job; // filename, gcode_file, duration, layers; the caller names it
  int plate = 1;
  std::optional<int64_t> prediction_s; // the plate's predicted print time
  std::optional<double> weight_g;      // the plate's filament
};

// "Metadata/plate_3.gcode" -> 3; 0 when `param` is not of that form (or the number is not 1..999).
int plateFromParam(const std::string& param);

// Loads the job for `plate` of the 3MF at `relative` in `storage`. `md5` (32 hex digits, either
// case) is compared when non-empty. Returns "" and fills `out`, or the reason for refusing it.
std::string loadProjectJob(const PrinterStorage& storage, const std::string& relative, int plate,
                           const std::string& md5, const JobTiming& timing, ProjectJob& out);

// The lowercase hex MD5 of everything readable from `fd` (from offset 0). Empty on a read error.
std::string md5Hex(int fd);

} // namespace bambusim
