#include "archives/three_mf.h"

#include <nlohmann/json.hpp>

namespace bambuddy::archives {
namespace {

template <typename T> nlohmann::json orNull(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

nlohmann::json filamentJson(const FilamentUse& filament) {
  return {{"slot", filament.slot},
          {"type", filament.type},
          {"color", filament.color},
          {"used_g", orNull(filament.used_g)},
          {"used_m", orNull(filament.used_m)}};
}

nlohmann::json plateJson(const PlateInfo& plate) {
  nlohmann::json filaments = nlohmann::json::array();
  for (const FilamentUse& filament : plate.filaments) {
    filaments.push_back(filamentJson(filament));
  }
  nlohmann::json objects = nlohmann::json::array();
  for (const PlateObject& object : plate.objects) {
    objects.push_back(
        {{"identify_id", orNull(object.identify_id)}, {"name", object.name}, {"skipped", object.skipped}});
  }
  return {{"index", plate.index},
          {"name", plate.name},
          {"print_time_s", orNull(plate.print_time_s)},
          {"weight_g", orNull(plate.weight_g)},
          {"printer_model_id", orNull(plate.printer_model_id)},
          {"nozzle_diameter_mm", orNull(plate.nozzle_diameter_mm)},
          {"filaments", std::move(filaments)},
          {"objects", std::move(objects)},
          {"thumbnail_entry", orNull(plate.thumbnail_entry)},
          {"gcode_entry", orNull(plate.gcode_entry)}};
}

} // namespace

nlohmann::json toJson(const ThreeMfMetadata& metadata) {
  nlohmann::json plates = nlohmann::json::array();
  for (const PlateInfo& plate : metadata.plates) {
    plates.push_back(plateJson(plate));
  }
  return {{"title", orNull(metadata.title)},
          {"designer", orNull(metadata.designer)},
          {"design_model_id", orNull(metadata.design_model_id)},
          {"design_profile_id", orNull(metadata.design_profile_id)},
          {"profile_title", orNull(metadata.profile_title)},
          {"slicer", orNull(metadata.slicer)},
          {"slicer_version", orNull(metadata.slicer_version)},
          {"printer_model", orNull(metadata.printer_model)},
          {"printer_model_id", orNull(metadata.printer_model_id)},
          {"print_profile", orNull(metadata.print_profile)},
          {"bed_type", orNull(metadata.bed_type)},
          {"layer_height_mm", orNull(metadata.layer_height_mm)},
          {"nozzle_diameter_mm", orNull(metadata.nozzle_diameter_mm)},
          {"sliced", metadata.sliced},
          {"plates", std::move(plates)},
          {"total_print_time_s", orNull(metadata.total_print_time_s)},
          {"total_filament_g", orNull(metadata.total_filament_g)},
          {"filament_types", metadata.filament_types},
          {"filament_colors", metadata.filament_colors},
          {"thumbnail_entry", orNull(metadata.thumbnail_entry)},
          {"thumbnail_bytes",
           metadata.thumbnail_png ? nlohmann::json(metadata.thumbnail_png->size()) : nlohmann::json(nullptr)},
          {"entry_count", metadata.entry_count},
          {"uncompressed_bytes", metadata.uncompressed_bytes},
          {"warnings", metadata.warnings}};
}

} // namespace bambuddy::archives
