#include "archives/project_settings.h"

#include "archives/text_values.h"
#include "archives/three_mf_error.h"

#include <nlohmann/json.hpp>

namespace bambuddy::archives {
namespace {

constexpr int kMaxDepth = 64; // real settings files are two levels deep

struct TooDeep {};

std::string where(std::string_view key) {
  return std::string(kProjectSettingsEntry) + ": " + std::string(key);
}

// A scalar setting: a string or number, or the first element of an array of them (per-extruder
// settings are arrays). Other shapes give nullopt and a warning.
std::optional<std::string> scalarText(const nlohmann::json& root, std::string_view key,
                                      std::vector<std::string>& warnings) {
  const auto it = root.find(key);
  if (it == root.end() || it->is_null()) {
    return std::nullopt;
  }
  const nlohmann::json* value = &*it;
  if (value->is_array()) {
    if (value->empty()) {
      return std::nullopt;
    }
    value = &value->front();
  }
  if (value->is_string()) {
    return value->get<std::string>();
  }
  if (value->is_number()) {
    return value->dump();
  }
  warnings.push_back(where(key) + " has an unexpected JSON type (" + value->type_name() + "); ignored");
  return std::nullopt;
}

std::optional<std::string> textSetting(const nlohmann::json& root, std::string_view key,
                                       std::vector<std::string>& warnings) {
  const std::optional<std::string> raw = scalarText(root, key, warnings);
  if (!raw) {
    return std::nullopt;
  }
  std::string text = cleanText(*raw);
  if (text.empty()) {
    return std::nullopt;
  }
  return text;
}

std::optional<double> amountSetting(const nlohmann::json& root, std::string_view key,
                                    std::vector<std::string>& warnings) {
  const std::optional<std::string> raw = scalarText(root, key, warnings);
  return raw ? amountOrWarn(*raw, where(key), warnings) : std::nullopt;
}

std::vector<std::string> listSetting(const nlohmann::json& root, std::string_view key,
                                     std::vector<std::string>& warnings) {
  std::vector<std::string> out;
  const auto it = root.find(key);
  if (it == root.end() || it->is_null()) {
    return out;
  }
  if (it->is_string()) {
    out.push_back(cleanText(it->get<std::string>()));
    return out;
  }
  if (!it->is_array()) {
    warnings.push_back(where(key) + " has an unexpected JSON type (" + it->type_name() + "); ignored");
    return out;
  }
  for (const nlohmann::json& item : *it) {
    if (!item.is_string()) {
      warnings.push_back(where(key) + " has a non-string element; ignored");
      return {};
    }
    out.push_back(cleanText(item.get<std::string>()));
  }
  return out;
}

} // namespace

ProjectSettings parseProjectSettings(std::string_view json, std::vector<std::string>& warnings) {
  const std::string entry(kProjectSettingsEntry);
  nlohmann::json root;
  try {
    // A parse callback sees every value's depth; bailing out on deep nesting keeps a few MB of
    // "[[[[" from becoming millions of heap nodes.
    root = nlohmann::json::parse(json.begin(), json.end(),
                                 [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
                                   if (depth > kMaxDepth) {
                                     throw TooDeep{};
                                   }
                                   return true;
                                 });
  } catch (const TooDeep&) {
    throw ThreeMfError(ThreeMfErrorCode::MalformedMetadata,
                       entry + ": JSON nested deeper than " + std::to_string(kMaxDepth) + " levels");
  } catch (const nlohmann::json::out_of_range&) {
    // nlohmann reports a number beyond a double ("1e999") this way, not as a parse_error.
    throw ThreeMfError(ThreeMfErrorCode::MalformedMetadata,
                       entry + ": malformed JSON (a number is out of range)");
  } catch (const nlohmann::json::parse_error& e) {
    // e.what() reads "[json.exception.parse_error.101] parse error at line 1, column 5: ...".
    std::string reason = e.what();
    const std::size_t tag_end = reason.find("] ");
    if (reason.rfind("[json.exception.", 0) == 0 && tag_end != std::string::npos) {
      reason.erase(0, tag_end + 2);
    }
    throw ThreeMfError(ThreeMfErrorCode::MalformedMetadata,
                       entry + ": malformed JSON (" + reason + "; byte " + std::to_string(e.byte) + ")");
  }
  if (!root.is_object()) {
    throw ThreeMfError(ThreeMfErrorCode::MalformedMetadata,
                       entry + ": expected a JSON object, found " + root.type_name());
  }

  ProjectSettings settings;
  settings.printer_model = textSetting(root, "printer_model", warnings);
  settings.print_profile = textSetting(root, "print_settings_id", warnings);
  settings.bed_type = textSetting(root, "curr_bed_type", warnings);
  settings.layer_height_mm = amountSetting(root, "layer_height", warnings);
  settings.nozzle_diameter_mm = amountSetting(root, "nozzle_diameter", warnings);
  settings.filament_types = listSetting(root, "filament_type", warnings);
  settings.filament_colors = listSetting(root, "filament_colour", warnings);
  return settings;
}

} // namespace bambuddy::archives
