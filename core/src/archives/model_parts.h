// The two model parts: 3D/3dmodel.model (3MF core: <model> with <metadata name="Title">...) and
// Metadata/model_settings.config (Bambu/Orca: per-plate names and file references).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bambuddy::archives {

inline constexpr std::string_view kModelEntry = "3D/3dmodel.model";
inline constexpr std::string_view kContentTypesEntry = "[Content_Types].xml";
inline constexpr std::string_view kModelSettingsEntry = "Metadata/model_settings.config";

struct ModelMetadata {
  std::optional<std::string> title;             // "Title"
  std::optional<std::string> designer;          // "Designer"
  std::optional<std::string> application;       // "Application"
  std::optional<std::string> design_model_id;   // "DesignModelId"
  std::optional<std::string> design_profile_id; // "DesignProfileId"
  std::optional<std::string> profile_title;     // "ProfileTitle"
};

// `xml` is the whole part when `complete`, else its first bytes: then only what comes before the
// <resources> element is parsed, and a prefix without one gives no metadata and a warning.
// Throws ThreeMfError(MalformedMetadata) for bad XML or a root other than <model>.
ModelMetadata parseModelMetadata(std::string_view xml, bool complete, std::vector<std::string>& warnings);

// Throws ThreeMfError(MalformedMetadata) unless `xml` is well-formed with a <Types> root.
void checkContentTypes(std::string_view xml);

struct ModelSettingsPlate {
  int index = 0; // plater_id
  std::string name;
  std::optional<std::string> thumbnail_file; // as written, e.g. "Metadata/plate_1.png"
  std::optional<std::string> gcode_file;
};

// The <plate> elements of model_settings.config; plates without a valid plater_id are skipped
// with a warning. Throws ThreeMfError(MalformedMetadata) for bad XML or a root other than <config>.
std::vector<ModelSettingsPlate> parseModelSettings(std::string_view xml, std::vector<std::string>& warnings);

} // namespace bambuddy::archives
