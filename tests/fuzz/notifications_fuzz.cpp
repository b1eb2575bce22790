// Provider bodies of POST and PATCH /api/v1/notifications as NotificationService checks them before
// a plugin sees them: the JSON body, name, events, printer_ids, quiet_hours (with its time zone
// loaded from /usr/share/zoneinfo), and "settings" validated against, merged with and redacted by
// the real instance schemas of the webhook, ntfy and e-mail notifiers. (Creating the provider
// itself needs a loaded notifier plugin; the checks here are the ones that see client bytes.)
#include "api/json_body.h"
#include "common/service_error.h"
#include "config/schema_validator.h"
#include "notifications/provider.h"
#include "notifications/quiet_hours.h"
#include "notifications/time_zone.h"
#include "plugins/secret_fields.h"

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace bambuddy;
using nlohmann::json;

namespace {

struct Notifier {
  std::string schema_text;
  config::SchemaValidator validator;
  json stored; // settings as a provider of this type has them stored
};

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<Notifier>* makeNotifiers() {
  auto* out = new std::vector<Notifier>();
  const std::string root = BAMBUDDY_SOURCE_DIR "/plugins/";
  auto add = [&](const std::string& plugin, json stored) {
    std::string text = readFile(root + plugin + "/schema/instance.schema.json");
    out->push_back(Notifier{text, config::SchemaValidator(json::parse(text)), std::move(stored)});
  };
  add("notifier-webhook", {{"url", "https://hooks.example.com/x"},
                           {"secret", "whsec_0123456789abcdef0123456789abcdef"},
                           {"headers", {{"Authorization", "Bearer token"}}}});
  add("notifier-ntfy", {{"server", "https://ntfy.sh"}, {"topic", "farm"}, {"token", "tk_secret"}});
  add("notifier-email", {{"host", "smtp.example.com"},
                         {"port", 587},
                         {"username", "u"},
                         {"password", "p"},
                         {"from", "farm@example.com"},
                         {"to", {"me@example.com"}}});
  return out;
}

template <class Fn> void refusedIsFine(Fn&& fn) {
  try {
    fn();
  } catch (const ServiceError&) {
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::vector<Notifier>* notifiers = makeNotifiers();
  http::Request request;
  request.body.assign(reinterpret_cast<const char*>(data), size);
  http::Response error;
  std::optional<json> body = api::parseJsonObject(request, error);
  if (!body) {
    return 0;
  }
  if (body->contains("events")) {
    refusedIsFine([&] { (void)notifications::parseEvents((*body)["events"]); });
  }
  if (body->contains("printer_ids")) {
    refusedIsFine([&] { (void)notifications::parsePrinterIds((*body)["printer_ids"]); });
  }
  if (body->contains("quiet_hours") && !(*body)["quiet_hours"].is_null()) {
    refusedIsFine([&] {
      notifications::QuietHours quiet = notifications::parseQuietHours((*body)["quiet_hours"]);
      std::string zone_error;
      auto zone = notifications::TimeZone::load(quiet.timezone, zone_error);
      if (zone) {
        (void)notifications::inQuietHours(quiet, *zone, 1700000000000);
      }
      (void)quiet.toJson();
    });
  }
  auto settings = body->find("settings");
  if (settings != body->end() && settings->is_object()) {
    for (const Notifier& n : *notifiers) {
      (void)n.validator.validate(*settings);
      json merged = plugins::mergeSettings(n.stored, *settings, n.schema_text);
      (void)n.validator.validate(merged);
      (void)plugins::redactSecrets(merged, n.schema_text)
          .dump(-1, ' ', false, json::error_handler_t::replace);
    }
  }
  return 0;
}
