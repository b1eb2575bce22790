#include "printer_link.h"

#include <chrono>

namespace bambusim {
namespace {

std::string describeFailure(const mqtt::token& token) {
  const int rc = token.get_return_code();
  std::string text = "rc=" + std::to_string(rc);
  // MQTT 3.1.1 CONNACK codes that matter for printers (4 and 5 both mean a wrong access code).
  switch (rc) {
  case 4:
    text += " bad user name or password";
    break;
  case 5:
    text += " not authorized";
    break;
  case MQTTASYNC_FAILURE:
    text += " connect failure (broker down or TLS refused)";
    break;
  default:
    break;
  }
  return text;
}

} // namespace

PrinterLink::PrinterLink(const Options& options, size_t index, const std::string& serial, LinkEventSink& sink)
    : index_(index), sink_(sink), report_topic_("device/" + serial + "/report"),
      request_topic_("device/" + serial + "/request"),
      connect_listener_(*this, LinkEvent::Kind::Connected, LinkEvent::Kind::ConnectFailed),
      subscribe_listener_(*this, LinkEvent::Kind::Subscribed, LinkEvent::Kind::SubscribeFailed) {
  auto ssl = options.insecure
                 ? mqtt::ssl_options_builder().enable_server_cert_auth(false).verify(false).finalize()
                 : mqtt::ssl_options_builder()
                       .trust_store(options.ca_file)
                       .enable_server_cert_auth(true)
                       .verify(true)
                       .finalize();
  connect_options_ = mqtt::connect_options_builder()
                         .mqtt_version(MQTTVERSION_3_1_1)
                         .user_name(options.user)
                         .password(options.password)
                         .ssl(ssl)
                         .clean_session(true)
                         .keep_alive_interval(std::chrono::seconds(30))
                         .connect_timeout(std::chrono::seconds(3))
                         .finalize();
  const std::string uri = "ssl://" + options.host + ":" + std::to_string(options.port);
  client_ = std::make_unique<mqtt::async_client>(uri, "bambu-sim-" + serial);
  client_->set_connection_lost_handler([this](const std::string& cause) {
    sink_.post(LinkEvent{LinkEvent::Kind::Lost, index_, cause.empty() ? "connection lost" : cause});
  });
  client_->set_message_callback([this](mqtt::const_message_ptr message) {
    sink_.post(LinkEvent{LinkEvent::Kind::Message, index_, message->to_string()});
  });
}

PrinterLink::~PrinterLink() {
  // Stop callbacks first: they reference this object and the sink.
  client_->disable_callbacks();
  client_.reset();
}

void PrinterLink::Listener::on_success(const mqtt::token&) {
  link_.sink_.post(LinkEvent{success_, link_.index_, {}});
}

void PrinterLink::Listener::on_failure(const mqtt::token& token) {
  link_.sink_.post(LinkEvent{failure_, link_.index_, describeFailure(token)});
}

void PrinterLink::connect() {
  try {
    client_->connect(connect_options_, nullptr, connect_listener_);
  } catch (const mqtt::exception& e) {
    sink_.post(LinkEvent{LinkEvent::Kind::ConnectFailed, index_, e.what()});
  }
}

void PrinterLink::subscribeRequests() {
  try {
    client_->subscribe(request_topic_, 1, nullptr, subscribe_listener_);
  } catch (const mqtt::exception& e) {
    sink_.post(LinkEvent{LinkEvent::Kind::SubscribeFailed, index_, e.what()});
  }
}

bool PrinterLink::publish(const std::string& payload) {
  try {
    client_->publish(report_topic_, payload.data(), payload.size(), 0, false);
    return true;
  } catch (const mqtt::exception&) {
    return false;
  }
}

void PrinterLink::disconnect(int64_t timeout_ms) {
  try {
    if (client_->is_connected()) {
      client_->disconnect()->wait_for(std::chrono::milliseconds(timeout_ms));
    }
  } catch (const mqtt::exception&) {
    // Already gone.
  }
}

} // namespace bambusim
