#include "email_settings.h"

#include "text/event_texts.h"
#include "text/json_input.h"
#include "text/utf8.h"

#include <bambuddy/abi.h>
#include <bambuddy/sdk.hpp>

#include <algorithm>
#include <stdexcept>
#include <unistd.h>

namespace bambuddy::notifier_email {
namespace {

using nlohmann::json;

[[noreturn]] void invalid(const std::string& message) {
  throw sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_settings", "notifier.email settings: " + message);
}

const json* find(const json& settings, const char* key) {
  auto it = settings.find(key);
  return it == settings.end() || it->is_null() ? nullptr : &*it;
}

std::string stringField(const json& settings, const char* key) {
  const json* value = find(settings, key);
  if (value == nullptr) {
    return "";
  }
  if (!value->is_string()) {
    invalid(std::string("/") + key + " must be a string, got " + value->type_name());
  }
  return value->get<std::string>();
}

bool hasControl(const std::string& text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    unsigned char u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7F;
  });
}

common::net::TargetUrl serverField(const json& settings) {
  if (find(settings, "smtp_url") == nullptr) {
    invalid("/smtp_url is required");
  }
  std::string url = stringField(settings, "smtp_url");
  common::net::TargetUrl server;
  try {
    server = common::net::parseTargetUrl(url, {"smtp", "smtps"});
  } catch (const std::invalid_argument& e) {
    invalid(std::string("/smtp_url ") + e.what());
  }
  if (server.path != "/" || server.has_query || url.find('#') != std::string::npos) {
    invalid("/smtp_url must be only scheme, host and port (e.g. smtp://mail.example.com:587)");
  }
  if (server.has_credentials) {
    invalid("/smtp_url must not contain credentials: use /username and /password");
  }
  return server;
}

} // namespace

std::string defaultBody(const std::string& event) {
  return std::string(common::text::defaultEventText(event).message) +
         "\n\n-- \nSent by Bambuddy for the event {{event}} at {{timestamp}}.\n";
}

EmailSettings parseEmailSettings(const std::string& settings_json) {
  const std::string what = "notifier.email settings";
  json settings = common::text::parseJsonObject(settings_json, "invalid_settings", what);
  common::text::rejectUnknownKeys(settings,
                                  {"smtp_url", "starttls", "username", "password", "ca_file", "tls_verify",
                                   "from", "to", "templates", "timeout_ms"},
                                  "invalid_settings", what);
  EmailSettings out;
  out.server = serverField(settings);

  if (find(settings, "starttls") != nullptr) {
    std::string mode = stringField(settings, "starttls");
    if (mode != "required" && mode != "none") {
      invalid("/starttls must be \"required\" or \"none\", got \"" + common::text::utf8Snippet(mode, 32) +
              "\"");
    }
    out.starttls_required = mode == "required";
  }

  if (find(settings, "username") != nullptr) {
    std::string user = stringField(settings, "username");
    if (user.empty() || user.size() > 256 || hasControl(user) || !common::text::isValidUtf8(user)) {
      invalid("/username must be 1 to 256 bytes of UTF-8 without control characters");
    }
    out.username = user;
  }
  if (find(settings, "password") != nullptr) {
    std::string password = stringField(settings, "password");
    if (password.empty() || password.size() > 1024 || hasControl(password)) {
      invalid("/password must be 1 to 1024 bytes without control characters");
    }
    out.password = password;
  }
  if (out.password && !out.username) {
    invalid("/password is set but /username is not");
  }
  if (out.username && !out.password) {
    invalid("/username is set but /password is not");
  }

  out.ca_file = stringField(settings, "ca_file");
  if (!out.ca_file.empty() && ::access(out.ca_file.c_str(), R_OK) != 0) {
    invalid("/ca_file '" + common::text::utf8Snippet(out.ca_file, 200) + "' cannot be read by the server");
  }
  if (const json* verify = find(settings, "tls_verify")) {
    if (!verify->is_boolean()) {
      invalid(std::string("/tls_verify must be a boolean, got ") + verify->type_name());
    }
    out.tls_verify = verify->get<bool>();
  }

  if (find(settings, "from") == nullptr) {
    invalid("/from is required");
  }
  try {
    out.from = parseMailbox(stringField(settings, "from"));
  } catch (const std::invalid_argument& e) {
    invalid(std::string("/from ") + e.what());
  }

  const json* to = find(settings, "to");
  if (to == nullptr) {
    invalid("/to is required");
  }
  if (!to->is_array() || to->empty()) {
    invalid("/to must be a non-empty array of addresses");
  }
  if (to->size() > 50) {
    invalid("/to has " + std::to_string(to->size()) + " addresses; the limit is 50");
  }
  for (size_t i = 0; i < to->size(); ++i) {
    const json& entry = (*to)[i];
    std::string path = "/to/" + std::to_string(i);
    if (!entry.is_string()) {
      invalid(path + " must be a string, got " + entry.type_name());
    }
    if (auto problem = addressProblem(entry.get<std::string>())) {
      invalid(path + " address " + *problem);
    }
    out.to.push_back(entry.get<std::string>());
  }

  try {
    out.templates = common::text::EventTemplates::parse(
        find(settings, "templates"), "subject", "body", [](const std::string& event) {
          return std::make_pair(std::string(common::text::defaultEventText(event).title), defaultBody(event));
        });
  } catch (const std::invalid_argument& e) {
    invalid(e.what());
  }

  if (const json* timeout = find(settings, "timeout_ms")) {
    if (!timeout->is_number_integer() || timeout->get<int64_t>() < 100 || timeout->get<int64_t>() > 120000) {
      invalid("/timeout_ms must be an integer from 100 to 120000, got " +
              (timeout->is_number() ? timeout->dump() : std::string(timeout->type_name())));
    }
    out.timeout_ms = timeout->get<int64_t>();
  }
  return out;
}

} // namespace bambuddy::notifier_email
