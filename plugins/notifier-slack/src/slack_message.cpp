#include "slack_message.h"

#include "text/event_facts.h"
#include "text/utf8.h"

namespace bambuddy::notifier_slack {

std::string escapeMrkdwn(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

SlackText slackText(const common::text::Notification& n, const SlackSettings& settings) {
  auto lookup = [&](const std::string& name) { return n.field(name); };
  SlackText t;
  t.title = common::text::utf8Snippet(
      common::text::singleLine(settings.templates.first(n.event).render(lookup)), kMaxHeaderBytes);
  t.message = settings.templates.second(n.event).render(lookup);
  t.facts = common::text::eventFacts(n);
  return t;
}

nlohmann::json slackPreview(const SlackText& text) {
  nlohmann::json fields = nlohmann::json::array();
  for (const common::text::EventFact& fact : text.facts) {
    fields.push_back({{"name", fact.name}, {"value", fact.value}});
  }
  return {{"title", text.title}, {"message", text.message}, {"fields", fields}, {"format", "mrkdwn"}};
}

nlohmann::json slackMessage(const common::text::Notification& n, const SlackSettings& settings) {
  using nlohmann::json;
  const SlackText text = slackText(n, settings);
  const std::string& title = text.title;
  const std::string& message = text.message;

  json blocks = json::array();
  if (!title.empty()) {
    // plain_text: Slack shows it as is, no escaping needed.
    blocks.push_back(
        {{"type", "header"}, {"text", {{"type", "plain_text"}, {"text", title}, {"emoji", true}}}});
  }
  std::string body = common::text::utf8Snippet(escapeMrkdwn(message), kMaxSectionBytes);
  if (!body.empty()) {
    blocks.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", body}}}});
  }
  json fields = json::array();
  for (const common::text::EventFact& fact : text.facts) {
    fields.push_back({{"type", "mrkdwn"}, {"text", "*" + fact.name + "*\n" + escapeMrkdwn(fact.value)}});
  }
  if (!fields.empty()) {
    blocks.push_back({{"type", "section"}, {"fields", fields}});
  }
  std::string context = "Bambuddy · " + n.event + (n.timestamp.empty() ? "" : " · " + n.timestamp);
  blocks.push_back({{"type", "context"},
                    {"elements", json::array({{{"type", "mrkdwn"}, {"text", escapeMrkdwn(context)}}})}});

  std::string fallback = title.empty() ? message : title + "\n" + message;
  return json{{"text", common::text::utf8Snippet(escapeMrkdwn(fallback), kMaxSectionBytes)},
              {"blocks", blocks}};
}

} // namespace bambuddy::notifier_slack
