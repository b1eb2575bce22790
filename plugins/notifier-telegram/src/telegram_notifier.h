// notifier.telegram: sends each notification as a Telegram bot message (sendMessage with
// MarkdownV2: the title in bold, then the message). One attempt per send(); the core owns retries.
#pragma once

#include "net/curl_handle.h"
#include "net/http_attempt.h"
#include "net/ssrf_guard.h"
#include "telegram_settings.h"
#include "text/notification.h"

#include <bambuddy/sdk.hpp>
#include <bambuddy_plugin_schemas.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace bambuddy::notifier_telegram {

inline constexpr const char* kUserAgent = "Bambuddy-Telegram/1";
// Telegram allows 4096 characters after entity parsing; the raw parts stay well below that.
inline constexpr size_t kMaxTitleBytes = 256;
inline constexpr size_t kMaxMessageBytes = 3500;
// A photo's caption may have at most 1024 characters after entity parsing; counted here in UTF-16
// code units of the visible text, which is never fewer.
inline constexpr size_t kMaxCaptionUnits = 1024;

// One notification's text: the rendered parts and the MarkdownV2 text Telegram gets.
struct TelegramText {
  std::string title;    // plain, one line
  std::string message;  // plain
  std::string markdown; // "*title*\nmessage", escaped
  // The length Telegram counts for a caption (the visible text, in UTF-16 code units).
  size_t visibleUnits() const;
};

class TelegramNotifier : public sdk::Notifier {
public:
  static constexpr const char* kName = "notifier.telegram";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription = "Sends notifications as Telegram bot messages to a chat";
  static constexpr const char* kConfigSchema = bambuddy::plugin::kConfigSchemaJson;
  static constexpr const char* kInstanceSchema = bambuddy::plugin::kInstanceSchemaJson;

  TelegramNotifier(sdk::Host host, const std::string& config_json, const std::string& settings_json);

  // Thread-safe: everything it reads is fixed at construction, each call has its own curl handle.
  sdk::DeliveryResult send(const std::string& notification_json, int64_t deadline_ms) override;
  // The first image with sendPhoto (multipart, the text as its caption) when the text fits a
  // caption; else, or when Telegram refuses the photo (400, 413), the text alone with sendMessage.
  sdk::DeliveryResult sendWithAttachments(const std::string& notification_json,
                                          const std::vector<sdk::Attachment>& attachments,
                                          int64_t deadline_ms) override;
  std::string preview(const std::string& notification_json) override;

  TelegramText text(const common::text::Notification& notification) const;
  // The sendMessage body for one notification.
  nlohmann::json request(const TelegramText& text) const;

private:
  common::net::HttpAttempt messageAttempt(const TelegramText& text, int64_t remaining_ms) const;

  common::net::CurlGlobal curl_; // first member: initialised before, cleaned up after the rest
  sdk::Host host_;
  common::net::SsrfPolicy policy_;
  TelegramSettings settings_;
};

} // namespace bambuddy::notifier_telegram
