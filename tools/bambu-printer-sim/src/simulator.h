// The simulator loop: owns every printer (model + MQTT link), and runs all state changes and all
// publishing on one thread. Paho callbacks, stdin control lines and signals only queue work.
#pragma once

#include "event_out.h"
#include "fixtures.h"
#include "link_events.h"
#include "options.h"
#include "printer_link.h"
#include "printer_model.h"
#include "storage.h"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace bambusim {

class Simulator : public LinkEventSink {
public:
  Simulator(Options options, const FixtureSet& fixtures, EventOut& events);
  ~Simulator() override;

  void post(LinkEvent event) override;
  void postControl(std::string line); // one stdin line
  void requestQuit();
  // Runs until `quit` (stdin) or requestQuit(); disconnects every printer before returning.
  void run();

private:
  struct Printer {
    std::unique_ptr<PrinterModel> model;
    std::unique_ptr<PrinterLink> link;
    std::unique_ptr<PrinterStorage> storage; // with --storage-dir
    bool connected = false;
    bool connecting = false;
    bool ever_connected = false;
    bool silent = false;
    int64_t retry_at_ms = 0;
    int64_t retry_delay_ms = 0;
    int64_t next_report_ms = 0;
    uint64_t published = 0;
    uint64_t dropped = 0;
    uint64_t reconnects = 0;
    int trace_layer = 0;          // --trace: the layer_num of the latest periodic report
    int64_t last_publish_us = 0;  // CLOCK_REALTIME of the latest publish() call that went out
    int64_t state_publish_us = 0; // CLOCK_REALTIME of the latest report that carried gcode_state
  };

  void handleLinkEvent(const LinkEvent& event, int64_t now_ms);
  void handleControl(const std::string& line, int64_t now_ms);
  // `start <serial> [<3mf> [plate]]`: puts the file on the printer's storage and prints it.
  void startStoredJob(Printer& printer, const std::vector<std::string>& args, int64_t now_ms);
  void reportStateChange(Printer& printer, const std::string& before);
  // The `state` event line; with --trace it ends with the publish time of the report carrying it.
  void emitState(const Printer& printer);
  Printer* findPrinter(const std::string& serial);
  void handleRequestMessage(Printer& printer, const std::string& payload, int64_t now_ms);
  void scheduleRetry(Printer& printer, int64_t now_ms);
  void publish(Printer& printer, const nlohmann::json& message, const char* kind);
  void publishFull(Printer& printer);
  void publishDelta(Printer& printer);
  void publishPeriodic(Printer& printer);
  void step(int64_t now_ms);
  int64_t nextWakeMs(int64_t now_ms) const;
  std::string statsLine() const;

  Options options_;
  EventOut& events_;
  std::vector<Printer> printers_;
  bool ready_announced_ = false;
  uint64_t generated_files_ = 0; // names the 3MFs `start <serial>` generates
  bool quit_ = false;

  std::mutex queue_mutex_;
  std::condition_variable queue_changed_;
  std::deque<LinkEvent> link_queue_;
  std::deque<std::string> control_queue_;
  bool quit_requested_ = false;
};

int64_t steadyMs();
int64_t wallMs();
int64_t wallUs(); // CLOCK_REALTIME in microseconds, for --trace lines

} // namespace bambusim
