// Validating an uploaded 3MF (Bambu Studio / OrcaSlicer project or sliced ".gcode.3mf") held in
// memory and extracting what the archives feature shows and stores about it.
//
// Validation, in this order (the first failure throws ThreeMfError, see three_mf_error.h):
//   1. size of the upload (413), then the entry count the zip's end record declares, read before
//      libzip allocates anything for the entries;
//   2. every entry name (no absolute paths, "..", backslashes, colons, control characters, no
//      duplicates ignoring case), no encryption, a compression method libzip can read;
//   3. declared sizes, before anything is decompressed: per-entry compression ratio (zip bomb)
//      and the total uncompressed size (413);
//   4. the 3MF core parts: [Content_Types].xml and 3D/3dmodel.model must exist;
//   5. when `verify_all_entries` is set (default), every entry is decompressed once into a
//      scratch buffer: CRC, bad deflate data and entries expanding past their declared size;
//   6. the metadata parts we read must be well-formed: [Content_Types].xml and 3D/3dmodel.model
//      (XML), Metadata/slice_info.config and Metadata/model_settings.config (XML, when present),
//      Metadata/project_settings.config (JSON, when present). A syntax error is a 400 naming the
//      entry, line and column: the slicer never writes one, so the file is damaged or forged.
//
// Values are lenient where syntax is strict: a number that does not parse ("abc", "-5", "nan"),
// an unknown JSON shape or an oversized or non-PNG thumbnail is left out and explained in
// `warnings`, since slicer versions differ in what they write and the print itself is fine.
//
// Unsliced project files (no Metadata/slice_info.config, no plate G-code) are valid: `sliced` is
// false, plates come from Metadata/model_settings.config (index and name only) and filament
// types from the project's configured filaments; times and weights stay empty.
//
// 3D/3dmodel.model up to `max_metadata_entry_bytes` is parsed whole. Larger ones carry their
// geometry inline (Bambu and Orca put it in 3D/Objects/); for those only the part before
// <resources>, where the 3MF core spec puts the model's <metadata>, is read and parsed.
// pugixml expands no external or DTD entities, so XML cannot pull in files or blow up.
#pragma once

#include "archives/three_mf_error.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bambuddy::archives {

struct ThreeMfLimits {
  uint64_t max_file_bytes = 200ull << 20;             // the upload itself (413 above)
  uint64_t max_total_uncompressed_bytes = 1ull << 30; // sum of declared entry sizes (413 above)
  uint32_t max_entries = 10000;
  // Zip bomb: an entry declaring more than `ratio_check_min_bytes` uncompressed that expands more
  // than this many times. Deflated G-code and model XML stay far below it; zeros reach ~1000.
  double max_compression_ratio = 200;
  uint64_t ratio_check_min_bytes = 1ull << 20;
  uint64_t max_metadata_entry_bytes = 4ull << 20; // each XML/JSON part we parse (pugixml may need ~20x)
  uint64_t max_thumbnail_bytes = 4ull << 20;      // a larger thumbnail is skipped (warning)
  // Decompress every entry once to check CRCs and real sizes (costs about a second per few
  // hundred MB of G-code). Off: only the parts read below are checked.
  bool verify_all_entries = true;
};

// One filament of a sliced plate (Metadata/slice_info.config <filament>): only the ones used.
struct FilamentUse {
  int slot = 0;      // the slicer's 1-based filament id; 0 when missing or not a number
  std::string type;  // "PLA", "PETG-CF", ...
  std::string color; // "#RRGGBB" or "#RRGGBBAA" as the slicer wrote it
  std::optional<double> used_g;
  std::optional<double> used_m;
};

// An object on a sliced plate (<object identify_id name skipped>).
struct PlateObject {
  std::optional<int64_t> identify_id;
  std::string name;
  bool skipped = false;
};

struct PlateInfo {
  int index = 0;                               // 1-based plate number as the slicer numbers it
  std::string name;                            // plater_name from model_settings.config; often empty
  std::optional<int64_t> print_time_s;         // "prediction"
  std::optional<double> weight_g;              // "weight"
  std::optional<std::string> printer_model_id; // "C11", "N2S", ...
  std::optional<double> nozzle_diameter_mm;    // first of "nozzle_diameters"
  std::vector<FilamentUse> filaments;
  std::vector<PlateObject> objects;
  std::optional<std::string> thumbnail_entry; // e.g. "Metadata/plate_1.png", when in the archive
  std::optional<std::string> gcode_entry;     // e.g. "Metadata/plate_1.gcode", when in the archive
};

struct ThreeMfMetadata {
  // From 3D/3dmodel.model <metadata name="...">.
  std::optional<std::string> title;
  std::optional<std::string> designer;
  std::optional<std::string> design_model_id;   // MakerWorld model id ("DesignModelId")
  std::optional<std::string> design_profile_id; // MakerWorld print profile id
  std::optional<std::string> profile_title;
  std::optional<std::string> slicer; // "Application": "BambuStudio-01.10.01.50", "OrcaSlicer-2.2.0"
  // From slice_info.config <header>: X-BBL-Client-Version, e.g. "01.10.01.50".
  std::optional<std::string> slicer_version;
  // From project_settings.config.
  std::optional<std::string> printer_model; // "Bambu Lab X1 Carbon"
  std::optional<std::string> print_profile; // print_settings_id, "0.20mm Standard @BBL X1C"
  std::optional<std::string> bed_type;      // curr_bed_type, "Textured PEI Plate"
  std::optional<double> layer_height_mm;
  std::optional<double> nozzle_diameter_mm; // project setting, else the first plate's
  // The first plate's printer_model_id ("C11"), from slice_info.config.
  std::optional<std::string> printer_model_id;

  bool sliced = false;           // some Metadata/plate_<n>.gcode is present
  std::vector<PlateInfo> plates; // ascending plate index
  // Sums over the plates that have the value; empty when none has.
  std::optional<int64_t> total_print_time_s;
  std::optional<double> total_filament_g; // plate weight, else the sum of its filaments' used_g
  // Unique, in first-seen order: the plates' filaments, else the project's configured ones.
  std::vector<std::string> filament_types;
  std::vector<std::string> filament_colors;

  // The preview: the first plate's thumbnail, else Metadata/plate_1.png, Metadata/thumbnail.png,
  // Auxiliaries/.thumbnails/thumbnail_3mf.png or thumbnail_middle.png; PNG only.
  std::optional<std::string> thumbnail_entry;
  std::optional<std::string> thumbnail_png; // its bytes, at most max_thumbnail_bytes

  uint64_t entry_count = 0;
  uint64_t uncompressed_bytes = 0;   // sum of declared entry sizes
  std::vector<std::string> warnings; // values left out, and why
};

// Validates `bytes` as a 3MF and extracts its metadata; throws ThreeMfError (see the top of this
// file). `bytes` is only read during the call.
ThreeMfMetadata parseThreeMf(std::string_view bytes, const ThreeMfLimits& limits = {});
// The same for a file on disk (an upload streamed to a temporary file), read on demand so a large
// upload is never held in memory. Throws std::runtime_error when the file cannot be read at all.
ThreeMfMetadata parseThreeMfFile(const std::string& path, const ThreeMfLimits& limits = {});

// Everything above as a JSON object with snake_case keys; absent values are null. The thumbnail
// bytes are left out (only "thumbnail_entry" and "thumbnail_bytes", its size, are given).
nlohmann::json toJson(const ThreeMfMetadata& metadata);

} // namespace bambuddy::archives
