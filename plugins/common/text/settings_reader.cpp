#include "text/settings_reader.h"

#include "text/event_texts.h"
#include "text/json_input.h"
#include "text/utf8.h"

#include <bambuddy/abi.h>
#include <bambuddy/sdk.hpp>

#include <algorithm>
#include <stdexcept>

namespace bambuddy::common::text {

using nlohmann::json;

std::string describeJson(const json& value) {
  return value.is_number() ? value.dump() : std::string(value.type_name());
}

SettingsReader::SettingsReader(const std::string& settings_json, const std::string& plugin_name,
                               const std::vector<std::string>& allowed_keys)
    : what_(plugin_name + " settings") {
  settings_ = parseJsonObject(settings_json, "invalid_settings", what_);
  rejectUnknownKeys(settings_, allowed_keys, "invalid_settings", what_);
}

void SettingsReader::invalid(const std::string& message) const {
  throw sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_settings", what_ + ": " + message);
}

const json* SettingsReader::find(const std::string& key) const {
  auto it = settings_.find(key);
  return it == settings_.end() || it->is_null() ? nullptr : &*it;
}

std::optional<std::string> SettingsReader::text(const std::string& key, bool required,
                                                size_t max_bytes) const {
  const json* value = find(key);
  if (value == nullptr) {
    if (required) {
      invalid("/" + key + " is required");
    }
    return std::nullopt;
  }
  if (!value->is_string()) {
    invalid("/" + key + " must be a string, got " + value->type_name());
  }
  const std::string& s = value->get_ref<const std::string&>();
  if (s.empty() || s.size() > max_bytes) {
    invalid("/" + key + " must be 1 to " + std::to_string(max_bytes) + " bytes long, got " +
            std::to_string(s.size()));
  }
  if (!isValidUtf8(s)) {
    invalid("/" + key + " is not valid UTF-8");
  }
  return s;
}

std::optional<std::string> SettingsReader::secret(const std::string& key, bool required,
                                                  const std::string& what, size_t max_bytes) const {
  const json* value = find(key);
  if (value == nullptr) {
    if (required) {
      invalid("/" + key + " is required (" + what + ")");
    }
    return std::nullopt;
  }
  if (!value->is_string()) {
    invalid("/" + key + " must be a string, got " + value->type_name());
  }
  const std::string& s = value->get_ref<const std::string&>();
  bool printable = std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7F; });
  if (s.empty() || s.size() > max_bytes || !printable) {
    invalid("/" + key + " must be 1 to " + std::to_string(max_bytes) +
            " printable ASCII characters without spaces (" + what + ")");
  }
  return s;
}

std::optional<int64_t> SettingsReader::integer(const std::string& key, int64_t min, int64_t max) const {
  const json* value = find(key);
  if (value == nullptr) {
    return std::nullopt;
  }
  if (!value->is_number_integer() || value->get<int64_t>() < min || value->get<int64_t>() > max) {
    invalid("/" + key + " must be an integer from " + std::to_string(min) + " to " + std::to_string(max) +
            ", got " + describeJson(*value));
  }
  return value->get<int64_t>();
}

std::optional<bool> SettingsReader::boolean(const std::string& key) const {
  const json* value = find(key);
  if (value == nullptr) {
    return std::nullopt;
  }
  if (!value->is_boolean()) {
    invalid("/" + key + " must be true or false, got " + describeJson(*value));
  }
  return value->get<bool>();
}

void SettingsReader::forEachEvent(
    const std::string& key, const std::string& shape,
    const std::function<void(const std::string&, const json&, const std::string&)>& each) const {
  const json* map = find(key);
  if (map == nullptr) {
    return;
  }
  if (!map->is_object()) {
    invalid("/" + key + " must be an object of event names to " + shape + ", got " + map->type_name());
  }
  for (auto e = map->begin(); e != map->end(); ++e) {
    std::string path = "/" + key + "/" + utf8Snippet(e.key(), 64);
    if (!isEventKey(e.key())) {
      invalid(path + ": not an event name (lower-case letters, digits and '_', or \"*\")");
    }
    each(e.key(), e.value(), path);
  }
}

EventTemplates SettingsReader::templates() const {
  try {
    return EventTemplates::parse(find("templates"), "title", "message", [](const std::string& event) {
      EventText t = defaultEventText(event);
      return std::make_pair(std::string(t.title), std::string(t.message));
    });
  } catch (const std::invalid_argument& e) {
    invalid(e.what());
  }
}

int64_t SettingsReader::timeoutMs(int64_t default_ms) const {
  return integer("timeout_ms", 100, 120000).value_or(default_ms);
}

} // namespace bambuddy::common::text
