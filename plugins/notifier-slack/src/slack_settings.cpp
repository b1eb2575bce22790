#include "slack_settings.h"

#include "net/webhook_url.h"
#include "text/settings_reader.h"

#include <algorithm>
#include <regex>
#include <stdexcept>

namespace bambuddy::notifier_slack {
namespace {

constexpr const char* kName = "notifier.slack";

common::net::TargetUrl webhookUrl(const common::text::SettingsReader& in,
                                  const std::vector<std::string>& origins) {
  static const common::net::WebhookUrlRule kRule{
      "a Slack incoming webhook URL",
      std::regex("/services/T[A-Z0-9]{1,32}/B[A-Z0-9]{1,32}/[A-Za-z0-9]{1,64}"),
      "/services/T.../B.../<secret> (copy the URL from the Slack app's Incoming Webhooks page)"};
  return common::net::checkedWebhookUrl(in, "webhook_url", origins, kRule);
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
