// Pieces of request body schemas that several routes share, so each is written once.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>

namespace bambuddy::api {

// A display name: a string with something other than blanks, at most `max_chars` characters.
nlohmann::json nameSchema(std::size_t max_chars);

// The print options of print/start, which a queue item also carries (plate, use_ams, ams_mapping,
// bed_leveling, flow_cali, vibration_cali, timelapse, bed_type), as a "properties" map. Each may
// be null for the printer's default. Refusals name the code invalid_plate or invalid_option.
nlohmann::json printOptionProperties();

// `properties` plus `more` (an object of further properties): one flat map, so a schema can say
// "additionalProperties": false over all of them (allOf cannot).
nlohmann::json withProperties(nlohmann::json properties, const nlohmann::json& more);

} // namespace bambuddy::api
