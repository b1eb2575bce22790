// Turns one payload from device/<serial>/report into the few fields the driver uses.
//
// Full reports are 14-32 KB (AMS trays, fans, network, ...) and arrive about once a second from
// every printer, so the parser keeps only whitelisted keys while parsing: the rest is scanned but
// never stored. It never throws; bad input comes back as Kind::Invalid with a short reason.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace bambuddy::printer_bambu {

// Larger payloads are refused unread (real full reports stay below 64 KB).
inline constexpr size_t kMaxReportBytes = 1024 * 1024;

struct ParsedReport {
  enum class Kind {
    PushStatus, // {"print":{"command":"push_status",...}}: a full or delta status report
    Version,    // {"info":{"command":"get_version","module":[...]}}
    Other,      // valid JSON object of no interest (command acks, system, mc_print logs, ...)
    Invalid     // not JSON, not an object, too large, too deep, ...
  };
  Kind kind = Kind::Invalid;
  nlohmann::json body;   // PushStatus: the filtered "print" object; Version: the "info" object
  bool repaired = false; // the payload held invalid UTF-8, replaced by U+FFFD before parsing
  std::string problem;   // Invalid: why (never quotes the payload)
};

ParsedReport parseReport(std::string_view payload);

} // namespace bambuddy::printer_bambu
