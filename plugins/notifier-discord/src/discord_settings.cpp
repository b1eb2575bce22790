#include "discord_settings.h"

#include "net/webhook_url.h"
#include "text/settings_reader.h"

#include <algorithm>
#include <regex>
#include <stdexcept>

namespace bambuddy::notifier_discord {
namespace {

using nlohmann::json;

constexpr const char* kName = "notifier.discord";

common::net::TargetUrl webhookUrl(const common::text::SettingsReader& in,
                                  const std::vector<std::string>& origins) {
  static const common::net::WebhookUrlRule kRule{
      "a Discord webhook URL", std::regex("/api/(v[0-9]{1,2}/)?webhooks/[0-9]{1,25}/[A-Za-z0-9_-]{1,128}"),
      "/api/webhooks/<numeric id>/<token> (copy the URL from the channel's Integrations > Webhooks)"};
  return common::net::checkedWebhookUrl(in, "webhook_url", origins, kRule);
}

} // namespace

uint32_t defaultColor(const std::string& event) {
  static const std::map<std::string, uint32_t> kColors = {
      {"print_started", 0x3498DB},   {"print_progress", 0x3498DB},   {"print_complete", 0x2ECC71},
      {"print_failed", 0xE74C3C},    {"print_paused", 0xF39C12},     {"print_resumed", 0x3498DB},
      {"print_cancelled", 0x95A5A6}, {"printer_offline", 0x7F8C8D},  {"printer_online", 0x2ECC71},
      {"printer_error", 0xE74C3C},   {"queue_item_added", 0x9B59B6}, {"queue_item_started", 0x9B59B6},
  };
  auto it = kColors.find(event);
  return it == kColors.end() ? 0x00AE42 : it->second; // Bambu green for test and unknown events
}

uint32_t DiscordSettings::colorFor(const std::string& event) const {
  const uint32_t* c = common::text::eventValue(colors, event);
  return c != nullptr ? *c : defaultColor(event);
}

DiscordConfig parseDiscordConfig(const std::string& config_json) {
  common::net::PluginConfig config = common::net::readPluginConfig(config_json, kName, {"webhook_origins"});
  DiscordConfig out;
  out.policy = config.policy;
  out.webhook_origins = common::net::originsFromConfig(config, kName, "webhook_origins",
                                                       {"https://discord.com", "https://discordapp.com"});
  return out;
}

DiscordSettings parseDiscordSettings(const std::string& settings_json, const DiscordConfig& config) {
  common::text::SettingsReader in(
      settings_json, kName, {"webhook_url", "username", "avatar_url", "colors", "templates", "timeout_ms"});
  DiscordSettings out;
  out.webhook_url = webhookUrl(in, config.webhook_origins);
  out.username = in.text("username", false, 80);
  if (out.username && out.username->find_first_of("@#:`") != std::string::npos) {
    in.invalid("/username must not contain '@', '#', ':' or '`' (Discord refuses such names)");
  }
  out.avatar_url = in.text("avatar_url", false, 2048);
  if (out.avatar_url && out.avatar_url->rfind("https://", 0) != 0) {
    in.invalid("/avatar_url must be an https:// URL");
  }
  in.forEachEvent("colors", "colours 0..16777215 (0xRRGGBB)",
                  [&](const std::string& key, const json& value, const std::string& path) {
                    if (!value.is_number_integer() || value.get<int64_t>() < 0 ||
                        value.get<int64_t>() > 0xFFFFFF) {
                      in.invalid(path + " must be an integer from 0 to 16777215 (0xRRGGBB), got " +
                                 common::text::describeJson(value));
                    }
                    out.colors[key] = value.get<uint32_t>();
                  });
  out.templates = in.templates();
  out.timeout_ms = in.timeoutMs(kDefaultTimeoutMs);
  return out;
}

} // namespace bambuddy::notifier_discord
