#include "printing/start_request.h"

namespace bambuddy::printing {

namespace {

const char* const kOptionNames[] = {"use_ams",   "bed_leveling", "flow_cali", "vibration_cali",
                                    "timelapse", "ams_mapping",  "bed_type",  nullptr};

} // namespace

const char* const* startOptionNames() {
  return kOptionNames;
}

std::optional<int> parsePlate(const nlohmann::json& body) {
  auto it = body.find("plate");
  if (it == body.end() || !it->is_number_integer()) {
    return std::nullopt;
  }
  return static_cast<int>(it->get<int64_t>());
}

nlohmann::json parseOptions(const nlohmann::json& body) {
  nlohmann::json options = nlohmann::json::object();
  for (const char* const* name = kOptionNames; *name != nullptr; ++name) {
    auto it = body.find(*name);
    if (it != body.end() && !it->is_null()) {
      options[*name] = *it;
    }
  }
  return options;
}

StartRequest parseStartRequest(const nlohmann::json& body) {
  StartRequest request;
  request.archive_id = body.at("archive_id").get<int64_t>();
  request.plate = parsePlate(body);
  request.options = parseOptions(body);
  return request;
}

} // namespace bambuddy::printing
