// One printer's MQTT client (Paho async): connect with TLS + password, subscribe to its request
// topic, publish reports. It never retries by itself: the simulator loop decides when to try again,
// so a first connect that fails (broker not up yet) and a lost connection are handled alike.
#pragma once

#include "link_events.h"
#include "options.h"

#include <mqtt/async_client.h>

#include <memory>
#include <string>

namespace bambusim {

class PrinterLink {
public:
  PrinterLink(const Options& options, size_t index, const std::string& serial, LinkEventSink& sink);
  ~PrinterLink();
  PrinterLink(const PrinterLink&) = delete;
  PrinterLink& operator=(const PrinterLink&) = delete;

  void connect();           // async; the result arrives as Connected or ConnectFailed
  void subscribeRequests(); // async; Subscribed or SubscribeFailed
  // False when not connected (the report is dropped, as a printer's would be).
  bool publish(const std::string& payload);
  void disconnect(int64_t timeout_ms);
  const std::string& reportTopic() const { return report_topic_; }

private:
  class Listener : public mqtt::iaction_listener {
  public:
    Listener(PrinterLink& link, LinkEvent::Kind on_success, LinkEvent::Kind on_failure)
        : link_(link), success_(on_success), failure_(on_failure) {}
    void on_success(const mqtt::token& token) override;
    void on_failure(const mqtt::token& token) override;

  private:
    PrinterLink& link_;
    LinkEvent::Kind success_;
    LinkEvent::Kind failure_;
  };

  size_t index_;
  LinkEventSink& sink_;
  std::string report_topic_;
  std::string request_topic_;
  mqtt::connect_options connect_options_;
  Listener connect_listener_;
  Listener subscribe_listener_;
  std::unique_ptr<mqtt::async_client> client_;
};

} // namespace bambusim
