#include "gotify_settings.h"

#include "text/settings_reader.h"

#include <stdexcept>

namespace bambuddy::notifier_gotify {

int defaultPriority(const std::string& event) {
  if (event == "print_failed" || event == "printer_error" || event == "printer_offline") {
    return 8;
  }
  return event == "print_complete" ? 5 : 4;
}

int GotifySettings::priorityFor(const std::string& event) const {
  const int* p = common::text::eventValue(priority, event);
  return p != nullptr ? *p : defaultPriority(event);
}

GotifySettings parseGotifySettings(const std::string& settings_json) {
  common::text::SettingsReader in(settings_json, "notifier.gotify",
                                  {"server", "app_token", "priority", "templates", "timeout_ms"});
  GotifySettings out;
  std::string server = *in.text("server", true, 2048);
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
  out.message_url = common::net::parseTargetUrl(server + "/message", {"http", "https"});
  out.app_token = *in.secret("app_token", true, "a Gotify application token, A...");
  in.forEachEvent(
      "priority", "0..10", [&](const std::string& key, const nlohmann::json& value, const std::string& path) {
        if (!value.is_number_integer() || value.get<int64_t>() < 0 || value.get<int64_t>() > 10) {
          in.invalid(path + " must be an integer from 0 to 10, got " + common::text::describeJson(value));
        }
        out.priority[key] = value.get<int>();
      });
  out.templates = in.templates();
  out.timeout_ms = in.timeoutMs(kDefaultTimeoutMs);
  return out;
}

} // namespace bambuddy::notifier_gotify
