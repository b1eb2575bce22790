// The soak benchmark's webhook side: real local HTTP receivers (one per provider) that timestamp
// each arrival with CLOCK_REALTIME, and the join of what arrived against the lifecycle events the
// simulated printers caused (lost, duplicated, out of order, report -> webhook latency).
#pragma once

#include "poll_receivers.h"

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace bambuddy::bench {

// A lifecycle event the printers caused: the report carrying the state change left the simulator
// at report_us (CLOCK_REALTIME), so every provider should get `event` for `job` of `printer_id`.
struct ExpectedEvent {
  int64_t printer_id = 0;
  std::string event; // print_started, print_complete, print_failed
  int job = 0;       // the bench's job number on that printer (from the file name soak_<job>)
  int64_t report_us = 0;
};

// One webhook that reached a receiver, reduced to what the join needs.
struct Arrival {
  int64_t arrival_us = 0;
  std::string webhook_id;
  std::string event;
  int64_t printer_id = 0;
  int job = -1; // -1: the body named no soak_<n> file
};

class WebhookReceivers {
public:
  explicit WebhookReceivers(int count);
  int count() const { return count_; }
  std::string url(int provider) const;
  size_t arrivals() const; // all providers, duplicates included
  // Every arrival of provider `provider`, in arrival order.
  std::vector<Arrival> arrivalsOf(int provider) const;
  uint64_t malformed() const { return receivers_->malformed(); }
  void stop();

private:
  int count_;
  mutable std::mutex mutex_;
  std::vector<std::vector<Arrival>> arrivals_; // per provider
  std::unique_ptr<PollReceivers> receivers_;   // last: its thread stops before the rest goes
};

struct TallyResult {
  uint64_t expected = 0;     // events caused x providers
  uint64_t delivered = 0;    // of those, the ones that arrived (first arrival of each)
  uint64_t lost = 0;         // expected - delivered
  uint64_t duplicates = 0;   // repeated webhook-ids (at-least-once delivery allows them)
  uint64_t unexpected = 0;   // arrivals that match no caused event (e.g. a job the bench never saw start)
  uint64_t out_of_order = 0; // arrivals about a printer older than one the provider already got
  std::map<std::string, std::vector<int64_t>> latency_us; // by event type, sorted; "all" too
  std::vector<std::string> lost_samples;                  // a few lost events, for the report
};

// `expected` events against what each provider received.
TallyResult tally(const std::vector<ExpectedEvent>& expected, const WebhookReceivers& receivers);

} // namespace bambuddy::bench
