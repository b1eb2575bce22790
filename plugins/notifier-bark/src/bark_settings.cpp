#include "bark_settings.h"

#include "text/settings_reader.h"

#include <regex>
#include <stdexcept>

namespace bambuddy::notifier_bark {
namespace {

const char* const kLevelWhy = "must be one of active, timeSensitive, passive, critical";

bool isLevel(const nlohmann::json& value) {
  if (!value.is_string()) {
    return false;
  }
  const std::string& s = value.get_ref<const std::string&>();
  return s == "active" || s == "timeSensitive" || s == "passive" || s == "critical";
}

std::string levelText(const nlohmann::json& value) {
  return value.is_string() ? "'" + value.get<std::string>().substr(0, 32) + "'" : value.type_name();
}

} // namespace

std::string defaultLevel(const std::string& event) {
  if (event == "print_failed" || event == "printer_error") {
    return "timeSensitive";
  }
  return event == "print_progress" ? "passive" : "active";
}

std::string BarkSettings::levelFor(const std::string& event) const {
  const std::string* l = common::text::eventValue(level, event);
  return l != nullptr ? *l : defaultLevel(event);
}

BarkSettings parseBarkSettings(const std::string& settings_json) {
  common::text::SettingsReader in(
      settings_json, "notifier.bark",
      {"server", "device_key", "group", "sound", "level", "templates", "timeout_ms"});
  BarkSettings out;
  std::string server = in.text("server", false, 2048).value_or(kDefaultServer);
  common::net::TargetUrl base;
  try {
    base = common::net::parseTargetUrl(server, {"http", "https"});
  } catch (const std::invalid_argument& e) {
    in.invalid(std::string("/server ") + e.what());
  }
  if (base.has_query || base.has_credentials || server.find('#') != std::string::npos) {
    in.invalid("/server must not have a query, fragment or user:password@ part");
  }
  while (!server.empty() && server.back() == '/') {
    server.pop_back();
  }
  out.push_url = common::net::parseTargetUrl(server + "/push", {"http", "https"});

  out.device_key =
      *in.secret("device_key", true, "the key in the Bark app's URL, https://api.day.app/<key>/", 128);
  static const std::regex kKey("[A-Za-z0-9]{1,128}");
  if (!std::regex_match(out.device_key, kKey)) {
    in.invalid(
        "/device_key must be letters and digits only (the key in the Bark app's URL, without slashes)");
  }
  out.group = in.text("group", false, 64);
  out.sound = in.text("sound", false, 64);
  static const std::regex kSound("[A-Za-z0-9_.-]{1,64}");
  if (out.sound && !std::regex_match(*out.sound, kSound)) {
    in.invalid("/sound must be a Bark sound name such as minuet or alarm (letters, digits, '_', '-', '.')");
  }

  // One level for every event, or per event.
  if (const nlohmann::json* level = in.find("level"); level != nullptr && !level->is_object()) {
    if (!isLevel(*level)) {
      in.invalid(std::string("/level ") + kLevelWhy + " (or an object of event names to those), got " +
                 levelText(*level));
    }
    out.level["*"] = level->get<std::string>();
  } else {
    in.forEachEvent("level", "levels",
                    [&](const std::string& key, const nlohmann::json& value, const std::string& path) {
                      if (!isLevel(value)) {
                        in.invalid(path + " " + kLevelWhy + ", got " + levelText(value));
                      }
                      out.level[key] = value.get<std::string>();
                    });
  }
  out.templates = in.templates();
  out.timeout_ms = in.timeoutMs(kDefaultTimeoutMs);
  return out;
}

} // namespace bambuddy::notifier_bark
