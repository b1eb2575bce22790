#include "text/json_input.h"

#include "text/utf8.h"

#include <bambuddy/abi.h>
#include <bambuddy/json_limits.hpp>
#include <bambuddy/sdk.hpp>

#include <algorithm>

namespace bambuddy::common::text {

nlohmann::json parseJsonObject(const std::string& text, const std::string& reason, const std::string& what) {
  if (const sdk::JsonLimitCheck limits = sdk::checkJsonLimits(text); !limits) {
    throw sdk::Error(BB_ERR_INVALID_ARGUMENT, reason, what + " refused: " + limits.message(text.size()));
  }
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded()) {
    throw sdk::Error(BB_ERR_INVALID_ARGUMENT, reason, what + " is not valid JSON");
  }
  if (!doc.is_object()) {
    throw sdk::Error(BB_ERR_INVALID_ARGUMENT, reason,
                     what + " must be a JSON object, got " + doc.type_name());
  }
  return doc;
}

void rejectUnknownKeys(const nlohmann::json& object, const std::vector<std::string>& allowed,
                       const std::string& reason, const std::string& what) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (std::find(allowed.begin(), allowed.end(), it.key()) != allowed.end()) {
      continue;
    }
    std::string list;
    for (const std::string& a : allowed) {
      list += (list.empty() ? "" : ", ") + a;
    }
    throw sdk::Error(BB_ERR_INVALID_ARGUMENT, reason,
                     what + ": unknown property /" + utf8Snippet(it.key(), 64) + " (allowed: " + list + ")");
  }
}

} // namespace bambuddy::common::text
