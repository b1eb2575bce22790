#include "archives/model_parts.h"

#include "archives/text_values.h"
#include "archives/xml_part.h"

#include <climits>

namespace bambuddy::archives {
namespace {

std::optional<std::string> textOrNothing(std::string_view raw) {
  std::string text = cleanText(raw);
  if (text.empty()) {
    return std::nullopt;
  }
  return text;
}

// Offset of the first "<resources" or "<prefix:resources" start tag, or npos.
std::size_t resourcesStart(std::string_view xml) {
  std::size_t pos = 0;
  while ((pos = xml.find("resources", pos)) != std::string_view::npos) {
    const std::size_t after = pos + 9;
    const bool name_ends =
        after < xml.size() && (xml[after] == '>' || xml[after] == '/' || xml[after] == ' ' ||
                               xml[after] == '\t' || xml[after] == '\r' || xml[after] == '\n');
    if (name_ends && pos > 0) {
      if (xml[pos - 1] == '<') {
        return pos - 1;
      }
      if (xml[pos - 1] == ':') { // "<prefix:resources": walk back over the prefix
        std::size_t start = pos - 1;
        while (start > 0 && xml[start - 1] != '<' && xml[start - 1] != '>' && xml[start - 1] != ' ' &&
               xml[start - 1] != '/') {
          --start;
        }
        if (start > 0 && xml[start - 1] == '<') {
          return start - 1;
        }
      }
    }
    pos = after;
  }
  return std::string_view::npos;
}

} // namespace

ModelMetadata parseModelMetadata(std::string_view xml, bool complete, std::vector<std::string>& warnings) {
  std::string_view text = xml;
  if (!complete) {
    const std::size_t resources = resourcesStart(xml);
    if (resources == std::string_view::npos) {
      warnings.push_back(std::string(kModelEntry) + ": no <resources> in its first " +
                         std::to_string(xml.size()) + " bytes; model metadata not read");
      return {};
    }
    text = xml.substr(0, resources);
  }
  pugi::xml_document doc;
  loadXmlPart(doc, text, kModelEntry, "model", !complete);

  ModelMetadata metadata;
  for (const pugi::xml_node& child : doc.document_element().children()) {
    if (child.type() != pugi::node_element || localName(child) != "metadata") {
      continue;
    }
    const std::string_view name = child.attribute("name").value();
    std::optional<std::string>* field = nullptr;
    if (name == "Title") {
      field = &metadata.title;
    } else if (name == "Designer") {
      field = &metadata.designer;
    } else if (name == "Application") {
      field = &metadata.application;
    } else if (name == "DesignModelId") {
      field = &metadata.design_model_id;
    } else if (name == "DesignProfileId") {
      field = &metadata.design_profile_id;
    } else if (name == "ProfileTitle") {
      field = &metadata.profile_title;
    }
    if (field != nullptr && !field->has_value()) {
      bool truncated = false;
      std::string value = cleanText(child.child_value(), kMaxTextBytes, &truncated);
      if (truncated) {
        warnings.push_back(std::string(kModelEntry) + ": metadata " + std::string(name) + " cut to " +
                           std::to_string(kMaxTextBytes) + " bytes");
      }
      if (!value.empty()) {
        *field = std::move(value);
      }
    }
  }
  return metadata;
}

void checkContentTypes(std::string_view xml) {
  pugi::xml_document doc;
  loadXmlPart(doc, xml, kContentTypesEntry, "Types");
}

std::vector<ModelSettingsPlate> parseModelSettings(std::string_view xml, std::vector<std::string>& warnings) {
  pugi::xml_document doc;
  loadXmlPart(doc, xml, kModelSettingsEntry, "config");
  std::vector<ModelSettingsPlate> plates;
  for (const pugi::xml_node& node : doc.document_element().children("plate")) {
    const auto values = keyedMetadata(node);
    const auto value = [&](std::string_view key) {
      const auto it = values.find(key);
      return it == values.end() ? std::string_view() : std::string_view(it->second);
    };
    const std::optional<int64_t> id = parseInteger(value("plater_id"));
    if (!id || *id < 1 || *id > INT_MAX) {
      warnings.push_back(std::string(kModelSettingsEntry) + ": plate with plater_id '" +
                         displayName(value("plater_id")) + "' skipped");
      continue;
    }
    ModelSettingsPlate plate;
    plate.index = static_cast<int>(*id);
    plate.name = cleanText(value("plater_name"));
    plate.thumbnail_file = textOrNothing(value("thumbnail_file"));
    plate.gcode_file = textOrNothing(value("gcode_file"));
    plates.push_back(std::move(plate));
  }
  return plates;
}

} // namespace bambuddy::archives
