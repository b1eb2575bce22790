// The JSON body Discord's "Execute Webhook" expects for one notification: one embed with the
// title, the message as description, the event's colour, the printer/file/duration/filament facts
// as inline fields and the event time; mentions disabled so a file name can never ping @everyone.
#pragma once

#include "discord_settings.h"
#include "text/notification.h"

#include <nlohmann/json.hpp>

namespace bambuddy::notifier_discord {

// Discord's limits (characters there; counted in bytes here, which is never more).
inline constexpr size_t kMaxTitleBytes = 256;
inline constexpr size_t kMaxDescriptionBytes = 4096;

nlohmann::json discordMessage(const common::text::Notification& notification,
                              const DiscordSettings& settings);

} // namespace bambuddy::notifier_discord
