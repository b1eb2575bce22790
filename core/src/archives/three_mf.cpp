#include "archives/three_mf.h"

#include "archives/entry_name.h"
#include "archives/model_parts.h"
#include "archives/project_settings.h"
#include "archives/slice_info.h"
#include "archives/text_values.h"
#include "archives/zip_preflight.h"
#include "archives/zip_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <unordered_map>

namespace bambuddy::archives {
namespace {

constexpr std::string_view kPngSignature = "\x89PNG\r\n\x1a\n";

std::string quoted(std::string_view name) {
  return "'" + displayName(name) + "'";
}

// The archive's entries after the structural checks, looked up the way OPC names work
// (ignoring ASCII case).
class EntryIndex {
public:
  EntryIndex(const ZipReader& zip, const ThreeMfLimits& limits) {
    for (const ZipEntry& entry : zip.entries()) {
      checkEntryName(entry.name);
      if (!by_key_.emplace(entryNameKey(entry.name), &entry).second) {
        throw ThreeMfError(ThreeMfErrorCode::DuplicateEntry, "duplicate entry " + quoted(entry.name));
      }
      if (entry.encrypted) {
        throw ThreeMfError(ThreeMfErrorCode::UnsupportedEntry,
                           "entry " + quoted(entry.name) + " is encrypted");
      }
      if (!entry.compression_supported) {
        throw ThreeMfError(ThreeMfErrorCode::UnsupportedEntry,
                           "entry " + quoted(entry.name) + " uses an unsupported compression method (" +
                               std::to_string(entry.compression_method) + ")");
      }
      checkRatio(entry, limits);
      // Saturating: the sum of forged 64-bit sizes must not wrap below the limit.
      total_bytes_ = entry.size > UINT64_MAX - total_bytes_ ? UINT64_MAX : total_bytes_ + entry.size;
    }
    if (total_bytes_ > limits.max_total_uncompressed_bytes) {
      throw ThreeMfError(ThreeMfErrorCode::TooLarge,
                         "archive is too large uncompressed (" + std::to_string(total_bytes_) +
                             " bytes declared; limit " + std::to_string(limits.max_total_uncompressed_bytes) +
                             ")");
    }
  }

  const ZipEntry* find(std::string_view name) const {
    const auto it = by_key_.find(entryNameKey(name));
    return it == by_key_.end() ? nullptr : it->second;
  }
  uint64_t totalBytes() const { return total_bytes_; }

private:
  static void checkRatio(const ZipEntry& entry, const ThreeMfLimits& limits) {
    if (entry.size <= limits.ratio_check_min_bytes) {
      return;
    }
    const double ratio =
        static_cast<double>(entry.size) / static_cast<double>(std::max<uint64_t>(entry.compressed_size, 1));
    if (ratio > limits.max_compression_ratio) {
      throw ThreeMfError(ThreeMfErrorCode::ZipBomb, "zip bomb suspected: entry " + quoted(entry.name) +
                                                        " expands from " +
                                                        std::to_string(entry.compressed_size) + " to " +
                                                        std::to_string(entry.size) + " bytes");
    }
  }

  std::unordered_map<std::string, const ZipEntry*> by_key_;
  uint64_t total_bytes_ = 0;
};

void requireCoreParts(const EntryIndex& entries) {
  std::string missing;
  for (const std::string_view part : {kContentTypesEntry, kModelEntry}) {
    if (entries.find(part) == nullptr) {
      missing += missing.empty() ? "" : " and ";
      missing += part;
    }
  }
  if (!missing.empty()) {
    throw ThreeMfError(ThreeMfErrorCode::NotThreeMf, "not a 3MF file: " + missing + " missing");
  }
}

// A metadata part we parse, read whole; its declared size is checked before decompressing.
std::string readPart(const ZipReader& zip, const ZipEntry& entry, const ThreeMfLimits& limits) {
  if (entry.size > limits.max_metadata_entry_bytes) {
    throw ThreeMfError(ThreeMfErrorCode::MetadataTooLarge,
                       "entry " + quoted(entry.name) + " is too large to read (" +
                           std::to_string(entry.size) + " bytes; limit " +
                           std::to_string(limits.max_metadata_entry_bytes) + ")");
  }
  return zip.read(entry, limits.max_metadata_entry_bytes);
}

ModelMetadata readModel(const ZipReader& zip, const ZipEntry& entry, const ThreeMfLimits& limits,
                        std::vector<std::string>& warnings) {
  bool complete = false;
  const std::string text = zip.readPrefix(entry, limits.max_metadata_entry_bytes, complete);
  return parseModelMetadata(text, complete, warnings);
}

// "Metadata/plate_12.gcode" -> true (any plate's G-code means the file was sliced).
bool isPlateGcode(std::string_view key) {
  constexpr std::string_view kPrefix = "metadata/plate_";
  constexpr std::string_view kSuffix = ".gcode";
  if (key.size() <= kPrefix.size() + kSuffix.size() || key.substr(0, kPrefix.size()) != kPrefix ||
      key.substr(key.size() - kSuffix.size()) != kSuffix) {
    return false;
  }
  const std::string_view digits = key.substr(kPrefix.size(), key.size() - kPrefix.size() - kSuffix.size());
  return std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The stored name of the first of `candidates` present in the archive. model_settings.config
// writes its references with or without a leading '/'.
std::optional<std::string> presentEntry(const EntryIndex& entries,
                                        std::initializer_list<std::string_view> candidates) {
  for (std::string_view name : candidates) {
    while (!name.empty() && name.front() == '/') {
      name.remove_prefix(1);
    }
    if (name.empty()) {
      continue;
    }
    if (const ZipEntry* entry = entries.find(name); entry != nullptr && !entry->directory) {
      return entry->name;
    }
  }
  return std::nullopt;
}

void attachPlateFiles(std::vector<PlateInfo>& plates, const std::vector<ModelSettingsPlate>& settings,
                      const EntryIndex& entries) {
  for (PlateInfo& plate : plates) {
    const auto match = std::find_if(settings.begin(), settings.end(),
                                    [&](const ModelSettingsPlate& s) { return s.index == plate.index; });
    const ModelSettingsPlate* from_settings = match == settings.end() ? nullptr : &*match;
    if (from_settings != nullptr && plate.name.empty()) {
      plate.name = from_settings->name;
    }
    const std::string number = std::to_string(plate.index);
    const std::string thumbnail = "Metadata/plate_" + number + ".png";
    const std::string gcode = "Metadata/plate_" + number + ".gcode";
    // Views of the stored strings (a ternary with "" would view a temporary copy instead).
    std::string_view thumbnail_setting;
    std::string_view gcode_setting;
    if (from_settings != nullptr && from_settings->thumbnail_file) {
      thumbnail_setting = *from_settings->thumbnail_file;
    }
    if (from_settings != nullptr && from_settings->gcode_file) {
      gcode_setting = *from_settings->gcode_file;
    }
    plate.thumbnail_entry = presentEntry(entries, {thumbnail, thumbnail_setting});
    plate.gcode_entry = presentEntry(entries, {gcode, gcode_setting});
  }
}

template <typename T> void addUnique(std::vector<T>& list, const T& value) {
  if (std::find(list.begin(), list.end(), value) == list.end()) {
    list.push_back(value);
  }
}

void computeTotals(ThreeMfMetadata& metadata, const ProjectSettings& project) {
  for (const PlateInfo& plate : metadata.plates) {
    if (plate.print_time_s) {
      metadata.total_print_time_s = metadata.total_print_time_s.value_or(0) + *plate.print_time_s;
    }
    std::optional<double> grams = plate.weight_g;
    for (const FilamentUse& filament : plate.filaments) {
      if (!plate.weight_g && filament.used_g) {
        grams = grams.value_or(0) + *filament.used_g;
      }
      if (!filament.type.empty()) {
        addUnique(metadata.filament_types, filament.type);
      }
      if (!filament.color.empty()) {
        addUnique(metadata.filament_colors, filament.color);
      }
    }
    if (grams) {
      metadata.total_filament_g = metadata.total_filament_g.value_or(0) + *grams;
    }
  }
  if (metadata.filament_types.empty()) {
    for (const std::string& type : project.filament_types) {
      if (!type.empty()) {
        addUnique(metadata.filament_types, type);
      }
    }
  }
  if (metadata.filament_colors.empty()) {
    for (const std::string& color : project.filament_colors) {
      if (!color.empty()) {
        addUnique(metadata.filament_colors, color);
      }
    }
  }
}

void pickThumbnail(ThreeMfMetadata& metadata, const ZipReader& zip, const EntryIndex& entries,
                   const ThreeMfLimits& limits) {
  std::string_view first_plate;
  if (!metadata.plates.empty() && metadata.plates.front().thumbnail_entry) {
    first_plate = *metadata.plates.front().thumbnail_entry;
  }
  std::vector<std::string> tried; // the first plate's thumbnail is often plate_1.png again
  for (const std::string_view candidate :
       {first_plate, std::string_view("Metadata/plate_1.png"), std::string_view("Metadata/thumbnail.png"),
        std::string_view("Auxiliaries/.thumbnails/thumbnail_3mf.png"),
        std::string_view("Auxiliaries/.thumbnails/thumbnail_middle.png")}) {
    const std::optional<std::string> name = presentEntry(entries, {candidate});
    if (!name || std::find(tried.begin(), tried.end(), *name) != tried.end()) {
      continue;
    }
    tried.push_back(*name);
    const ZipEntry& entry = *entries.find(*name);
    if (entry.size > limits.max_thumbnail_bytes) {
      metadata.warnings.push_back("thumbnail " + quoted(entry.name) +
                                  " skipped: " + std::to_string(entry.size) + " bytes; limit " +
                                  std::to_string(limits.max_thumbnail_bytes));
      continue;
    }
    std::string png = zip.read(entry, limits.max_thumbnail_bytes);
    if (png.compare(0, kPngSignature.size(), kPngSignature) != 0) {
      metadata.warnings.push_back("thumbnail " + quoted(entry.name) + " skipped: not a PNG image");
      continue;
    }
    metadata.thumbnail_entry = entry.name;
    metadata.thumbnail_png = std::move(png);
    return;
  }
}

} // namespace

namespace {

void checkFileSize(uint64_t size, const ThreeMfLimits& limits) {
  if (size > limits.max_file_bytes) {
    throw ThreeMfError(ThreeMfErrorCode::TooLarge, "archive is too large (" + std::to_string(size) +
                                                       " bytes; limit " +
                                                       std::to_string(limits.max_file_bytes) + ")");
  }
}

ThreeMfError tooManyEntries(uint64_t count, const ThreeMfLimits& limits) {
  return ThreeMfError(ThreeMfErrorCode::TooManyEntries, "too many entries (" + std::to_string(count) +
                                                            "; limit " + std::to_string(limits.max_entries) +
                                                            ")");
}

ThreeMfMetadata parseOpened(const ZipReader& zip, const ThreeMfLimits& limits);

} // namespace

ThreeMfMetadata parseThreeMf(std::string_view bytes, const ThreeMfLimits& limits) {
  checkFileSize(bytes.size(), limits);
  if (const uint64_t declared = declaredEntryCount(bytes); declared > limits.max_entries) {
    throw tooManyEntries(declared, limits);
  }
  return parseOpened(ZipReader(bytes), limits);
}

ThreeMfMetadata parseThreeMfFile(const std::string& path, const ThreeMfLimits& limits) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  }
  struct stat st {};
  std::string tail;
  uint64_t tail_offset = 0;
  try {
    if (::fstat(fd, &st) != 0) {
      throw std::runtime_error("cannot stat " + path + ": " + std::strerror(errno));
    }
    const auto size = static_cast<uint64_t>(st.st_size);
    checkFileSize(size, limits);
    tail_offset = size > kZipTailBytes ? size - kZipTailBytes : 0;
    tail.resize(static_cast<size_t>(size - tail_offset));
    size_t got = 0;
    while (got < tail.size()) {
      ssize_t n = ::pread(fd, &tail[got], tail.size() - got, static_cast<off_t>(tail_offset + got));
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        throw std::runtime_error("cannot read " + path);
      }
      got += static_cast<size_t>(n);
    }
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  if (const uint64_t declared = declaredEntryCount(tail, tail_offset); declared > limits.max_entries) {
    throw tooManyEntries(declared, limits);
  }
  return parseOpened(ZipReader(ZipReader::FromFile{}, path), limits);
}

namespace {

ThreeMfMetadata parseOpened(const ZipReader& zip, const ThreeMfLimits& limits) {
  if (zip.entries().size() > limits.max_entries) {
    throw tooManyEntries(zip.entries().size(), limits);
  }
  const EntryIndex entries(zip, limits);
  requireCoreParts(entries);
  if (limits.verify_all_entries) {
    for (const ZipEntry& entry : zip.entries()) {
      if (!entry.directory) {
        zip.verify(entry);
      }
    }
  }

  ThreeMfMetadata metadata;
  metadata.entry_count = zip.entries().size();
  metadata.uncompressed_bytes = entries.totalBytes();
  std::vector<std::string>& warnings = metadata.warnings;

  checkContentTypes(readPart(zip, *entries.find(kContentTypesEntry), limits));
  ModelMetadata model = readModel(zip, *entries.find(kModelEntry), limits, warnings);

  SliceInfo slice_info;
  if (const ZipEntry* entry = entries.find(kSliceInfoEntry)) {
    slice_info = parseSliceInfo(readPart(zip, *entry, limits), warnings);
  }
  ProjectSettings project;
  if (const ZipEntry* entry = entries.find(kProjectSettingsEntry)) {
    project = parseProjectSettings(readPart(zip, *entry, limits), warnings);
  }
  std::vector<ModelSettingsPlate> plate_settings;
  if (const ZipEntry* entry = entries.find(kModelSettingsEntry)) {
    plate_settings = parseModelSettings(readPart(zip, *entry, limits), warnings);
  }

  metadata.title = std::move(model.title);
  metadata.designer = std::move(model.designer);
  metadata.design_model_id = std::move(model.design_model_id);
  metadata.design_profile_id = std::move(model.design_profile_id);
  metadata.profile_title = std::move(model.profile_title);
  metadata.slicer = std::move(model.application);
  metadata.slicer_version = std::move(slice_info.client_version);
  metadata.printer_model = std::move(project.printer_model);
  metadata.print_profile = std::move(project.print_profile);
  metadata.bed_type = std::move(project.bed_type);
  metadata.layer_height_mm = project.layer_height_mm;

  // Sliced plates come from slice_info.config; an unsliced project only has model_settings'.
  metadata.plates = std::move(slice_info.plates);
  if (metadata.plates.empty()) {
    for (const ModelSettingsPlate& setting : plate_settings) {
      PlateInfo plate;
      plate.index = setting.index;
      metadata.plates.push_back(std::move(plate));
    }
  }
  std::stable_sort(metadata.plates.begin(), metadata.plates.end(),
                   [](const PlateInfo& a, const PlateInfo& b) { return a.index < b.index; });
  for (std::size_t i = 1; i < metadata.plates.size(); ++i) {
    if (metadata.plates[i].index == metadata.plates[i - 1].index) {
      warnings.push_back("plate " + std::to_string(metadata.plates[i].index) + " is listed more than once");
    }
  }
  attachPlateFiles(metadata.plates, plate_settings, entries);

  for (const ZipEntry& entry : zip.entries()) {
    if (isPlateGcode(entryNameKey(entry.name))) {
      metadata.sliced = true;
      break;
    }
  }
  for (const PlateInfo& plate : metadata.plates) {
    if (!metadata.printer_model_id && plate.printer_model_id) {
      metadata.printer_model_id = plate.printer_model_id;
    }
    if (!project.nozzle_diameter_mm && !metadata.nozzle_diameter_mm && plate.nozzle_diameter_mm) {
      metadata.nozzle_diameter_mm = plate.nozzle_diameter_mm;
    }
  }
  if (project.nozzle_diameter_mm) {
    metadata.nozzle_diameter_mm = project.nozzle_diameter_mm;
  }
  computeTotals(metadata, project);
  pickThumbnail(metadata, zip, entries, limits);
  return metadata;
}

} // namespace

} // namespace bambuddy::archives
