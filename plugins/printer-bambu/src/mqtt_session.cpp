#include "mqtt_session.h"

#include "backoff.h"
#include "peer_certificate.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <random>

namespace bambuddy::printer_bambu {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kReportRetry{500};

// Bambu's broker drops the older of two sessions with one client id, so ids must differ between
// instances of the process, even for the same printer (a re-created instance while the old one
// is still disconnecting). The counter is process-wide for that reason alone.
std::string nextClientId(const std::string& serial) {
  static std::atomic<uint64_t> counter{0};
  return "bambuddy_" + serial + "_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
}

int64_t connectTimeoutSeconds(const DriverConfig& c) {
  return (c.connect_timeout_ms + 999) / 1000;
}

// Sets the TLS options in place. Paho C++ 1.2 copies ssl_options without re-pointing the C
// struct's CApath at the copy's own string, so every copy keeps pointing into the object that
// ca_path() was called on: that has to be `ssl` itself, which the session keeps for its lifetime.
void configureTls(mqtt::ssl_options& ssl, const PrinterSettings& settings) {
  ssl.set_ssl_version(MQTT_SSL_VERSION_TLS_1_2); // 1.2 or newer
  ssl.set_verify(false);                         // a printer's certificate names its serial, not its address
  if (settings.tls_mode == TlsMode::CaFile) {
    ssl.set_trust_store(settings.ca_file);
    ssl.set_enable_server_cert_auth(true);
  } else {
    // Self-signed printer certificates; a pinned fingerprint is checked before connecting. With
    // nothing to verify, no trust store either: given none, Paho C loads OpenSSL's default one
    // into every connection's SSL_CTX (the whole system CA bundle: here 42 ms of CPU and 0.8 MiB
    // per connection). Paho C++ 1.2 cannot set disableDefaultTrustStore, but any CApath skips the
    // default; OpenSSL only looks into a CApath when a chain is checked, and /dev/null holds none.
    ssl.ca_path("/dev/null");
    ssl.set_enable_server_cert_auth(false);
  }
  // Never an error handler: Paho keeps a pointer to a temporary (deps.md §4).
}

mqtt::connect_options makeConnectOptions(const DriverConfig& config, const PrinterSettings& settings,
                                         const mqtt::ssl_options& ssl) {
  return mqtt::connect_options_builder()
      .mqtt_version(MQTTVERSION_3_1_1)
      .user_name("bblp")
      .password(settings.access_code)
      .ssl(ssl)
      .clean_session(true)
      .keep_alive_interval(std::chrono::seconds(config.keepalive_s))
      .connect_timeout(std::chrono::seconds(connectTimeoutSeconds(config)))
      .automatic_reconnect(false) // the worker reconnects, with its own backoff and staleness check
      .finalize();
}

// Why a connection attempt failed, in words an operator can act on. Never contains the code.
std::string describeConnectFailure(const mqtt::exception& e, const PrinterSettings& s) {
  // MQTT 3.1.1 CONNACK return codes, as Paho reports a refused connection.
  switch (e.get_reason_code()) {
  case 1:
    return "the printer refused MQTT 3.1.1 (unacceptable protocol version)";
  case 2:
    return "the printer refused the client identifier";
  case 3:
    return "the printer's MQTT service is unavailable";
  case 4:
    return "bad user name or password (check the access code)";
  case 5:
    return "not authorized (check the access code)";
  default:
    break;
  }
  std::string where = s.host + ":" + std::to_string(s.port);
  if (e.get_return_code() == MQTTASYNC_FAILURE && e.get_message().find("timeout") != std::string::npos) {
    // Paho's own connect timeout ("TCP connect timeout"), counted across TCP, TLS and CONNACK.
    return "MQTT connection to " + where + " timed out (no CONNACK within connect_timeout_ms)";
  }
  if (e.get_return_code() == MQTTASYNC_FAILURE) {
    // The driver's own TCP/TLS probe just succeeded, so the port answers TLS.
    if (s.tls_mode == TlsMode::CaFile) {
      return "TLS connection to " + where +
             " failed: the printer's certificate does not verify against tls.ca_file (or the printer hung "
             "up)";
    }
    return "MQTT connection to " + where + " failed: the printer hung up during the TLS or MQTT handshake";
  }
  return "MQTT connection to " + where + " failed: " + e.get_error_str() + " (code " +
         std::to_string(e.get_return_code()) + ")";
}

// How often a wait for a Paho token looks at the stop flag.
constexpr milliseconds kTokenPoll{100};

// True when `token` finished within `slice`, successfully or not.
bool finishedWithin(const mqtt::token_ptr& token, milliseconds slice) {
  try {
    return token->wait_for(slice);
  } catch (const mqtt::exception&) {
    return true; // finished with an error
  }
}

// Waits for a Paho token that must not be left pending (subscribe). Returns false (with `error`)
// on failure or when `limit` passes first.
bool await(const mqtt::token_ptr& token, milliseconds limit, std::string& error,
           const std::function<std::string(const mqtt::exception&)>& describe) {
  try {
    if (token->wait_for(limit)) {
      return true;
    }
    error = "timed out after " + std::to_string(limit.count()) + " ms";
  } catch (const mqtt::exception& e) {
    error = describe(e);
  }
  return false;
}

} // namespace

MqttSession::MqttSession(sdk::Host host, DriverConfig config, PrinterSettings settings)
    : host_(std::move(host)), config_(config), settings_(std::move(settings)),
      report_topic_("device/" + settings_.serial + "/report"),
      request_topic_("device/" + settings_.serial + "/request"), client_id_(nextClientId(settings_.serial)),
      where_("printer " + settings_.serial + " at " + settings_.host + ":" + std::to_string(settings_.port)),
      client_(std::make_unique<mqtt::async_client>(brokerUri(settings_), client_id_)) {
  configureTls(tls_options_, settings_);
  connect_options_ = makeConnectOptions(config_, settings_, tls_options_);
}

MqttSession::~MqttSession() {
  stop();
  // Destroyed before the members its callbacks touch. Paho abandons a connect still running
  // (its callbacks run under Paho's own lock, which destroying the client takes first).
  client_.reset();
  pending_.reset();
}

void MqttSession::installCallbacks() {
  client_->set_message_callback([this](mqtt::const_message_ptr m) { onMessage(m); });
  client_->set_connection_lost_handler([this](const std::string& cause) { onConnectionLost(cause); });
}

void MqttSession::start() {
  std::lock_guard<std::mutex> lifecycle(lifecycle_mutex_);
  if (worker_.joinable()) {
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = false;
    reports_closed_ = false;
  }
  worker_ = std::thread([this] { run(); });
}

void MqttSession::stop() {
  std::lock_guard<std::mutex> lifecycle(lifecycle_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    reports_closed_ = true; // from here on no report_status call starts
  }
  wake_.notify_all();
  if (!worker_.joinable()) {
    return;
  }
  worker_.join(); // the worker disconnects before it ends
  try {
    client_->disable_callbacks();
  } catch (const mqtt::exception&) {
    // Paho refuses while an attempt the worker left behind still runs; stopping_ and the wait
    // below keep callbacks harmless, and the destructor destroys the client before the state.
  }
  std::unique_lock<std::mutex> lock(mutex_);
  callbacks_idle_.wait(lock, [this] { return callbacks_in_flight_ == 0; });
}

bool MqttSession::stopping() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stopping_;
}

uint64_t MqttSession::connectAttempts() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return connect_attempts_;
}

bool MqttSession::waitForPending() {
  while (pending_ && !finishedWithin(pending_, kTokenPoll)) {
    if (stopping()) {
      return false;
    }
  }
  pending_.reset();
  return true;
}

void MqttSession::run() {
  // What the previous run left behind (stop() does not wait for Paho's attempt) ends first: Paho
  // refuses new callbacks while it connects, and must never get a second connect meanwhile.
  if (!waitForPending()) {
    return;
  }
  if (isConnected()) {
    disconnect(); // that attempt succeeded after all, with nobody subscribed
  }
  try {
    installCallbacks();
  } catch (const mqtt::exception& e) {
    host_.warn(where_ + ": cannot install the MQTT callbacks: " + e.get_error_str());
  }
  std::random_device entropy;
  Backoff backoff(config_.reconnect_min_ms, config_.reconnect_max_ms,
                  (static_cast<uint64_t>(entropy()) << 32) ^ std::hash<std::string>{}(client_id_));
  while (!stopping()) {
    std::string error;
    bool delivered_status = false;
    if (connect(error)) {
      error = watchConnection(delivered_status);
      disconnect();
    }
    if (stopping()) {
      break;
    }
    if (delivered_status) {
      backoff.reset(); // that connection worked: the next attempt starts from reconnect_min_ms
    }
    int64_t delay_ms = backoff.next();
    std::unique_lock<std::mutex> lock(mutex_);
    mqtt_connected_ = false;
    connection_error_ = error;
    reportLocked();
    logConnectionErrorLocked(error, delay_ms);
    const Clock::time_point retry_at = Clock::now() + milliseconds(delay_ms);
    while (!stopping_ && Clock::now() < retry_at) {
      waitLocked(lock, retry_at);
    }
  }
  disconnect();
}

bool MqttSession::isConnected() {
  try {
    return client_->is_connected();
  } catch (const mqtt::exception&) {
    return false;
  }
}

bool MqttSession::connect(std::string& error) {
  // A disconnect that outlived its wait (see disconnect()) must end before the next connect.
  if (!waitForPending()) {
    error = "stopping";
    return false;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++connect_attempts_;
  }
  if (settings_.tls_mode == TlsMode::CaFile && ::access(settings_.ca_file.c_str(), R_OK) != 0) {
    error = "cannot read tls.ca_file " + settings_.ca_file + ": " + std::strerror(errno);
    return false;
  }
  // A cancellable TCP and TLS handshake of our own comes first (see tcp_connect.h): stop() need
  // not wait out Paho's handshake with a dead printer, errors say which step failed, and a pinned
  // certificate is checked here. The probe connection is closed at once; Paho opens its own.
  PeerCertificate cert = fetchPeerCertificate(settings_.host, settings_.port, config_.connect_timeout_ms,
                                              [this] { return stopping(); });
  if (!cert.ok) {
    error = cert.error;
    return false;
  }
  if (settings_.tls_mode == TlsMode::Fingerprint && cert.sha256_hex != settings_.fingerprint_sha256) {
    error =
        "the printer's certificate (SHA-256 " + cert.sha256_hex + ") does not match tls.fingerprint_sha256";
    return false;
  }
  if (stopping()) {
    error = "stopping";
    return false;
  }
  auto describe = [this](const mqtt::exception& e) { return describeConnectFailure(e, settings_); };
  mqtt::token_ptr token;
  try {
    token = client_->connect(connect_options_);
  } catch (const mqtt::exception& e) {
    error = describe(e);
    return false;
  }
  pending_ = token;
  // Paho ends every attempt, but its whole-second timeout only counts once it starts the attempt,
  // and an overloaded Paho starts it late. Past this limit the driver says so, and waits on: a
  // new connect now would overlap this one (see connect_race_test.cpp).
  const milliseconds limit(connectTimeoutSeconds(config_) * 1000 + 2000);
  const Clock::time_point started = Clock::now();
  bool said_late = false;
  while (!finishedWithin(token, kTokenPoll)) {
    if (stopping()) {
      error = "stopping"; // pending_ stays: the next run or the destructor deals with it
      return false;
    }
    if (!said_late && Clock::now() - started >= limit) {
      said_late = true;
      std::lock_guard<std::mutex> lock(mutex_);
      connection_error_ = "connecting to " + settings_.host + ":" + std::to_string(settings_.port) +
                          " timed out after " + std::to_string(limit.count()) + " ms";
      reportLocked();
      host_.debug(where_ + ": " + connection_error_ + "; waiting for the MQTT library to end the attempt");
    }
  }
  pending_.reset();
  try {
    token->wait(); // finished: throws its error, if any
  } catch (const mqtt::exception& e) {
    error = describe(e);
    return false;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    mqtt_connected_ = true;
    status_since_connect_ = false;
    lost_ = false;
    lost_cause_.clear();
    last_message_at_ = Clock::now();
  }
  std::string sub_error;
  auto describe_sub = [](const mqtt::exception& e) { return e.get_error_str(); };
  mqtt::token_ptr sub;
  try {
    sub = client_->subscribe(report_topic_, 0);
  } catch (const mqtt::exception& e) {
    sub_error = describe_sub(e);
  }
  if (!sub || !await(sub, milliseconds(config_.connect_timeout_ms), sub_error, describe_sub)) {
    error = "subscribing to " + report_topic_ + " failed: " + sub_error + " (check the serial number)";
    disconnect();
    return false;
  }
  // Ask for a full report at once (deltas alone would leave the state incomplete) and for the
  // firmware and model. QoS 0: both are idempotent and the stale check covers a lost one.
  uint64_t push_id = 0, version_id = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    push_id = ++sequence_id_;
    version_id = ++sequence_id_;
  }
  try {
    client_->publish(request_topic_, pushAllPayload(push_id), 0, false);
    client_->publish(request_topic_, getVersionPayload(version_id), 0, false);
  } catch (const mqtt::exception& e) {
    host_.debug(where_ + ": could not request a full report: " + e.get_error_str());
  }
  host_.debug(where_ + ": MQTT connected as " + client_id_);
  return true;
}

std::string MqttSession::watchConnection(bool& delivered_status) {
  const milliseconds stale(config_.stale_timeout_ms);
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    delivered_status = status_since_connect_;
    if (stopping_) {
      return std::string();
    }
    if (lost_) {
      return "connection lost" + (lost_cause_.empty() ? std::string() : ": " + lost_cause_);
    }
    Clock::time_point deadline = last_message_at_ + stale;
    if (Clock::now() >= deadline) {
      std::string ms = std::to_string(config_.stale_timeout_ms);
      // Some P1 and A1 firmware silently stops publishing; a new connection revives it.
      return status_since_connect_
                 ? "no message from the printer for " + ms + " ms; reconnecting"
                 : "no status report within " + ms + " ms of connecting (check the serial number)";
    }
    waitLocked(lock, deadline);
  }
}

void MqttSession::disconnect() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    mqtt_connected_ = false;
  }
  if (!waitForPending()) {
    return; // stopping while Paho still connects: a disconnect now would overlap that attempt
  }
  try {
    if (!client_->is_connected()) {
      return;
    }
    // 0: do not wait for in-flight messages.
    pending_ = client_->disconnect(0);
  } catch (const mqtt::exception&) {
    return; // already gone: nothing to undo
  }
  // Normally done at once; if not, the next connect waits for it.
  if (finishedWithin(pending_, milliseconds(config_.connect_timeout_ms))) {
    pending_.reset();
  }
}

void MqttSession::onMessage(const mqtt::const_message_ptr& message) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ || !message || message->get_topic() != report_topic_) {
      return;
    }
    ++callbacks_in_flight_;
  }
  // Parsing is the costly part; it needs no lock.
  const std::string& payload = message->get_payload_str();
  ParsedReport report = parseReport(payload);
  std::lock_guard<std::mutex> lock(mutex_);
  last_message_at_ = Clock::now();
  PrinterState::ApplyResult result = state_.apply(report);
  bool first_status = false;
  if (result.kind == ParsedReport::Kind::PushStatus && mqtt_connected_ && !status_since_connect_) {
    status_since_connect_ = true;
    first_status = true;
    connection_error_.clear();
    if (!last_warned_error_.empty()) {
      host_.info(where_ + ": connected again");
    } else {
      host_.info(where_ + ": connected");
    }
    last_warned_error_.clear();
  }
  logReportProblemLocked(result);
  // A message that slips in while the worker tears the connection down still merges, but the
  // worker's own offline report (with the reason) is the next one to go out.
  if ((result.changed || first_status) && mqtt_connected_) {
    reportLocked();
  }
  // Only stop() waits for this; waking the worker on every message would cost a context switch.
  if (--callbacks_in_flight_ == 0 && stopping_) {
    callbacks_idle_.notify_all();
  }
}

void MqttSession::onConnectionLost(const std::string& cause) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_) {
    return;
  }
  lost_ = true;
  lost_cause_ = cause.size() > 200 ? cause.substr(0, 200) : cause;
  wake_.notify_all();
}

void MqttSession::waitLocked(std::unique_lock<std::mutex>& lock, Clock::time_point until) {
  if (report_failed_) {
    // The host refused the last report (its bus was full): offer it again soon, or the core would
    // keep a stale state until something else changes.
    until = std::min(until, Clock::now() + kReportRetry);
  }
  wake_.wait_until(lock, until);
  if (report_failed_ && !stopping_) {
    reportLocked();
  }
}

void MqttSession::reportLocked() {
  if (reports_closed_ || (mqtt_connected_ && !status_since_connect_)) {
    // Closed: stop() has begun. Connected without a status yet: the old state is stale, so the
    // last report stands until the printer answers the pushall.
    return;
  }
  bool live = mqtt_connected_ && status_since_connect_;
  std::string text = state_.status(live, connection_error_).dump();
  if (text == last_reported_) {
    report_failed_ = false;
    return;
  }
  try {
    host_.reportStatus(text);
    last_reported_ = std::move(text);
    report_failed_ = false;
  } catch (const sdk::Error& e) {
    if (!report_failed_) {
      host_.debug(where_ + ": report_status failed, will retry: " + e.what());
    }
    report_failed_ = true;
  }
}

void MqttSession::logReportProblemLocked(const PrinterState::ApplyResult& result) {
  if (result.kind != ParsedReport::Kind::Invalid) {
    if (result.skipped_fields > 0) {
      host_.debug(where_ + ": " + result.problem);
    }
    return;
  }
  host_.debug(where_ + ": ignored a report: " + result.problem);
  ++bad_payloads_since_warning_;
  // A printer (or something posing as one) sending garbage once a second must not flood the log.
  Clock::time_point now = Clock::now();
  if (last_payload_warning_ == Clock::time_point{} ||
      now - last_payload_warning_ >= std::chrono::minutes(1)) {
    host_.warn(where_ + ": ignored " + std::to_string(bad_payloads_since_warning_) +
               " malformed report(s) since the last warning; latest: " + result.problem);
    last_payload_warning_ = now;
    bad_payloads_since_warning_ = 0;
  }
}

void MqttSession::logConnectionErrorLocked(const std::string& error, int64_t retry_ms) {
  std::string line = where_ + ": " + error + "; retrying in " + std::to_string(retry_ms) + " ms";
  // One warning per distinct problem; repeats of it (every backoff step) go to debug.
  if (error != last_warned_error_) {
    host_.warn(line);
    last_warned_error_ = error;
  } else {
    host_.debug(line);
  }
}

void MqttSession::sendPrintCommand(PrintAction action) {
  std::string payload;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ || !mqtt_connected_ || !status_since_connect_) {
      throw sdk::Error(BB_ERR_UNAVAILABLE, "printer_offline",
                       "the printer is not connected" +
                           (connection_error_.empty() ? std::string() : " (" + connection_error_ + ")"));
    }
    checkCommandAllowed(action, state_.activity());
    payload = printCommandPayload(action, ++sequence_id_);
  }
  try {
    mqtt::delivery_token_ptr token = client_->publish(request_topic_, payload, 1, false);
    if (!token->wait_for(milliseconds(config_.command_timeout_ms))) {
      throw sdk::Error(BB_ERR_UNAVAILABLE, "command_timeout",
                       std::string("the printer did not acknowledge the ") + actionName(action) +
                           " command within " + std::to_string(config_.command_timeout_ms) + " ms");
    }
  } catch (const mqtt::exception& e) {
    throw sdk::Error(BB_ERR_UNAVAILABLE, "command_failed",
                     std::string("sending the ") + actionName(action) +
                         " command failed: " + e.get_error_str());
  }
  host_.info(where_ + ": sent " + actionName(action));
}

} // namespace bambuddy::printer_bambu
