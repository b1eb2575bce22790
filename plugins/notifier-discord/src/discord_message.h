// The JSON body Discord's "Execute Webhook" expects for one notification: one embed with the
// title, the message as description, the event's colour, the printer/file/duration/filament facts
// as inline fields and the event time; mentions disabled so a file name can never ping @everyone.
#pragma once

#include "discord_settings.h"
#include "text/notification.h"

#include <nlohmann/json.hpp>

#include <string>

namespace bambuddy::notifier_discord {

// Discord's limits (characters there; counted in bytes here, which is never more).
inline constexpr size_t kMaxTitleBytes = 256;
inline constexpr size_t kMaxDescriptionBytes = 4096;

// `image_filename`, when set, is an uploaded file the embed shows as its image
// ("attachment://<file name>"; the name is [A-Za-z0-9._-] only).
nlohmann::json discordMessage(const common::text::Notification& notification, const DiscordSettings& settings,
                              const std::string& image_filename = "");

// What preview() shows of a message discordMessage() built: title, message (the description),
// fields, colour ("#RRGGBB"), footer, username when set.
nlohmann::json discordPreview(const nlohmann::json& message);

} // namespace bambuddy::notifier_discord
