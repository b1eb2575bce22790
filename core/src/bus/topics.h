// The topics the core itself publishes, each with the payload version it emits. Core code
// publishes through these constants (EventBus::publish(const Topic&, ...)) so a topic name and its
// payload version cannot drift apart; plugins may still use any topic string.
#pragma once

#include <cstdint>

namespace bambuddy::bus {

struct Topic {
  const char* name;
  uint32_t payload_version;
};

namespace topics {

// A printer driver reported a full normalized status through bb_host_api.report_status.
// Payload v1: {"plugin": "<driver name>", "instance": "<instance id>", "status": {...}}.
inline constexpr Topic kPrinterStatusReported{"printer_status_reported", 1};

} // namespace topics
} // namespace bambuddy::bus
