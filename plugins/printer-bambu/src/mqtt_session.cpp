#include "mqtt_session.h"

#include "report_parser.h"
#include "start_request.h"
#include "tls_context.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <random>

namespace bambuddy::printer_bambu {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kReportRetry{500};

// Bambu's broker drops the older of two sessions with one client id, so ids must differ between
// instances of the process, even for the same printer (a re-created instance while the old one
// is still disconnecting). The counter is process-wide for that reason alone.
std::string nextClientId(const std::string& serial) {
  static std::atomic<uint64_t> counter{0};
  return "bambuddy_" + serial + "_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
}

uint64_t backoffSeed(const std::string& client_id) {
  std::random_device entropy;
  return (static_cast<uint64_t>(entropy()) << 32) ^ std::hash<std::string>{}(client_id);
}

// The printer's address as an endpoint when it is an IP literal (no lookup needed).
bool literalEndpoint(const std::string& host, int port, Endpoint& out) {
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out.address);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    out.length = sizeof(sockaddr_in);
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out.address);
  if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    out.length = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

} // namespace

struct MqttSession::CommandWait {
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;
  std::string failure; // "" when acknowledged

  void finish(std::string why) {
    std::lock_guard<std::mutex> lock(mutex);
    done = true;
    failure = std::move(why);
    done_cv.notify_all();
  }
};

MqttSession::MqttSession(sdk::Host host, DriverConfig config, PrinterSettings settings)
    : host_(std::move(host)), config_(config), settings_(std::move(settings)),
      report_topic_("device/" + settings_.serial + "/report"),
      request_topic_("device/" + settings_.serial + "/request"), client_id_(nextClientId(settings_.serial)),
      where_("printer " + settings_.serial + " at " + settings_.host + ":" + std::to_string(settings_.port)),
      address_(settings_.host + ":" + std::to_string(settings_.port)), loop_(MqttLoop::shared()),
      backoff_(config_.reconnect_min_ms, config_.reconnect_max_ms, backoffSeed(client_id_)) {}

MqttSession::~MqttSession() {
  stop();
}

void MqttSession::start() {
  loop_->call([this] {
    if (phase_ != Phase::Stopped) {
      return;
    }
    loop_id_ = loop_->add(this);
    beginAttempt();
  });
}

void MqttSession::stop() {
  loop_->call([this] {
    if (phase_ == Phase::Stopped) {
      return;
    }
    closeConnection(true);
    endCommands("the driver is stopping");
    endStartWait(ProjectFileOutcome::Disconnected, "the driver is stopping");
    loop_->remove(loop_id_); // drops its lookup too: a later start() asks afresh
    lookup_pending_ = false;
    phase_ = Phase::Stopped;
    if (own_ctx_ != nullptr) {
      SSL_CTX_free(own_ctx_);
      own_ctx_ = nullptr;
    }
  });
}

void MqttSession::beginAttempt() {
  ++connect_attempts_;
  status_since_connect_ = false;
  deadline_ = Clock::now() + milliseconds(config_.connect_timeout_ms);
  if (settings_.tls_mode == TlsMode::CaFile && ::access(settings_.ca_file.c_str(), R_OK) != 0) {
    connectionFailed("cannot read tls.ca_file " + settings_.ca_file + ": " + std::strerror(errno));
    return;
  }
  endpoints_.clear();
  next_endpoint_ = 0;
  Endpoint endpoint;
  if (literalEndpoint(settings_.host, settings_.port, endpoint)) {
    connectTo(endpoint);
    return;
  }
  phase_ = Phase::Resolving;
  // A lookup that outlived an earlier attempt's deadline (a DNS server that does not answer) is
  // waited for rather than queued again, so slow lookups never pile up.
  if (!lookup_pending_) {
    lookup_pending_ = true;
    loop_->resolve(loop_id_, settings_.host, settings_.port);
  }
  scheduleNext();
}

void MqttSession::onResolved(Resolution resolution) {
  lookup_pending_ = false;
  if (phase_ != Phase::Resolving) {
    return; // an answer for an attempt that already timed out
  }
  if (resolution.endpoints.empty()) {
    connectionFailed(resolution.error);
    return;
  }
  endpoints_ = std::move(resolution.endpoints);
  next_endpoint_ = 1;
  connectTo(endpoints_.front());
}

void MqttSession::connectTo(const Endpoint& endpoint) {
  SSL_CTX* ctx = nullptr;
  if (settings_.tls_mode == TlsMode::CaFile) {
    // Read afresh per attempt: an operator may replace the file without re-creating the printer.
    if (own_ctx_ != nullptr) {
      SSL_CTX_free(own_ctx_);
    }
    own_ctx_ = newClientTlsContext();
    if (own_ctx_ == nullptr) {
      connectionFailed("cannot create a TLS context");
      return;
    }
    takeTlsError(); // nothing older may stand in for this load's reason
    if (SSL_CTX_load_verify_locations(own_ctx_, settings_.ca_file.c_str(), nullptr) != 1) {
      std::string why = takeTlsError();
      connectionFailed("cannot load tls.ca_file " + settings_.ca_file + ": " +
                       (why.empty() ? "unknown error" : why));
      return;
    }
    // The chain is checked; the name is not: a printer's certificate names its serial, not its
    // address.
    SSL_CTX_set_verify(own_ctx_, SSL_VERIFY_PEER, nullptr);
    ctx = own_ctx_;
  } else {
    ctx = loop_->unverifiedTlsContext();
    if (ctx == nullptr) {
      connectionFailed("cannot create a TLS context");
      return;
    }
  }
  const std::string pinned = settings_.tls_mode == TlsMode::Fingerprint ? settings_.fingerprint_sha256 : "";
  connection_ =
      std::make_unique<MqttConnection>(address_, ctx, pinned, settings_.tls_mode == TlsMode::CaFile);
  mqtt::ConnectRequest request;
  request.client_id = client_id_;
  request.username = "bblp";
  request.password = settings_.access_code;
  request.keepalive_s = static_cast<uint16_t>(std::clamp<int64_t>(config_.keepalive_s, 1, 65535));
  if (!connection_->open(endpoint, request)) {
    if (!tryNextEndpoint()) {
      connectionFailed(connection_->error());
    }
    return;
  }
  phase_ = Phase::Connecting;
  watchSocket();
  scheduleNext();
}

bool MqttSession::tryNextEndpoint() {
  // A name with several addresses (localhost: ::1 and 127.0.0.1): a failed TCP connect goes on to
  // the next address within the same attempt and deadline.
  if (!connection_->failedToConnect() || next_endpoint_ >= endpoints_.size()) {
    return false;
  }
  closeConnection(false);
  connectTo(endpoints_[next_endpoint_++]);
  return true;
}

void MqttSession::onSocket(uint32_t events) {
  if (!connection_) {
    return;
  }
  packets_.clear();
  const bool ok = connection_->onReady(events, packets_);
  if (phase_ == Phase::Connecting && connection_->stage() == MqttConnection::Stage::Open) {
    phase_ = Phase::Subscribing;
    deadline_ = Clock::now() + milliseconds(config_.connect_timeout_ms);
    subscribe_id_ = nextPacketId();
    send(mqtt::encodeSubscribe(subscribe_id_, report_topic_, 0));
    scheduleNext();
  }
  for (mqtt::Packet& packet : packets_) {
    if (!connection_) {
      return; // a packet ended the connection
    }
    handlePacket(std::move(packet));
  }
  if (!connection_) {
    return;
  }
  if (!ok) {
    if (!tryNextEndpoint()) {
      connectionFailed(connection_->error());
    }
    return;
  }
  watchSocket();
}

void MqttSession::handlePacket(mqtt::Packet&& packet) {
  std::string error;
  switch (packet.type) {
  case mqtt::kPublish: {
    mqtt::Publish publish;
    if (!mqtt::decodePublish(std::move(packet), publish, error)) {
      connectionFailed("connection lost: " + error);
      return;
    }
    if (publish.qos == 1) {
      send(mqtt::encodePuback(publish.packet_id));
    }
    if (publish.topic == report_topic_ && phase_ == Phase::Live) {
      onReport(publish.payload);
    }
    return;
  }
  case mqtt::kSuback: {
    uint16_t id = 0;
    uint8_t granted = 0;
    if (mqtt::decodeSuback(packet, id, granted, error) && id == subscribe_id_ &&
        phase_ == Phase::Subscribing) {
      onSubscribed(granted);
    }
    return;
  }
  case mqtt::kPuback: {
    uint16_t id = 0;
    if (!mqtt::decodePuback(packet, id, error)) {
      return;
    }
    auto it = commands_.find(id);
    if (it != commands_.end()) {
      it->second->finish("");
      commands_.erase(it);
    }
    return;
  }
  default:
    return; // nothing else is meant for a client; harmless
  }
}

void MqttSession::onSubscribed(uint8_t granted_qos) {
  if (granted_qos == 0x80) {
    connectionFailed("subscribing to " + report_topic_ +
                     " failed: the printer refused the subscription (check the serial number)");
    return;
  }
  phase_ = Phase::Live;
  last_message_at_ = Clock::now();
  // Ask for a full report at once (deltas alone would leave the state incomplete) and for the
  // firmware and model. QoS 0: both are idempotent and the stale check covers a lost one.
  send(mqtt::encodePublish(request_topic_, pushAllPayload(++sequence_id_), 0, 0));
  if (!connection_) {
    return;
  }
  send(mqtt::encodePublish(request_topic_, getVersionPayload(++sequence_id_), 0, 0));
  if (!connection_) {
    return;
  }
  host_.debug(where_ + ": MQTT connected as " + client_id_);
  scheduleNext();
}

void MqttSession::onReport(const std::string& payload) {
  last_message_at_ = Clock::now();
  try {
    applyReport(payload);
  } catch (const std::exception& e) {
    // Never expected (the parser takes any bytes), but the loop serves every printer.
    host_.warn(where_ + ": a report could not be handled: " + e.what());
  }
}

void MqttSession::applyReport(const std::string& payload) {
  PrinterState::ApplyResult result = state_.apply(parseReport(payload));
  bool first_status = false;
  if (result.kind == ParsedReport::Kind::PushStatus && !status_since_connect_) {
    status_since_connect_ = true;
    first_status = true;
    connection_error_.clear();
    host_.info(where_ + (last_warned_error_.empty() ? ": connected" : ": connected again"));
    last_warned_error_.clear();
    backoff_.reset(); // that connection worked: the next failure starts from reconnect_min_ms
  }
  logReportProblem(result);
  onStartReport(result, payload);
  bool adoption_changed = false;
  if (adopted_) {
    const Activity a = state_.activity();
    const bool active = a == Activity::Preparing || a == Activity::Printing || a == Activity::Paused;
    const std::string& name = state_.subtaskName();
    if ((!name.empty() && name != adopted_->match_name) || (active && adopted_->ended)) {
      adopted_.reset(); // another job, or the same file printed again: not the one we started
      adoption_changed = true;
    } else if (!active && state_.knowsActivity()) {
      adopted_->ended = true;
    }
  }
  if (result.changed || first_status || adoption_changed) {
    report();
  }
}

void MqttSession::onStartReport(const PrinterState::ApplyResult& result, const std::string& payload) {
  if (!start_wait_) {
    return;
  }
  if (result.kind == ParsedReport::Kind::Other) {
    std::optional<ProjectFileAnswer> answer = parseProjectFileAnswer(payload);
    if (answer && answer->sequence_id == start_sequence_id_) {
      if (!answer->success) {
        endStartWait(ProjectFileOutcome::Refused, answer->reason);
        return;
      }
      start_answered_ = true;
    }
  }
  // The printer names the job in subtask_name; PREPARE or RUNNING under that name is our start
  // (some firmware reports it before, or instead of, the answer). After its SUCCESS any
  // PREPARE/RUNNING is: firmware may shorten a long job name.
  const Activity a = state_.activity();
  if ((a == Activity::Preparing || a == Activity::Printing) &&
      (start_answered_ || state_.subtaskName() == start_job_name_)) {
    endStartWait(ProjectFileOutcome::Started, "");
  }
}

void MqttSession::endStartWait(ProjectFileOutcome outcome, const std::string& message) {
  if (start_wait_) {
    start_wait_->finish(outcome, message);
    start_wait_.reset();
  }
}

void MqttSession::onTimer() {
  const Clock::time_point now = Clock::now();
  if (report_failed_ && now >= report_retry_at_) {
    // Moved on first: while connecting again report() offers nothing, and a retry time left in
    // the past would wake the loop at once, again and again.
    report_retry_at_ = now + kReportRetry;
    report();
  }
  switch (phase_) {
  case Phase::Resolving:
  case Phase::Connecting:
  case Phase::Subscribing:
    if (now >= deadline_) {
      std::string error;
      if (phase_ == Phase::Resolving) {
        error = "looking up " + settings_.host + " timed out";
      } else if (phase_ == Phase::Subscribing) {
        error = "subscribing to " + report_topic_ + " failed: timed out after " +
                std::to_string(config_.connect_timeout_ms) + " ms (check the serial number)";
      } else {
        error = connection_->timeoutError();
      }
      connectionFailed(error);
      return;
    }
    break;
  case Phase::Live: {
    const milliseconds stale(config_.stale_timeout_ms);
    if (now - last_message_at_ >= stale) {
      std::string ms = std::to_string(config_.stale_timeout_ms);
      // Some P1 and A1 firmware silently stops publishing; a new connection revives it.
      connectionFailed(status_since_connect_
                           ? "no message from the printer for " + ms + " ms; reconnecting"
                           : "no status report within " + ms + " ms of connecting (check the serial number)");
      return;
    }
    if (now - last_sent_at_ >= std::chrono::seconds(config_.keepalive_s)) {
      send(mqtt::encodePingreq());
      if (!connection_) {
        return;
      }
    }
    break;
  }
  case Phase::Waiting:
    if (now >= retry_at_) {
      beginAttempt();
      return;
    }
    break;
  case Phase::Stopped:
    return;
  }
  scheduleNext();
}

void MqttSession::scheduleNext() {
  Clock::time_point next;
  switch (phase_) {
  case Phase::Resolving:
  case Phase::Connecting:
  case Phase::Subscribing:
    next = deadline_;
    break;
  case Phase::Live:
    next = std::min(last_message_at_ + milliseconds(config_.stale_timeout_ms),
                    last_sent_at_ + std::chrono::seconds(config_.keepalive_s));
    break;
  case Phase::Waiting:
    next = retry_at_;
    break;
  case Phase::Stopped:
    return;
  }
  if (report_failed_) {
    next = std::min(next, report_retry_at_);
  }
  loop_->schedule(loop_id_, next);
}

void MqttSession::send(const std::string& bytes) {
  if (!connection_) {
    return;
  }
  last_sent_at_ = Clock::now();
  if (!connection_->send(bytes)) {
    connectionFailed(connection_->error());
    return;
  }
  watchSocket();
}

void MqttSession::watchSocket() {
  if (connection_) {
    loop_->watch(loop_id_, connection_->fd(), connection_->wantedEvents());
  }
}

void MqttSession::closeConnection(bool say_goodbye) {
  if (!connection_) {
    return;
  }
  if (say_goodbye && connection_->stage() == MqttConnection::Stage::Open) {
    connection_->send(mqtt::encodeDisconnect()); // best effort: whatever the socket takes now
  }
  loop_->watch(loop_id_, -1, 0); // before the socket closes
  connection_.reset();
}

void MqttSession::connectionFailed(std::string error) {
  closeConnection(false);
  endCommands("the connection to the printer was lost (" + error + ")");
  endStartWait(ProjectFileOutcome::Disconnected,
               "the MQTT connection to the printer was lost (" + error + ")");
  status_since_connect_ = false;
  phase_ = Phase::Waiting;
  const int64_t delay_ms = backoff_.next();
  connection_error_ = error;
  report();
  logConnectionError(error, delay_ms);
  retry_at_ = Clock::now() + milliseconds(delay_ms);
  scheduleNext();
}

void MqttSession::endCommands(const std::string& why) {
  for (auto& [id, wait] : commands_) {
    wait->finish(why);
  }
  commands_.clear();
}

uint16_t MqttSession::nextPacketId() {
  if (++last_packet_id_ == 0) {
    last_packet_id_ = 1; // 0 is not a valid packet id
  }
  return last_packet_id_;
}

void MqttSession::report() {
  const bool live = phase_ == Phase::Live && status_since_connect_;
  if (!live && phase_ != Phase::Waiting) {
    return; // stopped, or connecting again: the last report stands until the printer answers or fails
  }
  if (start_failure_) {
    // The failure goes out before the printer is mirrored again, or the core would never see it.
    const std::string failure = start_failure_->dump();
    try {
      host_.reportStatus(failure);
      last_reported_ = failure;
      start_failure_.reset();
    } catch (const sdk::Error& e) {
      host_.debug(where_ + ": report_status failed, will retry: " + e.what());
      report_failed_ = true;
      report_retry_at_ = Clock::now() + kReportRetry;
      return;
    }
  }
  std::string text = composeStatus(live).dump();
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
    // The host refused it (its bus was full): offer it again soon, or the core would keep a stale
    // state until something else changes.
    report_failed_ = true;
    report_retry_at_ = Clock::now() + kReportRetry;
  }
}

nlohmann::json MqttSession::composeStatus(bool live) const {
  nlohmann::json s = state_.status(live, connection_error_);
  if (live && start_) {
    return startingStatus(std::move(s), *start_);
  }
  if (adopted_ && state_.subtaskName() == adopted_->match_name) {
    applyAdoptedJob(s, *adopted_);
  }
  return s;
}

void MqttSession::beginStart(const StartProgress& progress) {
  loop_->call([&] {
    if (phase_ != Phase::Live || !status_since_connect_) {
      throw sdk::Error(BB_ERR_UNAVAILABLE, "printer_offline",
                       "the printer is not connected" +
                           (connection_error_.empty() ? std::string() : " (" + connection_error_ + ")"));
    }
    if (start_) {
      throw sdk::Error(BB_ERR_CONFLICT, "start_running",
                       "a print is being started on this printer already (job " + start_->job_id + ")");
    }
    checkCommandAllowed(PrintAction::StartPrint, state_.activity());
    start_ = progress;
    start_failure_.reset();
    adopted_.reset();
    report();
  });
}

void MqttSession::updateStart(const StartProgress& progress) {
  loop_->call([&] {
    if (start_) {
      start_ = progress;
      report();
    }
  });
}

ProjectFileResult MqttSession::sendProjectFile(const std::function<std::string(uint64_t)>& payload,
                                               const std::string& job_name, int64_t timeout_ms,
                                               const std::shared_ptr<StartWait>& wait) {
  std::optional<ProjectFileResult> early;
  loop_->call([&] {
    if (phase_ != Phase::Live || !status_since_connect_) {
      early =
          ProjectFileResult{ProjectFileOutcome::Disconnected,
                            "the MQTT connection to the printer is down" +
                                (connection_error_.empty() ? std::string() : " (" + connection_error_ + ")")};
      return;
    }
    const Activity a = state_.activity();
    if (a != Activity::Idle && a != Activity::Finished && a != Activity::Failed) {
      early = ProjectFileResult{ProjectFileOutcome::Busy,
                                std::string("the printer became ") + activityName(a) + " during the upload"};
      return;
    }
    if (wait->done()) {
      early = ProjectFileResult{ProjectFileOutcome::Cancelled, "the start was cancelled", false};
      return;
    }
    endStartWait(ProjectFileOutcome::Cancelled, "superseded"); // never two waits
    const uint64_t sequence_id = ++sequence_id_;
    start_wait_ = wait;
    start_sequence_id_ = std::to_string(sequence_id);
    start_job_name_ = job_name;
    start_answered_ = false;
    // QoS 1 as pause/resume: the broker retries it; the answer on the report topic is the proof.
    send(mqtt::encodePublish(request_topic_, payload(sequence_id), 1, nextPacketId()));
  });
  if (early) {
    return *early;
  }
  ProjectFileResult result = wait->waitFor(std::chrono::milliseconds(timeout_ms));
  result.sent = true;
  bool answered = false;
  loop_->call([&] {
    answered = start_answered_;
    if (start_wait_ == wait) {
      start_wait_.reset();
    }
  });
  if (result.outcome == ProjectFileOutcome::Timeout) {
    result.message =
        answered ? "the printer accepted project_file but did not begin preparing within " +
                       std::to_string(timeout_ms) + " ms"
                 : "the printer did not answer project_file within " + std::to_string(timeout_ms) + " ms";
  }
  return result;
}

void MqttSession::endStart(const std::optional<StartFailure>& failure) {
  loop_->call([&] {
    if (!start_) {
      return;
    }
    if (failure) {
      const bool live = phase_ == Phase::Live && status_since_connect_;
      start_failure_ = failedStartStatus(state_.status(live, connection_error_), *start_, *failure);
    } else {
      // Started means the printer prepares or prints it now, under the name it reports.
      const std::string& reported = state_.subtaskName();
      adopted_ = AdoptedJob{reported.empty() ? start_->name : reported, start_->name, start_->filename,
                            start_->job_id, false};
    }
    start_.reset();
    if (phase_ != Phase::Stopped) {
      report();
    }
  });
}

void MqttSession::sendStopBestEffort() {
  loop_->call([&] {
    if (phase_ == Phase::Live) {
      send(mqtt::encodePublish(request_topic_, printCommandPayload(PrintAction::Stop, ++sequence_id_), 1,
                               nextPacketId()));
    }
  });
}

void MqttSession::logReportProblem(const PrinterState::ApplyResult& result) {
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

void MqttSession::logConnectionError(const std::string& error, int64_t retry_ms) {
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
  auto wait = std::make_shared<CommandWait>();
  uint16_t packet_id = 0;
  loop_->call([&] {
    if (phase_ != Phase::Live || !status_since_connect_) {
      throw sdk::Error(BB_ERR_UNAVAILABLE, "printer_offline",
                       "the printer is not connected" +
                           (connection_error_.empty() ? std::string() : " (" + connection_error_ + ")"));
    }
    checkCommandAllowed(action, state_.activity());
    packet_id = nextPacketId();
    commands_[packet_id] = wait;
    send(mqtt::encodePublish(request_topic_, printCommandPayload(action, ++sequence_id_), 1, packet_id));
  });
  bool acknowledged = false;
  {
    std::unique_lock<std::mutex> lock(wait->mutex);
    acknowledged =
        wait->done_cv.wait_for(lock, milliseconds(config_.command_timeout_ms), [&] { return wait->done; });
  }
  if (!acknowledged) {
    loop_->call([&] { commands_.erase(packet_id); });
    throw sdk::Error(BB_ERR_UNAVAILABLE, "command_timeout",
                     std::string("the printer did not acknowledge the ") + actionName(action) +
                         " command within " + std::to_string(config_.command_timeout_ms) + " ms");
  }
  if (!wait->failure.empty()) {
    throw sdk::Error(BB_ERR_UNAVAILABLE, "command_failed",
                     std::string("sending the ") + actionName(action) + " command failed: " + wait->failure);
  }
  host_.info(where_ + ": sent " + actionName(action));
}

} // namespace bambuddy::printer_bambu
