// Reading one notifier's instance settings with precise errors: every refusal is
// sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_settings", "<plugin> settings: /<field> <why>"), and
// secret values are never repeated in a message.
#pragma once

#include "text/event_templates.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace bambuddy::common::text {

class SettingsReader {
public:
  // Parses `settings_json` (an object) and refuses keys not in `allowed_keys`.
  SettingsReader(const std::string& settings_json, const std::string& plugin_name,
                 const std::vector<std::string>& allowed_keys);

  [[noreturn]] void invalid(const std::string& message) const;

  // The value of `key`, nullptr when absent or null.
  const nlohmann::json* find(const std::string& key) const;
  const nlohmann::json& document() const { return settings_; }

  // A string of 1..max_bytes bytes of valid UTF-8 ("/key is required" when `required` and absent).
  std::optional<std::string> text(const std::string& key, bool required, size_t max_bytes = 4096) const;
  // A secret: 1..max_bytes printable ASCII characters without spaces. `what` names it in the error,
  // e.g. "a Telegram bot token"; the value itself never appears.
  std::optional<std::string> secret(const std::string& key, bool required, const std::string& what,
                                    size_t max_bytes = 512) const;
  std::optional<int64_t> integer(const std::string& key, int64_t min, int64_t max) const;
  std::optional<bool> boolean(const std::string& key) const;

  // An object keyed by event names ("*" allowed): calls each(key, value, "/key/event").
  void forEachEvent(
      const std::string& key, const std::string& shape,
      const std::function<void(const std::string&, const nlohmann::json&, const std::string&)>& each) const;

  // "templates": {event or "*": {title, message}} over the shared built-in texts (event_texts.h).
  EventTemplates templates() const;
  // "timeout_ms": 100..120000, else `default_ms`.
  int64_t timeoutMs(int64_t default_ms) const;

private:
  std::string what_;
  nlohmann::json settings_;
};

// A JSON value for an error message: numbers as written, everything else by its type name.
std::string describeJson(const nlohmann::json& value);

// The value of `key` in a per-event map (`event`, then "*"), nullptr when neither is there.
template <class Map> const typename Map::mapped_type* eventValue(const Map& map, const std::string& event) {
  for (const std::string& key : {event, std::string("*")}) {
    if (auto it = map.find(key); it != map.end()) {
      return &it->second;
    }
  }
  return nullptr;
}

} // namespace bambuddy::common::text
