#include "pushover_settings.h"

#include "text/settings_reader.h"

#include <regex>
#include <stdexcept>

namespace bambuddy::notifier_pushover {
namespace {

std::string pushoverKey(const common::text::SettingsReader& in, const std::string& key,
                        const std::string& what) {
  std::string value = *in.secret(key, true, what, 64);
  static const std::regex kKey("[A-Za-z0-9]{30}");
  if (!std::regex_match(value, kKey)) {
    in.invalid("/" + key + " must be 30 letters and digits (" + what + ")");
  }
  return value;
}

} // namespace

int defaultPriority(const std::string& event) {
  if (event == "print_failed" || event == "printer_error") {
    return 1;
  }
  return event == "print_progress" ? -1 : 0;
}

int PushoverSettings::priorityFor(const std::string& event) const {
  const int* p = common::text::eventValue(priority, event);
  return p != nullptr ? *p : defaultPriority(event);
}

PushoverSettings parsePushoverSettings(const std::string& settings_json) {
  common::text::SettingsReader in(settings_json, "notifier.pushover",
                                  {"user_key", "app_token", "priority", "retry", "expire", "device", "sound",
                                   "api_url", "templates", "timeout_ms"});
  PushoverSettings out;
  out.user_key = pushoverKey(in, "user_key", "your user key or a group key, from the Pushover dashboard");
  out.app_token = pushoverKey(in, "app_token", "an application's API token");

  bool emergency = false;
  in.forEachEvent("priority", "-2..2",
                  [&](const std::string& key, const nlohmann::json& value, const std::string& path) {
                    if (!value.is_number_integer() || value.get<int64_t>() < -2 || value.get<int64_t>() > 2) {
                      in.invalid(path + " must be an integer from -2 (lowest) to 2 (emergency), got " +
                                 common::text::describeJson(value));
                    }
                    out.priority[key] = value.get<int>();
                    emergency = emergency || value.get<int>() == 2;
                  });
  // Pushover refuses an emergency message without both: it repeats the alert every `retry` seconds
  // (at least 30) until acknowledged or `expire` seconds (at most 10800) have passed.
  out.retry_s = in.integer("retry", 30, 10800);
  out.expire_s = in.integer("expire", 30, 10800);
  if (emergency && !out.retry_s) {
    in.invalid("/retry is required when a priority is 2 (emergency): seconds between repeats, 30 to 10800");
  }
  if (emergency && !out.expire_s) {
    in.invalid(
        "/expire is required when a priority is 2 (emergency): seconds until repeats stop, 30 to 10800");
  }
  if (out.retry_s && out.expire_s && *out.retry_s > *out.expire_s) {
    in.invalid("/retry (" + std::to_string(*out.retry_s) + ") must not be longer than /expire (" +
               std::to_string(*out.expire_s) + ")");
  }

  out.device = in.text("device", false, 200);
  static const std::regex kDevices("[A-Za-z0-9_-]{1,25}(,[A-Za-z0-9_-]{1,25})*");
  if (out.device && !std::regex_match(*out.device, kDevices)) {
    in.invalid("/device must be device names (letters, digits, '_', '-', up to 25 each) separated by commas");
  }
  out.sound = in.text("sound", false, 64);
  static const std::regex kSound("[A-Za-z0-9_-]{1,64}");
  if (out.sound && !std::regex_match(*out.sound, kSound)) {
    in.invalid("/sound must be a sound name such as pushover, siren or none (letters, digits, '_', '-')");
  }

  std::string api = in.text("api_url", false, 2048).value_or(kDefaultApiUrl);
  try {
    out.api_url = common::net::parseTargetUrl(api, {"http", "https"});
  } catch (const std::invalid_argument& e) {
    in.invalid(std::string("/api_url ") + e.what());
  }
  if (out.api_url.has_query || out.api_url.has_credentials || api.find('#') != std::string::npos) {
    in.invalid("/api_url must not have a query, fragment or user:password@ part");
  }
  out.templates = in.templates();
  out.timeout_ms = in.timeoutMs(kDefaultTimeoutMs);
  return out;
}

} // namespace bambuddy::notifier_pushover
