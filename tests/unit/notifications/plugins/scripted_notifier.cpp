// notifier.scripted: a notifier whose answers a test scripts through its settings ("ok", "retry",
// "retry_after:<ms>", "fail" (permanent), "gone" (410), "throw", "slow:<ms>"). Every send is
// announced on the bus as topic "scripted_notifier_sent" with the instance id, the notification,
// the answer, the secrets the instance holds and the images it was given (role, filename, type,
// size, first bytes in hex), so tests observe exactly what the core handed over. preview() describes the
// message as
// "<event> on <printer>", or fails when the settings say "preview_error".
#include <bambuddy/sdk.hpp>
#include <bambuddy_plugin_schemas.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <mutex>
#include <thread>

namespace {

using bambuddy::sdk::DeliveryResult;
using Outcome = DeliveryResult::Outcome;

class ScriptedNotifier : public bambuddy::sdk::Notifier {
public:
  static constexpr const char* kName = bambuddy::plugin::kPluginName;
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription = "test notifier with scripted answers";
  static constexpr const char* kConfigSchema = bambuddy::plugin::kConfigSchemaJson;
  static constexpr const char* kInstanceSchema = bambuddy::plugin::kInstanceSchemaJson;

  ScriptedNotifier(bambuddy::sdk::Host host, const std::string&, const std::string& settings_json)
      : host_(host) {
    settings_ = nlohmann::json::parse(settings_json);
    if (settings_.value("refuse", false)) {
      throw bambuddy::sdk::Error(BB_ERR_INVALID_ARGUMENT, "refused", "this instance refuses to start");
    }
    std::string dir = host_.dataDir();
    instance_ = dir.substr(dir.find_last_of('/') + 1);
  }

  DeliveryResult send(const std::string& notification_json, int64_t deadline_ms) override {
    return answer(notification_json, deadline_ms, nlohmann::json::array());
  }

  DeliveryResult sendWithAttachments(const std::string& notification_json,
                                     const std::vector<bambuddy::sdk::Attachment>& attachments,
                                     int64_t deadline_ms) override {
    nlohmann::json images = nlohmann::json::array();
    for (const auto& a : attachments) {
      images.push_back({{"role", a.role},
                        {"filename", a.filename},
                        {"content_type", a.content_type},
                        {"size", a.data.size()},
                        {"head_hex", hex(a.data.substr(0, 8))}});
    }
    return answer(notification_json, deadline_ms, images);
  }

  std::string preview(const std::string& notification_json) override {
    if (settings_.value("preview_error", false)) {
      throw bambuddy::sdk::Error(BB_ERR_INVALID_ARGUMENT, "bad_template",
                                 "the title template does not render");
    }
    const nlohmann::json n = nlohmann::json::parse(notification_json);
    return nlohmann::json{{"title", n["event"].get<std::string>() + " on " + n["data"].value("printer", "?")},
                          {"message", n["data"].dump()}}
        .dump();
  }

private:
  static std::string hex(std::string_view bytes) {
    static const char* kDigits = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
      out += kDigits[c >> 4];
      out += kDigits[c & 15];
    }
    return out;
  }

  DeliveryResult answer(const std::string& notification_json, int64_t deadline_ms,
                        const nlohmann::json& images) {
    std::string action;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      const nlohmann::json& script =
          settings_.contains("script") ? settings_["script"] : nlohmann::json::array();
      action = sent_ < script.size() ? script[sent_].get<std::string>() : settings_.value("default", "ok");
      ++sent_;
    }
    host_.publish("scripted_notifier_sent",
                  nlohmann::json{{"instance", instance_},
                                 {"notification", nlohmann::json::parse(notification_json)},
                                 {"action", action},
                                 {"deadline_ms", deadline_ms},
                                 {"secret", settings_.value("secret", "")},
                                 {"previous_secret", settings_.value("previous_secret", "")},
                                 {"attachments", images}}
                      .dump());
    DeliveryResult r;
    if (action == "ok") {
      r.outcome = Outcome::Delivered;
      r.http_status = 200;
      r.response_snippet = "ok";
    } else if (action == "retry") {
      r.outcome = Outcome::Retryable;
      r.http_status = 503;
      r.error = "HTTP 503 from the receiver";
    } else if (action.rfind("retry_after:", 0) == 0) {
      r.outcome = Outcome::Retryable;
      r.http_status = 429;
      r.retry_after_ms = std::stoll(action.substr(12));
      r.error = "HTTP 429 from the receiver";
    } else if (action == "fail") {
      r.outcome = Outcome::Permanent;
      r.http_status = 400;
      r.error = "HTTP 400 from the receiver";
      r.response_snippet = "bad payload";
    } else if (action == "gone") {
      r.outcome = Outcome::Permanent;
      r.http_status = 410;
      r.error = "HTTP 410 Gone: the receiver asked to stop deliveries";
    } else if (action == "throw") {
      throw std::runtime_error("scripted failure");
    } else if (action.rfind("slow:", 0) == 0) {
      // A receiver that does not answer: wait until told, but never past the deadline.
      const int64_t wait_ms = std::min<int64_t>(std::stoll(action.substr(5)), deadline_ms - host_.nowMs());
      std::this_thread::sleep_for(std::chrono::milliseconds(std::max<int64_t>(0, wait_ms)));
      r.outcome = Outcome::Retryable;
      r.error = "timed out";
    }
    return r;
  }

  bambuddy::sdk::Host host_;
  nlohmann::json settings_;
  std::string instance_;
  std::mutex mutex_;
  size_t sent_ = 0;
};

} // namespace

BAMBUDDY_PLUGIN(ScriptedNotifier)
