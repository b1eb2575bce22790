#include "common/json_parse.h"

namespace bambuddy {

nlohmann::json parseJsonLimited(std::string_view text, std::string* problem, const sdk::JsonLimits& limits) {
  if (problem != nullptr) {
    problem->clear();
  }
  const sdk::JsonLimitCheck check = sdk::checkJsonLimits(text, limits);
  if (!check) {
    if (problem != nullptr) {
      *problem = check.message(text.size());
    }
    return nlohmann::json(nlohmann::json::value_t::discarded);
  }
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    if (problem != nullptr) {
      *problem = "not valid JSON (at byte " + std::to_string(e.byte) + ")";
    }
    return nlohmann::json(nlohmann::json::value_t::discarded);
  }
}

} // namespace bambuddy
