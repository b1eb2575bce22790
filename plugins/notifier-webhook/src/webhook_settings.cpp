#include "webhook_settings.h"

#include "webhook_signer.h"

#include "text/json_input.h"
#include "text/utf8.h"

#include <bambuddy/abi.h>
#include <bambuddy/sdk.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <stdexcept>

namespace bambuddy::notifier_webhook {
namespace {

using nlohmann::json;

[[noreturn]] void invalid(const std::string& message) {
  throw sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_settings", "notifier.webhook settings: " + message);
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool isTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
    return true;
  }
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Names the transport or the signing owns: a custom value would break framing or forge a signature.
bool isReservedHeader(const std::string& lower_name) {
  static const char* const kReserved[] = {"content-type",      "content-length", "host",
                                          "transfer-encoding", "connection",     "expect"};
  if (lower_name.rfind("webhook-", 0) == 0) {
    return true;
  }
  return std::find(std::begin(kReserved), std::end(kReserved), lower_name) != std::end(kReserved);
}

std::optional<std::string> secretField(const json& settings, const char* key) {
  auto it = settings.find(key);
  if (it == settings.end() || it->is_null()) {
    return std::nullopt;
  }
  if (!it->is_string()) {
    invalid(std::string("/") + key + " must be a string, got " + it->type_name());
  }
  std::string why;
  std::optional<std::string> bytes = decodeWebhookSecret(it->get<std::string>(), &why);
  if (!bytes) {
    invalid(std::string("/") + key + " " + why);
  }
  return bytes;
}

std::vector<std::pair<std::string, std::string>> headersField(const json& settings) {
  std::vector<std::pair<std::string, std::string>> out;
  auto it = settings.find("headers");
  if (it == settings.end() || it->is_null()) {
    return out;
  }
  if (!it->is_object()) {
    invalid(std::string("/headers must be an object of header names to string values, got ") +
            it->type_name());
  }
  if (it->size() > 32) {
    invalid("/headers has " + std::to_string(it->size()) + " entries; the limit is 32");
  }
  for (auto h = it->begin(); h != it->end(); ++h) {
    const std::string& name = h.key();
    if (name.empty() || name.size() > 128 || !std::all_of(name.begin(), name.end(), isTokenChar)) {
      invalid("/headers name '" + common::text::utf8Snippet(name, 128) +
              "' is not a valid HTTP header name (letters, digits and !#$%&'*+-.^_`|~, 1 to 128 characters)");
    }
    if (isReservedHeader(lower(name))) {
      invalid(
          "/headers/" + name +
          " cannot be set: webhook-*, Content-Type, Content-Length, Host, Transfer-Encoding, Connection and "
          "Expect are set by the notifier");
    }
    if (!h->is_string()) {
      invalid("/headers/" + name + " must be a string, got " + h->type_name());
    }
    const std::string& value = h->get_ref<const std::string&>();
    if (value.size() > 8192) {
      invalid("/headers/" + name + " is " + std::to_string(value.size()) + " bytes long; the limit is 8192");
    }
    for (char c : value) {
      unsigned char u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t') || u == 0x7F) {
        invalid("/headers/" + name +
                " contains a control character (line breaks are not allowed in a header)");
      }
    }
    if (!common::text::isValidUtf8(value)) {
      invalid("/headers/" + name + " is not valid UTF-8");
    }
    out.emplace_back(name, value);
  }
  return out;
}

} // namespace

WebhookSettings parseWebhookSettings(const std::string& settings_json) {
  const std::string what = "notifier.webhook settings";
  json settings = common::text::parseJsonObject(settings_json, "invalid_settings", what);
  common::text::rejectUnknownKeys(
      settings, {"url", "secret", "previous_secret", "previous_secret_expires_ms", "headers", "timeout_ms"},
      "invalid_settings", what);

  WebhookSettings out;
  auto url = settings.find("url");
  if (url == settings.end() || url->is_null()) {
    invalid("/url is required");
  }
  if (!url->is_string()) {
    invalid(std::string("/url must be a string, got ") + url->type_name());
  }
  try {
    out.url = common::net::parseTargetUrl(url->get<std::string>(), {"http", "https"});
  } catch (const std::invalid_argument& e) {
    invalid(std::string("/url ") + e.what());
  }

  out.secret_key = secretField(settings, "secret");
  out.previous_secret_key = secretField(settings, "previous_secret");
  auto expires = settings.find("previous_secret_expires_ms");
  bool has_expiry = expires != settings.end() && !expires->is_null();
  if (has_expiry) {
    if (!expires->is_number_integer() || expires->get<int64_t>() < 0) {
      invalid("/previous_secret_expires_ms must be a Unix time in ms (an integer >= 0), got " +
              (expires->is_number() ? expires->dump() : std::string(expires->type_name())));
    }
    out.previous_secret_expires_ms = expires->get<int64_t>();
  }
  if (out.previous_secret_key && !out.secret_key) {
    invalid("/previous_secret needs /secret: the previous secret only signs alongside the current one");
  }
  if (out.previous_secret_key && !has_expiry) {
    invalid("/previous_secret needs /previous_secret_expires_ms (when receivers stop accepting it)");
  }
  if (has_expiry && !out.previous_secret_key) {
    invalid("/previous_secret_expires_ms is set but /previous_secret is not");
  }

  out.headers = headersField(settings);

  if (auto timeout = settings.find("timeout_ms"); timeout != settings.end() && !timeout->is_null()) {
    if (!timeout->is_number_integer() || timeout->get<int64_t>() < 100 || timeout->get<int64_t>() > 120000) {
      invalid("/timeout_ms must be an integer from 100 to 120000, got " +
              (timeout->is_number() ? timeout->dump() : std::string(timeout->type_name())));
    }
    out.timeout_ms = timeout->get<int64_t>();
  }
  return out;
}

} // namespace bambuddy::notifier_webhook
