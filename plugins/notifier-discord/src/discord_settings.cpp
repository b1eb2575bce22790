#include "discord_settings.h"

#include "text/settings_reader.h"

#include <algorithm>
#include <regex>
#include <stdexcept>

namespace bambuddy::notifier_discord {
namespace {

using nlohmann::json;

constexpr const char* kName = "notifier.discord";

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
    in.invalid("/webhook_url must be a Discord webhook URL on " + joinOr(origins) + ", not " + origin);
  }
  if (target.has_query || target.has_credentials || url.find('#') != std::string::npos) {
    in.invalid("/webhook_url must not have a query, fragment or user:password@ part");
  }
  static const std::regex kPath("/api/(v[0-9]{1,2}/)?webhooks/[0-9]{1,25}/[A-Za-z0-9_-]{1,128}");
  if (!std::regex_match(target.path, kPath)) {
    in.invalid("/webhook_url path must be /api/webhooks/<numeric id>/<token> (copy the URL from the "
               "channel's Integrations > Webhooks)");
  }
  return target;
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
