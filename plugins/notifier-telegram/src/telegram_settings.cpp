#include "telegram_settings.h"

#include "net/plugin_config.h"
#include "text/settings_reader.h"

#include <cstdint>
#include <regex>
#include <stdexcept>

namespace bambuddy::notifier_telegram {
namespace {

constexpr const char* kName = "notifier.telegram";

nlohmann::json chatId(const common::text::SettingsReader& in) {
  const nlohmann::json* value = in.find("chat_id");
  if (value == nullptr) {
    in.invalid("/chat_id is required");
  }
  const std::string why = "/chat_id must be a chat's numeric id (e.g. -1001234567890) or a public channel's "
                          "@username";
  if (value->is_number_integer()) {
    if (value->get<int64_t>() == 0) {
      in.invalid(why);
    }
    return *value;
  }
  if (!value->is_string()) {
    in.invalid("/chat_id must be an integer or a string, got " + std::string(value->type_name()));
  }
  const std::string& s = value->get_ref<const std::string&>();
  static const std::regex kNumeric("-?[1-9][0-9]{0,18}");
  static const std::regex kUsername("@[A-Za-z][A-Za-z0-9_]{3,31}");
  if (std::regex_match(s, kNumeric)) {
    return std::stoll(s); // Telegram takes both; one form makes requests comparable
  }
  if (!std::regex_match(s, kUsername)) {
    in.invalid(why);
  }
  return s;
}

} // namespace

TelegramSettings parseTelegramSettings(const std::string& settings_json) {
  common::text::SettingsReader in(
      settings_json, kName,
      {"bot_token", "chat_id", "message_thread_id", "api_url", "silent", "templates", "timeout_ms"});
  TelegramSettings out;
  std::string token = *in.secret("bot_token", true, "a bot token from @BotFather, <bot id>:<secret>", 128);
  static const std::regex kToken("[0-9]{1,20}:[A-Za-z0-9_-]{20,100}");
  if (!std::regex_match(token, kToken)) {
    in.invalid("/bot_token must look like <bot id>:<secret> as @BotFather gives it (digits, ':', then 20 to "
               "100 letters, digits, '_' or '-')");
  }
  out.chat_id = chatId(in);
  out.message_thread_id = in.integer("message_thread_id", 1, INT64_MAX);
  out.silent = in.boolean("silent").value_or(false);

  std::string api = in.text("api_url", false, 2048).value_or(kDefaultApiUrl);
  common::net::TargetUrl base;
  try {
    base = common::net::parseTargetUrl(api, {"http", "https"});
  } catch (const std::invalid_argument& e) {
    in.invalid(std::string("/api_url ") + e.what());
  }
  if (base.has_query || base.has_credentials || api.find('#') != std::string::npos) {
    in.invalid("/api_url must not have a query, fragment or user:password@ part");
  }
  out.api_origin = common::net::originOf(base);
  while (!api.empty() && api.back() == '/') {
    api.pop_back();
  }
  out.send_url = common::net::parseTargetUrl(api + "/bot" + token + "/sendMessage", {"http", "https"});
  out.photo_url = common::net::parseTargetUrl(api + "/bot" + token + "/sendPhoto", {"http", "https"});
  out.templates = in.templates();
  out.timeout_ms = in.timeoutMs(kDefaultTimeoutMs);
  return out;
}

} // namespace bambuddy::notifier_telegram
