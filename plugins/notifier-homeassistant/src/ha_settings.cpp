#include "ha_settings.h"

#include "text/settings_reader.h"
#include "text/utf8.h"

#include <regex>
#include <stdexcept>

namespace bambuddy::notifier_homeassistant {
namespace {

// `value` as service data: an object of bounded size.
nlohmann::json serviceData(const common::text::SettingsReader& in, const nlohmann::json& value,
                           const std::string& path) {
  if (!value.is_object()) {
    in.invalid(path + " must be an object (the service call's data), got " + value.type_name());
  }
  size_t bytes = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).size();
  if (bytes > kMaxDataBytes) {
    in.invalid(path + " is " + std::to_string(bytes) + " bytes as JSON; the limit is " +
               std::to_string(kMaxDataBytes));
  }
  return value;
}

} // namespace

std::optional<nlohmann::json> HomeAssistantSettings::dataFor(const std::string& event) const {
  if (const nlohmann::json* d = common::text::eventValue(event_data, event)) {
    return *d;
  }
  return data;
}

HomeAssistantSettings parseHomeAssistantSettings(const std::string& settings_json) {
  common::text::SettingsReader in(
      settings_json, "notifier.homeassistant",
      {"url", "token", "service", "data", "event_data", "templates", "timeout_ms"});
  HomeAssistantSettings out;
  std::string base = *in.text("url", true, 2048);
  common::net::TargetUrl parsed;
  try {
    parsed = common::net::parseTargetUrl(base, {"http", "https"});
  } catch (const std::invalid_argument& e) {
    in.invalid(std::string("/url ") + e.what());
  }
  if (parsed.has_query || parsed.has_credentials || base.find('#') != std::string::npos) {
    in.invalid("/url must not have a query, fragment or user:password@ part");
  }
  while (!base.empty() && base.back() == '/') {
    base.pop_back();
  }
  out.token = *in.secret("token", true, "a long-lived access token from your Home Assistant profile", 1024);

  out.service = in.text("service", false, 128).value_or(kDefaultService);
  static const std::regex kNotify("notify\\.[a-z0-9_]{1,100}");
  bool notify = std::regex_match(out.service, kNotify);
  if (!notify && out.service != "persistent_notification.create") {
    in.invalid("/service must be notify.<name> (e.g. notify.mobile_app_pixel_8, lower-case letters, digits "
               "and '_') or persistent_notification.create, got '" +
               common::text::utf8Snippet(out.service, 64) + "'");
  }
  size_t dot = out.service.find('.');
  out.service_url = common::net::parseTargetUrl(base + "/api/services/" + out.service.substr(0, dot) + "/" +
                                                    out.service.substr(dot + 1),
                                                {"http", "https"});

  if (const nlohmann::json* data = in.find("data")) {
    out.data = serviceData(in, *data, "/data");
  }
  in.forEachEvent("event_data", "data objects",
                  [&](const std::string& key, const nlohmann::json& value, const std::string& path) {
                    out.event_data[key] = serviceData(in, value, path);
                  });
  // persistent_notification.create takes title, message and notification_id only: HA would refuse
  // every call with data.
  if (!notify && (out.data || !out.event_data.empty())) {
    in.invalid(std::string(out.data ? "/data" : "/event_data") +
               " is only for notify.<name> services; persistent_notification.create takes no data");
  }
  out.templates = in.templates();
  out.timeout_ms = in.timeoutMs(kDefaultTimeoutMs);
  return out;
}

} // namespace bambuddy::notifier_homeassistant
