#include "text/notification.h"

#include <bambuddy/json_limits.hpp>

#include <cmath>
#include <stdexcept>

namespace bambuddy::common::text {
namespace {

std::optional<std::string> valueText(const nlohmann::json& value) {
  if (value.is_null()) {
    return std::nullopt;
  }
  if (value.is_string()) {
    return value.get<std::string>();
  }
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

const nlohmann::json* find(const nlohmann::json& root, const std::string& dotted) {
  const nlohmann::json* node = &root;
  size_t start = 0;
  while (true) {
    size_t dot = dotted.find('.', start);
    std::string key = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!node->is_object()) {
      return nullptr;
    }
    auto it = node->find(key);
    if (it == node->end()) {
      return nullptr;
    }
    node = &*it;
    if (dot == std::string::npos) {
      return node;
    }
    start = dot + 1;
  }
}

} // namespace

std::string durationText(int64_t seconds) {
  if (seconds < 0) {
    seconds = 0;
  }
  if (seconds < 60) {
    return std::to_string(seconds) + "s";
  }
  int64_t minutes = seconds / 60;
  if (minutes < 60) {
    return std::to_string(minutes) + "m";
  }
  return std::to_string(minutes / 60) + "h " + std::to_string(minutes % 60) + "m";
}

std::optional<std::string> Notification::field(const std::string& name) const {
  if (name == "id") {
    return id;
  }
  if (name == "event") {
    return event;
  }
  if (name == "timestamp") {
    return timestamp;
  }
  if (name == "duration_text") {
    const nlohmann::json* d = find(data, "duration");
    if (d == nullptr) {
      return std::nullopt;
    }
    if (d->is_number()) {
      double s = d->get<double>();
      return std::isfinite(s) ? std::optional<std::string>(durationText(static_cast<int64_t>(s)))
                              : std::nullopt;
    }
    return valueText(*d);
  }
  const nlohmann::json* value = find(data, name);
  return value == nullptr ? std::nullopt : valueText(*value);
}

Notification parseNotification(const std::string& json) {
  // Event data is walked recursively by the templates; the host bounds what it publishes, this
  // keeps the plugins safe on their own. The envelope adds a few levels around the event's data.
  const sdk::JsonLimits kLimits{sdk::kDefaultJsonMaxDepth + 4, 16 * sdk::kDefaultJsonMaxBytes};
  if (const sdk::JsonLimitCheck limits = sdk::checkJsonLimits(json, kLimits); !limits) {
    throw std::invalid_argument("notification refused: " + limits.message(json.size()));
  }
  nlohmann::json doc = nlohmann::json::parse(json, nullptr, false);
  if (doc.is_discarded()) {
    throw std::invalid_argument("notification is not valid JSON");
  }
  if (!doc.is_object()) {
    throw std::invalid_argument(std::string("notification must be a JSON object, got ") + doc.type_name());
  }
  Notification n;
  for (const char* key : {"id", "event"}) {
    auto it = doc.find(key);
    if (it == doc.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
      throw std::invalid_argument(std::string("notification has no non-empty string \"") + key + "\"");
    }
  }
  n.id = doc["id"].get<std::string>();
  n.event = doc["event"].get<std::string>();
  if (auto it = doc.find("timestamp"); it != doc.end()) {
    if (!it->is_string()) {
      throw std::invalid_argument(std::string("notification \"timestamp\" must be a string, got ") +
                                  it->type_name());
    }
    n.timestamp = it->get<std::string>();
  }
  if (auto it = doc.find("data"); it != doc.end() && !it->is_null()) {
    if (!it->is_object()) {
      throw std::invalid_argument(std::string("notification \"data\" must be an object, got ") +
                                  it->type_name());
    }
    n.data = *it;
  }
  return n;
}

} // namespace bambuddy::common::text
