// The start_print command (core -> driver, contract C of issue 14) and the MQTT project_file
// command it becomes (OpenBambuAPI): parsing with precise errors, and the wire format.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bambuddy::printer_bambu {

struct StartOptions {
  bool use_ams = true;
  std::optional<std::vector<int>> ams_mapping; // absent: the printer uses the 3MF's own mapping
  bool bed_leveling = true;
  bool flow_cali = false;
  bool vibration_cali = false;
  bool timelapse = false;
  bool layer_inspect = false;
  std::string bed_type = "auto";
};

struct StartPrintRequest {
  int64_t archive_id = 0;
  std::string filename; // the name on the printer: [A-Za-z0-9._ ()-], ends with .3mf
  std::string name;     // the job name (subtask_name); the file name without .3mf when not given
  std::optional<int64_t> estimated_time_s;
  int plate = 1; // 1..64
  std::string file_path;
  uint64_t file_size = 0;
  std::string file_sha256; // 64 lower-case hex digits
  StartOptions options;

  std::string remotePath() const { return "/" + filename; }
};

inline constexpr int kMaxPlate = 64;
inline constexpr size_t kMaxAmsMapping = 32; // one tray per filament of the print (as the core allows)
inline constexpr int kMaxTrayId = 255;       // 254/255 are the external spool holders

// The bed types Bambu Studio sends (bed_type_to_gcode_string) plus "auto".
const std::vector<std::string>& knownBedTypes();

// Parses a start_print command object. Throws sdk::Error(BB_ERR_INVALID_ARGUMENT,
// "invalid_command") naming the field and what it must be.
StartPrintRequest parseStartPrint(const nlohmann::json& command);

// {"print":{"command":"project_file",...}} for `request`, with the file's MD5 (32 hex digits).
std::string projectFilePayload(const StartPrintRequest& request, const std::string& md5_hex,
                               uint64_t sequence_id);

// The printer's answer to a project_file command, when `payload` is one.
struct ProjectFileAnswer {
  std::string sequence_id;
  bool success = false;
  std::string reason; // the printer's words ("SUCCESS", or why it refused)
};
std::optional<ProjectFileAnswer> parseProjectFileAnswer(std::string_view payload);

} // namespace bambuddy::printer_bambu
