#include "support/mqtt_test_client.h"

#include "support/child_process.h"

#include <mqtt/async_client.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

namespace bambuddy::testing {
namespace {

mqtt::connect_options makeConnectOptions(const MqttEndpoint& endpoint, int64_t timeout_ms) {
  auto ssl = endpoint.ca_file.empty()
                 ? mqtt::ssl_options_builder().enable_server_cert_auth(false).verify(false).finalize()
                 : mqtt::ssl_options_builder()
                       .trust_store(endpoint.ca_file)
                       .enable_server_cert_auth(true)
                       .verify(true)
                       .finalize();
  // MQTT 3.1.1 only: the default (3.1.1 then 3.1) doubles every refused attempt in the broker log.
  return mqtt::connect_options_builder()
      .mqtt_version(MQTTVERSION_3_1_1)
      .user_name(endpoint.user)
      .password(endpoint.password)
      .ssl(ssl)
      .clean_session(true)
      .keep_alive_interval(std::chrono::seconds(30))
      .connect_timeout(std::chrono::seconds(std::max<int64_t>(1, (timeout_ms + 999) / 1000)))
      .finalize();
}

// Paho MQTT C stops its detached send and receive threads when its last client is destroyed, but
// returns once they flag themselves stopped, not once they are gone. Both used OpenSSL, whose
// per-thread state is freed when a thread ends; a thread still ending when the test process
// exits runs after OPENSSL_cleanup, its state is lost and LeakSanitizer fails the process (see
// tools/bambu-printer-sim/src/main.cpp). So the last test client waits for them to be gone.
std::atomic<int>& liveClients() {
  static std::atomic<int> count{0}; // clients of this process, across tests
  return count;
}

bool pahoThreadsRunning() {
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    if (std::getline(comm, name) && name.rfind("MQTTAsync_", 0) == 0) {
      return true;
    }
  }
  return false;
}

void waitForPahoThreadsToEnd(int64_t timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (pahoThreadsRunning() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1)); // they end within microseconds
  }
}

} // namespace

MqttProbeResult probeMqttConnect(const MqttEndpoint& endpoint, const std::string& client_id,
                                 int64_t timeout_ms) {
  MqttProbeResult result;
  try {
    mqtt::async_client client(endpoint.uri, client_id);
    auto token = client.connect(makeConnectOptions(endpoint, timeout_ms));
    if (!token->wait_for(std::chrono::milliseconds(timeout_ms + 1000))) {
      result.message = "connect timed out";
      return result;
    }
    result.ok = true;
    client.disconnect()->wait_for(std::chrono::seconds(2));
  } catch (const mqtt::exception& e) {
    result.ok = false;
    result.return_code = e.get_return_code();
    result.message = e.what();
  }
  return result;
}

MqttTestClient::MqttTestClient(MqttEndpoint endpoint, std::string client_id)
    : endpoint_(std::move(endpoint)), client_id_(std::move(client_id)),
      client_(std::make_unique<mqtt::async_client>(endpoint_.uri, client_id_)) {
  ++liveClients();
  client_->set_message_callback([this](mqtt::const_message_ptr msg) {
    std::lock_guard<std::mutex> lock(mutex_);
    received_.push_back(Message{msg->get_topic(), msg->to_string(), steadyNowMs()});
    changed_.notify_all();
  });
}

MqttTestClient::~MqttTestClient() {
  disconnect();
  client_.reset(); // before mutex_ and received_ go: the message callback uses them
  if (--liveClients() == 0) {
    waitForPahoThreadsToEnd(2000);
  }
}

void MqttTestClient::connect(int64_t timeout_ms) {
  client_->connect(makeConnectOptions(endpoint_, timeout_ms))
      ->wait_for(std::chrono::milliseconds(timeout_ms));
  if (!client_->is_connected()) {
    throw mqtt::exception(MQTTASYNC_FAILURE, "connect timed out");
  }
}

void MqttTestClient::disconnect() {
  try {
    if (client_->is_connected()) {
      client_->disconnect()->wait_for(std::chrono::seconds(2));
    }
  } catch (const mqtt::exception&) {
    // Already gone (broker stopped): nothing to clean up.
  }
}

bool MqttTestClient::isConnected() const {
  return client_->is_connected();
}

void MqttTestClient::subscribe(const std::string& topic_filter, int qos, int64_t timeout_ms) {
  client_->subscribe(topic_filter, qos)->wait_for(std::chrono::milliseconds(timeout_ms));
  subscriptions_.emplace_back(topic_filter, qos);
}

void MqttTestClient::publish(const std::string& topic, const std::string& payload, int qos,
                             int64_t timeout_ms) {
  client_->publish(topic, payload.data(), payload.size(), qos, false)
      ->wait_for(std::chrono::milliseconds(timeout_ms));
}

bool MqttTestClient::reconnect(int64_t timeout_ms) {
  const int64_t deadline = steadyNowMs() + timeout_ms;
  while (steadyNowMs() < deadline) {
    try {
      connect(std::min<int64_t>(2000, std::max<int64_t>(1, deadline - steadyNowMs())));
      for (const auto& [topic, qos] : subscriptions_) {
        client_->subscribe(topic, qos)->wait_for(std::chrono::seconds(5));
      }
      return true;
    } catch (const mqtt::exception&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20)); // broker still coming back
    }
  }
  return false;
}

size_t MqttTestClient::mark() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return received_.size();
}

std::optional<MqttTestClient::Message>
MqttTestClient::waitFor(const std::function<bool(const Message&)>& match, int64_t timeout_ms,
                        size_t from) const {
  std::unique_lock<std::mutex> lock(mutex_);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  size_t next = from;
  while (true) {
    for (; next < received_.size(); ++next) {
      if (match(received_[next])) {
        return received_[next];
      }
    }
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout && next == received_.size()) {
      return std::nullopt;
    }
  }
}

std::vector<MqttTestClient::Message> MqttTestClient::messages(size_t from) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (from >= received_.size()) {
    return {};
  }
  return {received_.begin() + static_cast<std::ptrdiff_t>(from), received_.end()};
}

} // namespace bambuddy::testing
