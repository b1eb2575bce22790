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

// A printer's status answer changed (printers/status_feed.h), at most once a second per printer.
// Payload v1: {"printer_id": N, "status": {...}}, status in the shape of GET
// /api/v1/printers/{id}/status. Published only while someone subscribes to it; a new subscriber gets
// every printer's status within a second.
inline constexpr Topic kPrinterStatus{"printer_status", 1};

// A printer was deleted. Payload v1: {"printer_id": N}. Published to subscribers of printer_status
// or printer_removed, within a second, for printers they were told about.
inline constexpr Topic kPrinterRemoved{"printer_removed", 1};

// Several server instances share one database (cluster.enabled): another instance wrote to the
// kv store in `namespace` (a plugin's namespace is its name). Plugins that keep kv documents in
// memory reload them. Payload v1: {"namespace": "<name>"}, or "*" for every namespace (after the
// instance lost touch with the others for a while). Published within about a second of the
// write; never for this instance's own writes.
inline constexpr Topic kKvChanged{"kv_changed", 1};

} // namespace topics
} // namespace bambuddy::bus
