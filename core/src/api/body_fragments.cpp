#include "api/body_fragments.h"

namespace bambuddy::api {

using nlohmann::json;

json nameSchema(std::size_t max_chars) {
  return {{"type", "string"}, {"minLength", 1}, {"maxLength", max_chars}, {"pattern", "[^ \t]"}};
}

json printOptionProperties() {
  auto option = [](json schema, const char* description) {
    schema["x-error-code"] = "invalid_option";
    schema["description"] = description;
    return schema;
  };
  json boolean = {{"type", {"boolean", "null"}}};
  return {// Bambu Studio allows far fewer plates per project than 64.
          {"plate",
           {{"type", {"integer", "null"}},
            {"minimum", 1},
            {"maximum", 64},
            {"description", "the plate of the project to print; null = the file's only or first plate"}}},
          {"use_ams", option(boolean, "feed from the AMS; null = the printer's default")},
          {"bed_leveling", option(boolean, "null = the printer's default")},
          {"flow_cali", option(boolean, "null = the printer's default")},
          {"vibration_cali", option(boolean, "null = the printer's default")},
          {"timelapse", option(boolean, "null = the printer's default")},
          {"ams_mapping",
           option({{"type", {"array", "null"}},
                   {"minItems", 1},
                   {"maxItems", 32},
                   {"items", {{"type", "integer"}, {"minimum", -1}, {"maximum", 255}}}},
                  "one tray number per filament of the print: 0-255 (254 = external spool), -1 = unused")},
          {"bed_type", option({{"type", {"string", "null"}}, {"pattern", "^[a-z0-9_]{1,32}$"}},
                              "\"auto\" or a plate type such as \"textured_plate\"")}};
}

json withProperties(json properties, const json& more) {
  for (auto it = more.begin(); it != more.end(); ++it) {
    properties[it.key()] = it.value();
  }
  return properties;
}

} // namespace bambuddy::api
