// The JSON body a Slack incoming webhook expects for one notification: Block Kit blocks (a header
// with the title, the message, the printer/file/duration/filament facts as fields, a context line)
// and a plain `text` fallback for notifications and clients without blocks.
#pragma once

#include "slack_settings.h"
#include "text/notification.h"

#include <nlohmann/json.hpp>

#include <string>

namespace bambuddy::notifier_slack {

// Slack's limits: header text 150 characters, section text 3000 (counted in bytes here).
inline constexpr size_t kMaxHeaderBytes = 150;
inline constexpr size_t kMaxSectionBytes = 3000;

nlohmann::json slackMessage(const common::text::Notification& notification, const SlackSettings& settings);

// `text` safe inside mrkdwn: &, < and > escaped, so data can neither mention (<!channel>) nor link.
std::string escapeMrkdwn(const std::string& text);

} // namespace bambuddy::notifier_slack
