#include "mqtt_notifier.h"

#include "net/delivery.h"
#include "text/utf8.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <limits>
#include <pthread.h>

namespace bambuddy::notifier_mqtt {
namespace {

using nlohmann::json;
using Outcome = sdk::DeliveryResult::Outcome;

int64_t steadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::chrono::steady_clock::time_point at(int64_t steady_ms) {
  return std::chrono::steady_clock::time_point(std::chrono::milliseconds(steady_ms));
}

// The instance id is the last component of the instance's data directory
// (<data_dir>/plugins/<name>/<id> in the server).
std::string instanceIdOf(const sdk::Host& host) {
  std::string id = std::filesystem::path(host.dataDir()).filename().string();
  return id.empty() ? std::string("default") : id;
}

std::string dumpJson(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// {"printer_id": N, ...} with N > 0; nullopt otherwise.
std::optional<int64_t> printerIdOf(const json& payload) {
  auto id = payload.find("printer_id");
  if (id == payload.end() || !id->is_number_integer() || id->get<int64_t>() <= 0) {
    return std::nullopt;
  }
  return id->get<int64_t>();
}

std::string stringOr(const json& object, const char* key, const std::string& fallback) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() && !it->get_ref<const std::string&>().empty()
             ? it->get<std::string>()
             : fallback;
}

} // namespace

MqttNotifier::MqttNotifier(sdk::Host host, const std::string& config_json, const std::string& settings_json)
    : host_(host), policy_(common::net::policyFromPluginConfig(config_json, kName)),
      settings_(parseMqttSettings(settings_json, instanceIdOf(host))),
      topics_(settings_.topic_prefix), discovery_{settings_.discovery_prefix, settings_.client_id, topics_,
                                                  settings_.allow_control,    settings_.qos,       kVersion},
      board_(kStatusIntervalMs) {
  LinkCallbacks callbacks;
  callbacks.on_connection_lost = [this] {
    std::lock_guard<std::mutex> gate(paho_gate_mutex_);
    if (paho_gate_open_) {
      wake();
    }
  };
  if (settings_.allow_control) {
    commands_ = std::make_unique<CommandQueue>([this](const PrinterCommandRequest& r) { runCommand(r); });
    callbacks.on_message = [this](const std::string& topic, const std::string& payload) {
      std::lock_guard<std::mutex> gate(paho_gate_mutex_);
      if (paho_gate_open_) {
        onMessage(topic, payload);
      }
    };
  }
  try {
    link_ = std::make_unique<MqttLink>(settings_, topics_.availability(), callbacks);
  } catch (const std::exception& e) {
    // Paho refuses some addresses when the client is made; the settings name the culprit.
    throw sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_settings",
                     "notifier.mqtt settings: /host cannot be used as an MQTT broker address: " +
                         common::text::utf8Snippet(e.what(), 200));
  }
  host_.subscribe("printer_status", [this](const sdk::Event& e) { onStatus(e); });
  host_.subscribe("printer_removed", [this](const sdk::Event& e) { onRemoved(e); });

  // Never the password; the login only as "with a login".
  host_.info(
      "publishing to the MQTT broker " + settings_.serverUri() + " as client " + settings_.client_id +
      (settings_.username ? " with a login" : "") + " under " + settings_.topic_prefix + "/" +
      (settings_.discovery ? ", Home Assistant discovery under " + settings_.discovery_prefix + "/" : "") +
      (settings_.tls_insecure ? "; TLS certificate NOT verified (tls_insecure)" : ""));
  if (settings_.allow_control) {
    host_.warn("allow_control is on: anyone who can publish to " + topics_.commandFilter() +
               " on the broker can pause, resume and stop prints; restrict it with the broker's ACLs");
  }
  loop_ = std::thread([this] { loop(); });
}

MqttNotifier::~MqttNotifier() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (loop_.joinable()) {
    loop_.join();
  }
  {
    std::lock_guard<std::mutex> gate(paho_gate_mutex_); // waits for a callback in progress
    paho_gate_open_ = false;
  }
  link_.reset();
  commands_.reset();
}

// ----- bus ------------------------------------------------------------------------------------

void MqttNotifier::onStatus(const sdk::Event& event) {
  if (event.payload_version != 1) {
    return; // a payload version this plugin does not know
  }
  json payload = json::parse(event.payload_json, nullptr, false);
  if (payload.is_discarded() || !payload.is_object()) {
    return;
  }
  std::optional<int64_t> id = printerIdOf(payload);
  auto status = payload.find("status");
  if (!id || status == payload.end() || !status->is_object()) {
    return;
  }
  PrinterIdentity identity;
  identity.id = *id;
  identity.name = stringOr(*status, "name", "Printer " + std::to_string(*id));
  identity.model = stringOr(*status, "model", stringOr(payload, "model", ""));
  board_.update(identity, dumpJson(*status));
  wake();
}

void MqttNotifier::onRemoved(const sdk::Event& event) {
  json payload = json::parse(event.payload_json, nullptr, false);
  if (event.payload_version != 1 || payload.is_discarded() || !payload.is_object()) {
    return;
  }
  if (std::optional<int64_t> id = printerIdOf(payload)) {
    board_.remove(*id);
    wake();
  }
}

void MqttNotifier::wake() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    work_ = true;
  }
  wake_.notify_one();
}

// ----- commands from the broker -----------------------------------------------------------------

void MqttNotifier::onMessage(const std::string& topic, const std::string& payload) {
  if (!commands_) {
    return;
  }
  std::optional<int64_t> printer_id = topics_.commandPrinter(topic);
  if (!printer_id) {
    return;
  }
  // Anyone on the broker can send anything here: only three exact words are acted on, and what
  // is ignored is logged at debug level so a flood cannot flood the log.
  if (payload != "pause" && payload != "resume" && payload != "stop") {
    host_.debug("ignored a command for printer " + std::to_string(*printer_id) +
                " (expected pause, resume or stop)");
    return;
  }
  if (!commands_->push({*printer_id, payload})) {
    host_.debug("dropped a command for printer " + std::to_string(*printer_id) + ": too many waiting");
  }
}

void MqttNotifier::runCommand(const PrinterCommandRequest& request) {
  const std::string what = request.action + " of printer " + std::to_string(request.printer_id);
  try {
    host_.printerCommand(request.printer_id, request.action);
    host_.debug(what + " from " + topics_.printerCommand(request.printer_id) + " done");
  } catch (const sdk::Error& e) {
    host_.warn(what + " from " + topics_.printerCommand(request.printer_id) + " refused: " + e.what());
  } catch (const std::exception& e) {
    host_.warn(what + " failed: " + e.what());
  }
}

// ----- events -----------------------------------------------------------------------------------

sdk::DeliveryResult MqttNotifier::send(const std::string& notification_json, int64_t deadline_ms) {
  common::net::SendStart start = common::net::beginSend(notification_json, deadline_ms, host_.nowMs());
  if (start.early) {
    return *start.early;
  }
  const std::string& event = start.notification.event;
  if (std::optional<std::string> problem = eventProblem(event)) {
    return common::net::failedDelivery(Outcome::Permanent, *problem);
  }
  if (!link_->connected()) {
    std::lock_guard<std::mutex> lock(mutex_);
    return common::net::failedDelivery(Outcome::Retryable, last_error_.empty()
                                                               ? "not connected to the MQTT broker at " +
                                                                     settings_.where() + " yet"
                                                               : "not connected: " + last_error_);
  }
  const std::string topic = topics_.event(event);
  PublishOutcome outcome =
      link_->publishAndWait(topic, notification_json, settings_.qos, settings_.retain, start.remaining_ms);
  if (outcome.kind != PublishOutcome::Kind::Delivered) {
    return common::net::failedDelivery(Outcome::Retryable, outcome.message);
  }
  sdk::DeliveryResult result;
  result.outcome = Outcome::Delivered;
  result.response_snippet = "published to " + common::text::utf8Snippet(topic, 900) + " (QoS " +
                            std::to_string(settings_.qos) + (settings_.qos == 0 ? ")" : ", acknowledged)");
  return result;
}

std::optional<std::string> MqttNotifier::eventProblem(const std::string& event) const {
  if (isEventName(event)) {
    return std::nullopt;
  }
  return "event name '" + common::text::utf8Snippet(event, 64) +
         "' cannot be a topic level (lower-case letters, digits and '_')";
}

std::string MqttNotifier::preview(const std::string& notification_json) {
  return common::net::previewText(notification_json, [&](const common::text::Notification& n) {
    if (std::optional<std::string> problem = eventProblem(n.event)) {
      throw sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_event", *problem);
    }
    const std::string topic = topics_.event(n.event);
    // The payload is the notification exactly as send() publishes it.
    return json{{"title", ""},          {"message", topic + "\n" + notification_json},
                {"topic", topic},       {"payload", notification_json},
                {"qos", settings_.qos}, {"retain", settings_.retain}};
  });
}

// ----- the connection loop ------------------------------------------------------------------------

void MqttNotifier::noteError(const std::string& error) {
  bool changed = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    changed = error != last_error_;
    last_error_ = error;
  }
  // Once per distinct reason, not once per retry.
  if (changed) {
    host_.warn(error + "; retrying with backoff");
  }
}

bool MqttNotifier::connectOnce() {
  common::net::GuardResult guard = common::net::resolveAndCheck(policy_, settings_.host, settings_.port);
  if (guard.kind != common::net::GuardResult::Kind::Allowed) {
    noteError("MQTT broker " + settings_.where() + ": " + guard.error);
    return false;
  }
  if (std::optional<std::string> error = link_->connect()) {
    noteError(*error);
    return false;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    last_error_.clear();
  }
  host_.info("connected to the MQTT broker at " + settings_.where());
  return true;
}

void MqttNotifier::afterConnect() {
  // Retained, so it replaces the "offline" the broker published as our will.
  link_->publish(topics_.availability(), kOnline, 1, true);
  if (settings_.allow_control) {
    link_->subscribe(topics_.commandFilter(), 1); // clean session: renewed on every connect
  }
  board_.republishAll(); // the broker may have lost every retained message (a restart)
}

int64_t MqttNotifier::flush(int64_t now_ms) {
  int64_t next_due_ms = std::numeric_limits<int64_t>::max();
  if (settings_.qos > 0 && link_->pendingDeliveries() > kMaxPendingDeliveries) {
    return now_ms + kFlushGranularityMs; // the broker is behind: statuses wait, coalesced
  }
  StatusBoard::Work work = board_.take(now_ms, &next_due_ms);
  StatusBoard::Work failed;
  const int qos = settings_.qos;
  for (int64_t id : work.removals) {
    bool ok = link_->publish(topics_.printerStatus(id), "", qos, true);
    if (settings_.discovery) {
      for (const DiscoveryMessage& m : discoveryRemovals(discovery_, id)) {
        ok = link_->publish(m.topic, m.payload, qos, true) && ok;
      }
    }
    if (!ok) {
      failed.removals.push_back(id);
    }
  }
  if (settings_.discovery) {
    for (const PrinterIdentity& printer : work.discover) {
      bool ok = true;
      for (const DiscoveryMessage& m : discoveryConfigs(discovery_, printer)) {
        ok = link_->publish(m.topic, m.payload, qos, true) && ok;
      }
      if (!ok) {
        failed.discover.push_back(printer);
      }
    }
  }
  for (const auto& [id, status] : work.statuses) {
    if (!link_->publish(topics_.printerStatus(id), *status, qos, true)) {
      failed.statuses.emplace_back(id, status);
    }
  }
  if (!failed.removals.empty() || !failed.discover.empty() || !failed.statuses.empty()) {
    board_.giveBack(failed);
  }
  return next_due_ms;
}

void MqttNotifier::loop() {
  pthread_setname_np(pthread_self(), "mqtt-notifier"); // names it in top and the benchmark
  int64_t backoff_ms = 0;
  int64_t next_attempt_ms = steadyMs();
  while (true) {
    // Paho is never called with mutex_ held: its callbacks take mutex_ (wake) from Paho's threads.
    const bool connected = link_->connected();
    std::unique_lock<std::mutex> lock(mutex_);
    if (stopping_) {
      break;
    }
    if (!connected) {
      if (steadyMs() < next_attempt_ms) {
        wake_.wait_until(lock, at(next_attempt_ms), [&] { return stopping_; });
        continue;
      }
      lock.unlock();
      const bool made = connectOnce();
      if (made) {
        afterConnect();
      }
      backoff_ms = made ? 0 : std::min(backoff_ms == 0 ? kFirstBackoffMs : backoff_ms * 2, kMaxBackoffMs);
      next_attempt_ms = steadyMs() + backoff_ms;
      continue;
    }
    work_ = false;
    lock.unlock();
    const int64_t flushed_ms = steadyMs();
    const int64_t next_due_ms = flush(flushed_ms);
    lock.lock();
    // A second at most, so a connection Paho noticed lost without telling is seen too.
    wake_.wait_until(lock, at(std::min(next_due_ms, flushed_ms + 1000)), [&] { return stopping_ || work_; });
    if (work_ && !stopping_) {
      // New statuses: gather what else arrives in the batch window before flushing again.
      wake_.wait_until(lock, at(flushed_ms + kFlushGranularityMs), [&] { return stopping_; });
    }
  }
  if (link_->connected()) {
    // A clean disconnect does not trigger the will: say "offline" ourselves.
    link_->publishAndWait(topics_.availability(), kOffline, 1, true, 1000);
    link_->disconnect(1000);
  }
}

} // namespace bambuddy::notifier_mqtt
