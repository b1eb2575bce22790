#include "discord_message.h"

#include "text/event_facts.h"
#include "text/utf8.h"

#include <cstdio>
#include <regex>

namespace bambuddy::notifier_discord {

nlohmann::json discordMessage(const common::text::Notification& n, const DiscordSettings& settings,
                              const std::string& image_filename) {
  auto lookup = [&](const std::string& name) { return n.field(name); };
  nlohmann::json embed = {
      {"title",
       common::text::utf8Snippet(common::text::singleLine(settings.templates.first(n.event).render(lookup)),
                                 kMaxTitleBytes)},
      {"description",
       common::text::utf8Snippet(settings.templates.second(n.event).render(lookup), kMaxDescriptionBytes)},
      {"color", settings.colorFor(n.event)},
      {"footer", {{"text", "Bambuddy"}}},
  };
  nlohmann::json fields = nlohmann::json::array();
  for (const common::text::EventFact& fact : common::text::eventFacts(n)) {
    fields.push_back({{"name", fact.name}, {"value", fact.value}, {"inline", true}});
  }
  if (!fields.empty()) {
    embed["fields"] = fields;
  }
  // Discord refuses the whole message for a timestamp it cannot parse: only ISO 8601 ones go.
  static const std::regex kIso(
      "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})");
  if (std::regex_match(n.timestamp, kIso)) {
    embed["timestamp"] = n.timestamp;
  }
  if (!image_filename.empty()) {
    embed["image"] = {{"url", "attachment://" + image_filename}};
  }
  nlohmann::json body = {{"embeds", nlohmann::json::array({embed})},
                         {"allowed_mentions", {{"parse", nlohmann::json::array()}}}};
  if (settings.username) {
    body["username"] = *settings.username;
  }
  if (settings.avatar_url) {
    body["avatar_url"] = *settings.avatar_url;
  }
  return body;
}

nlohmann::json discordPreview(const nlohmann::json& message) {
  const nlohmann::json& embed = message["embeds"][0];
  char color[8];
  std::snprintf(color, sizeof color, "#%06X", embed["color"].get<uint32_t>() & 0xFFFFFF);
  nlohmann::json fields = nlohmann::json::array();
  for (const nlohmann::json& field : embed.value("fields", nlohmann::json::array())) {
    fields.push_back({{"name", field["name"]}, {"value", field["value"]}});
  }
  nlohmann::json out = {{"title", embed["title"]},
                        {"message", embed["description"]},
                        {"fields", fields},
                        {"color", color},
                        {"footer", embed["footer"]["text"]}};
  if (message.contains("username")) {
    out["username"] = message["username"];
  }
  return out;
}

} // namespace bambuddy::notifier_discord
