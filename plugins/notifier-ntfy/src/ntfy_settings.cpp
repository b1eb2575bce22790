#include "ntfy_settings.h"

#include "text/event_texts.h"
#include "text/json_input.h"
#include "text/utf8.h"

#include <bambuddy/abi.h>
#include <bambuddy/sdk.hpp>

#include <algorithm>
#include <stdexcept>

namespace bambuddy::notifier_ntfy {
namespace {

using nlohmann::json;

[[noreturn]] void invalid(const std::string& message) {
  throw sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_settings", "notifier.ntfy settings: " + message);
}

std::string describe(const json& value) {
  return value.is_number() ? value.dump() : std::string(value.type_name());
}

bool isTopicChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool hasControl(const std::string& text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    unsigned char u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7F;
  });
}

// An object keyed by event names ("*" allowed); calls `each(key, value, path)`.
template <class Fn> void forEachEvent(const json& settings, const char* key, const char* shape, Fn each) {
  auto it = settings.find(key);
  if (it == settings.end() || it->is_null()) {
    return;
  }
  if (!it->is_object()) {
    invalid(std::string("/") + key + " must be an object of event names to " + shape + ", got " +
            it->type_name());
  }
  for (auto e = it->begin(); e != it->end(); ++e) {
    std::string path = std::string("/") + key + "/" + common::text::utf8Snippet(e.key(), 64);
    if (!common::text::isEventKey(e.key())) {
      invalid(path + ": not an event name (lower-case letters, digits and '_', or \"*\")");
    }
    each(e.key(), e.value(), path);
  }
}

common::net::TargetUrl publishUrl(const json& settings, const std::string& topic) {
  std::string server = kDefaultServer;
  if (auto it = settings.find("server"); it != settings.end() && !it->is_null()) {
    if (!it->is_string()) {
      invalid(std::string("/server must be a string, got ") + it->type_name());
    }
    server = it->get<std::string>();
  }
  common::net::TargetUrl base;
  try {
    base = common::net::parseTargetUrl(server, {"http", "https"});
  } catch (const std::invalid_argument& e) {
    invalid(std::string("/server ") + e.what());
  }
  if (base.has_query || server.find('#') != std::string::npos) {
    invalid("/server must not have a query or fragment (the topic is appended as a path segment)");
  }
  while (!server.empty() && server.back() == '/') {
    server.pop_back();
  }
  return common::net::parseTargetUrl(server + "/" + topic, {"http", "https"});
}

} // namespace

int defaultPriority(const std::string& event) {
  return event == "print_failed" || event == "printer_error" || event == "printer_offline" ? 4 : 3;
}

std::vector<std::string> defaultTags(const std::string& event) {
  static const std::map<std::string, std::vector<std::string>> kTags = {
      {"print_started", {"arrow_forward"}},
      {"print_progress", {"hourglass_flowing_sand"}},
      {"print_complete", {"white_check_mark"}},
      {"print_failed", {"x"}},
      {"print_paused", {"pause_button"}},
      {"print_resumed", {"arrow_forward"}},
      {"print_cancelled", {"stop_button"}},
      {"printer_offline", {"electric_plug"}},
      {"printer_online", {"satellite"}},
      {"printer_error", {"warning"}},
      {"queue_item_added", {"inbox_tray"}},
      {"queue_item_started", {"arrow_forward"}},
      {"test", {"bell"}},
  };
  auto it = kTags.find(event);
  return it == kTags.end() ? std::vector<std::string>{"printer"} : it->second;
}

int NtfySettings::priorityFor(const std::string& event) const {
  for (const std::string& key : {event, std::string("*")}) {
    if (auto it = priority.find(key); it != priority.end()) {
      return it->second;
    }
  }
  return defaultPriority(event);
}

std::vector<std::string> NtfySettings::tagsFor(const std::string& event) const {
  for (const std::string& key : {event, std::string("*")}) {
    if (auto it = tags.find(key); it != tags.end()) {
      return it->second;
    }
  }
  return defaultTags(event);
}

NtfySettings parseNtfySettings(const std::string& settings_json) {
  const std::string what = "notifier.ntfy settings";
  json settings = common::text::parseJsonObject(settings_json, "invalid_settings", what);
  common::text::rejectUnknownKeys(
      settings, {"server", "topic", "token", "priority", "tags", "click", "templates", "timeout_ms"},
      "invalid_settings", what);
  NtfySettings out;

  auto topic = settings.find("topic");
  if (topic == settings.end() || topic->is_null()) {
    invalid("/topic is required");
  }
  if (!topic->is_string()) {
    invalid(std::string("/topic must be a string, got ") + topic->type_name());
  }
  out.topic = topic->get<std::string>();
  if (out.topic.empty() || out.topic.size() > 64 ||
      !std::all_of(out.topic.begin(), out.topic.end(), isTopicChar)) {
    invalid("/topic must be 1 to 64 letters, digits, '-' or '_'");
  }
  out.publish_url = publishUrl(settings, out.topic);

  if (auto token = settings.find("token"); token != settings.end() && !token->is_null()) {
    if (!token->is_string()) {
      invalid(std::string("/token must be a string, got ") + token->type_name());
    }
    const std::string& t = token->get_ref<const std::string&>();
    bool printable = std::all_of(t.begin(), t.end(), [](char c) { return c > 0x20 && c < 0x7F; });
    if (t.empty() || t.size() > 512 || !printable) {
      invalid(
          "/token must be 1 to 512 printable ASCII characters without spaces (an ntfy access token, tk_...)");
    }
    out.token = t;
  }

  forEachEvent(settings, "priority", "1..5",
               [&](const std::string& key, const json& value, const std::string& path) {
                 if (!value.is_number_integer() || value.get<int64_t>() < 1 || value.get<int64_t>() > 5) {
                   invalid(path + " must be an integer from 1 (min) to 5 (max), got " + describe(value));
                 }
                 out.priority[key] = value.get<int>();
               });

  forEachEvent(settings, "tags", "arrays of tags",
               [&](const std::string& key, const json& value, const std::string& path) {
                 if (!value.is_array()) {
                   invalid(path + " must be an array of tags, got " + value.type_name());
                 }
                 if (value.size() > 10) {
                   invalid(path + " has " + std::to_string(value.size()) + " tags; the limit is 10");
                 }
                 std::vector<std::string> tags;
                 for (size_t i = 0; i < value.size(); ++i) {
                   const json& tag = value[i];
                   std::string tag_path = path + "/" + std::to_string(i);
                   if (!tag.is_string()) {
                     invalid(tag_path + " must be a string, got " + tag.type_name());
                   }
                   const std::string& t = tag.get_ref<const std::string&>();
                   if (t.empty() || t.size() > 64 || t.find(',') != std::string::npos || hasControl(t) ||
                       !common::text::isValidUtf8(t)) {
                     invalid(tag_path +
                             " must be 1 to 64 bytes of UTF-8 without commas or control characters");
                   }
                   tags.push_back(t);
                 }
                 out.tags[key] = tags;
               });

  if (auto click = settings.find("click"); click != settings.end() && !click->is_null()) {
    if (!click->is_string()) {
      invalid(std::string("/click must be a string, got ") + click->type_name());
    }
    const std::string& c = click->get_ref<const std::string&>();
    std::string head = c.substr(0, 8);
    std::transform(head.begin(), head.end(), head.begin(), [](unsigned char ch) { return std::tolower(ch); });
    if (head.rfind("http://", 0) != 0 && head.rfind("https://", 0) != 0) {
      invalid("/click must be an http:// or https:// URL");
    }
    if (c.size() > 2048 || hasControl(c) || c.find(' ') != std::string::npos) {
      invalid("/click must be at most 2048 characters without spaces or control characters");
    }
    try {
      out.click = common::text::Template::parse(c);
    } catch (const std::invalid_argument& e) {
      invalid(std::string("/click: ") + e.what());
    }
  }

  auto templates = settings.find("templates");
  try {
    out.templates = common::text::EventTemplates::parse(
        templates == settings.end() ? nullptr : &*templates, "title", "message",
        [](const std::string& event) {
          common::text::EventText t = common::text::defaultEventText(event);
          return std::make_pair(std::string(t.title), std::string(t.message));
        });
  } catch (const std::invalid_argument& e) {
    invalid(e.what());
  }

  if (auto timeout = settings.find("timeout_ms"); timeout != settings.end() && !timeout->is_null()) {
    if (!timeout->is_number_integer() || timeout->get<int64_t>() < 100 || timeout->get<int64_t>() > 120000) {
      invalid("/timeout_ms must be an integer from 100 to 120000, got " + describe(*timeout));
    }
    out.timeout_ms = timeout->get<int64_t>();
  }
  return out;
}

} // namespace bambuddy::notifier_ntfy
