#include "archives/slice_info.h"

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

template <typename Map> std::string_view valueOf(const Map& values, std::string_view key) {
  const auto it = values.find(key);
  return it == values.end() ? std::string_view() : std::string_view(it->second);
}

// The plate's number: its "index" metadata, else its position (with a warning).
int plateIndex(std::string_view raw, int position, std::vector<std::string>& warnings) {
  const std::optional<int64_t> index = parseInteger(raw);
  if (index && *index >= 1 && *index <= INT_MAX) {
    return static_cast<int>(*index);
  }
  warnings.push_back(std::string(kSliceInfoEntry) + ": plate #" + std::to_string(position) +
                     (raw.empty() ? " has no index" : " has an invalid index '" + displayName(raw) + "'") +
                     "; numbered by position");
  return position;
}

FilamentUse readFilament(const pugi::xml_node& node, const std::string& where,
                         std::vector<std::string>& warnings) {
  FilamentUse filament;
  const std::string_view id = node.attribute("id").value();
  const std::optional<int64_t> slot = parseInteger(id);
  if (slot && *slot >= 1 && *slot <= INT_MAX) {
    filament.slot = static_cast<int>(*slot);
  } else if (!id.empty()) {
    warnings.push_back(where + " filament id '" + displayName(id) + "' is not a positive number; ignored");
  }
  const std::string what = where + " filament " + (filament.slot > 0 ? std::to_string(filament.slot) : "?");
  filament.type = cleanText(node.attribute("type").value());
  filament.color = cleanText(node.attribute("color").value());
  filament.used_g = amountOrWarn(node.attribute("used_g").value(), what + " used_g", warnings);
  filament.used_m = amountOrWarn(node.attribute("used_m").value(), what + " used_m", warnings);
  return filament;
}

PlateInfo readPlate(const pugi::xml_node& node, int position, std::vector<std::string>& warnings) {
  const auto values = keyedMetadata(node);
  PlateInfo plate;
  plate.index = plateIndex(valueOf(values, "index"), position, warnings);
  const std::string where = std::string(kSliceInfoEntry) + ": plate " + std::to_string(plate.index);
  plate.print_time_s = countOrWarn(valueOf(values, "prediction"), where + " prediction", warnings);
  plate.weight_g = amountOrWarn(valueOf(values, "weight"), where + " weight", warnings);
  plate.printer_model_id = textOrNothing(valueOf(values, "printer_model_id"));
  // "0.4", or one value per extruder ("0.4,0.4" / "0.4 0.4") on two-nozzle printers.
  const std::string_view nozzles = valueOf(values, "nozzle_diameters");
  const std::string_view first_nozzle = nozzles.substr(0, nozzles.find_first_of(", ;"));
  plate.nozzle_diameter_mm = amountOrWarn(first_nozzle, where + " nozzle_diameters", warnings);

  for (const pugi::xml_node& child : node.children()) {
    if (child.type() != pugi::node_element) {
      continue;
    }
    const std::string_view name = localName(child);
    if (name == "filament") {
      plate.filaments.push_back(readFilament(child, where, warnings));
    } else if (name == "object") {
      PlateObject object;
      const std::string_view id = child.attribute("identify_id").value();
      object.identify_id = parseInteger(id);
      if (!object.identify_id && !id.empty()) {
        warnings.push_back(where + " object identify_id '" + displayName(id) + "' is not a number; ignored");
      }
      object.name = cleanText(child.attribute("name").value());
      object.skipped = std::string_view(child.attribute("skipped").value()) == "true";
      plate.objects.push_back(std::move(object));
    }
  }
  return plate;
}

} // namespace

SliceInfo parseSliceInfo(std::string_view xml, std::vector<std::string>& warnings) {
  pugi::xml_document doc;
  loadXmlPart(doc, xml, kSliceInfoEntry, "config");
  const pugi::xml_node config = doc.document_element();

  SliceInfo info;
  for (const pugi::xml_node& item : config.child("header").children("header_item")) {
    if (std::string_view(item.attribute("key").value()) == "X-BBL-Client-Version") {
      info.client_version = textOrNothing(item.attribute("value").value());
      break;
    }
  }
  int position = 0;
  for (const pugi::xml_node& plate : config.children("plate")) {
    info.plates.push_back(readPlate(plate, ++position, warnings));
  }
  return info;
}

} // namespace bambuddy::archives
