#include "slack_settings.h"

#include "text/settings_reader.h"

#include <algorithm>
#include <regex>
#include <stdexcept>

namespace bambuddy::notifier_slack {
namespace {

constexpr const char* kName = "notifier.slack";

std::string joinOr(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == items.size() ? " or " : ", ") + items[i];
  }
  return out;
}

common::net::TargetUrl webhookUrl(const common::text::SettingsReader& in,
                                  const std::vector<std::string>& origins) {
  // Checked like a secret: a message may say what is wrong, never what the URL holds.
  std::string url = *in.text("webhook_url", true, 2048);
  common::net::TargetUrl target;
  try {
    target = common::net::parseTargetUrl(url, {"http", "https"});
  } catch (const std::invalid_argument& e) {
    in.invalid(std::string("/webhook_url ") + e.what());
  }
  std::string origin = common::net::originOf(target);
  if (std::find(origins.begin(), origins.end(), origin) == origins.end()) {
    in.invalid("/webhook_url must be a Slack incoming webhook URL on " + joinOr(origins) + ", not " + origin);
  }
  if (target.has_query || target.has_credentials || url.find('#') != std::string::npos) {
    in.invalid("/webhook_url must not have a query, fragment or user:password@ part");
  }
  static const std::regex kPath("/services/T[A-Z0-9]{1,32}/B[A-Z0-9]{1,32}/[A-Za-z0-9]{1,64}");
  if (!std::regex_match(target.path, kPath)) {
    in.invalid("/webhook_url path must be /services/T.../B.../<secret> (copy the URL from the Slack app's "
               "Incoming Webhooks page)");
  }
  return target;
}

} // namespace

SlackConfig parseSlackConfig(const std::string& config_json) {
  common::net::PluginConfig config = common::net::readPluginConfig(config_json, kName, {"webhook_origins"});
  SlackConfig out;
  out.policy = config.policy;
  out.webhook_origins =
      common::net::originsFromConfig(config, kName, "webhook_origins", {"https://hooks.slack.com"});
  return out;
}

SlackSettings parseSlackSettings(const std::string& settings_json, const SlackConfig& config) {
  common::text::SettingsReader in(settings_json, kName, {"webhook_url", "templates", "timeout_ms"});
  SlackSettings out;
  out.webhook_url = webhookUrl(in, config.webhook_origins);
  out.templates = in.templates();
  out.timeout_ms = in.timeoutMs(kDefaultTimeoutMs);
  return out;
}

} // namespace bambuddy::notifier_slack
