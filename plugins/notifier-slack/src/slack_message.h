// The JSON body a Slack incoming webhook expects for one notification: Block Kit blocks (a header
// with the title, the message, the printer/file/duration/filament facts as fields, a context line)
// and a plain `text` fallback for notifications and clients without blocks.
#pragma once

#include "slack_settings.h"
#include "text/event_facts.h"
#include "text/notification.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace bambuddy::notifier_slack {

// Slack's limits: header text 150 characters, section text 3000 (counted in bytes here).
inline constexpr size_t kMaxHeaderBytes = 150;
inline constexpr size_t kMaxSectionBytes = 3000;

// The rendered parts of one message, plain text (escaped only where slackMessage() writes them).
struct SlackText {
  std::string title; // one line, at most kMaxHeaderBytes
  std::string message;
  std::vector<common::text::EventFact> facts;
};

SlackText slackText(const common::text::Notification& notification, const SlackSettings& settings);

nlohmann::json slackMessage(const common::text::Notification& notification, const SlackSettings& settings);

// What preview() shows: title, message, fields, format.
nlohmann::json slackPreview(const SlackText& text);

// `text` safe inside mrkdwn: &, < and > escaped, so data can neither mention (<!channel>) nor link.
std::string escapeMrkdwn(const std::string& text);

} // namespace bambuddy::notifier_slack
