#include "printing/start_request.h"

#include <cstring>

namespace bambuddy::printing {

namespace {

constexpr int kMaxPlate = 64;            // Bambu Studio allows far fewer plates per project
constexpr std::size_t kMaxAmsSlots = 32; // filaments of one print (H2D with AMS units has < 32)

const char* const kBooleanOptions[] = {"use_ams", "bed_leveling", "flow_cali", "vibration_cali", "timelapse"};
const char* const kOptionNames[] = {"use_ams",   "bed_leveling", "flow_cali", "vibration_cali",
                                    "timelapse", "ams_mapping",  "bed_type",  nullptr};

ServiceError invalid(const std::string& code, const std::string& message) {
  return ServiceError(ServiceError::Kind::Invalid, code, message);
}

bool isOption(const std::string& key) {
  for (const char* const* name = kOptionNames; *name != nullptr; ++name) {
    if (key == *name) {
      return true;
    }
  }
  return false;
}

bool validBedType(const std::string& text) {
  if (text.empty() || text.size() > 32) {
    return false;
  }
  for (char c : text) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

} // namespace

const char* const* startOptionNames() {
  return kOptionNames;
}

std::optional<int> parsePlate(const nlohmann::json& body) {
  auto it = body.find("plate");
  if (it == body.end() || it->is_null()) {
    return std::nullopt;
  }
  if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > kMaxPlate) {
    throw invalid("invalid_plate", "plate: an integer from 1 to " + std::to_string(kMaxPlate));
  }
  return static_cast<int>(it->get<int64_t>());
}

nlohmann::json parseOptions(const nlohmann::json& body) {
  nlohmann::json options = nlohmann::json::object();
  for (const char* name : kBooleanOptions) {
    auto it = body.find(name);
    if (it == body.end() || it->is_null()) {
      continue;
    }
    if (!it->is_boolean()) {
      throw invalid("invalid_option", std::string(name) + ": true or false");
    }
    options[name] = *it;
  }
  if (auto it = body.find("ams_mapping"); it != body.end() && !it->is_null()) {
    if (!it->is_array() || it->empty() || it->size() > kMaxAmsSlots) {
      throw invalid("invalid_option", "ams_mapping: an array of 1 to " + std::to_string(kMaxAmsSlots) +
                                          " tray numbers, one per filament of the print");
    }
    for (const nlohmann::json& slot : *it) {
      if (!slot.is_number_integer() || slot.get<int64_t>() < -1 || slot.get<int64_t>() > 255) {
        throw invalid("invalid_option",
                      "ams_mapping: each entry is a tray number from 0 to 255 (254 = external spool), or -1 "
                      "for a filament that is not used");
      }
    }
    options["ams_mapping"] = *it;
  }
  if (auto it = body.find("bed_type"); it != body.end() && !it->is_null()) {
    if (!it->is_string() || !validBedType(it->get<std::string>())) {
      throw invalid(
          "invalid_option",
          "bed_type: \"auto\" or a plate type such as \"textured_plate\" (lower-case letters, digits, _)");
    }
    options["bed_type"] = *it;
  }
  return options;
}

StartRequest parseStartRequest(const nlohmann::json& body) {
  if (!body.is_object()) {
    throw invalid("invalid_body", "body must be a JSON object");
  }
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (it.key() != "archive_id" && it.key() != "plate" && !isOption(it.key())) {
      throw invalid("unknown_field", it.key() +
                                         ": unknown field (expected archive_id, plate, use_ams, ams_mapping, "
                                         "bed_leveling, flow_cali, vibration_cali, timelapse, bed_type)");
    }
  }
  StartRequest request;
  auto id = body.find("archive_id");
  if (id == body.end() || !id->is_number_integer() || id->get<int64_t>() <= 0) {
    throw invalid("invalid_archive_id", "archive_id: required, a positive integer");
  }
  request.archive_id = id->get<int64_t>();
  request.plate = parsePlate(body);
  request.options = parseOptions(body);
  return request;
}

} // namespace bambuddy::printing
