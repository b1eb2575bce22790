// The topics notifier.mqtt publishes and listens on, all under the instance's topic prefix.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace bambuddy::notifier_mqtt {

inline constexpr const char* kOnline = "online";
inline constexpr const char* kOffline = "offline";

class Topics {
public:
  explicit Topics(std::string prefix) : prefix_(std::move(prefix)) {}

  // "online" / "offline", retained; "offline" is also the connection's last will.
  std::string availability() const { return prefix_ + "/status"; }
  // One notification; `event` must pass isEventName.
  std::string event(const std::string& event) const { return prefix_ + "/events/" + event; }
  // The printer's status answer (GET /api/v1/printers/{id}/status), retained.
  std::string printerStatus(int64_t printer_id) const;
  // pause | resume | stop, read only with allow_control.
  std::string printerCommand(int64_t printer_id) const;
  std::string commandFilter() const { return prefix_ + "/printers/+/command"; }
  // The printer id of a command topic; nullopt for any other topic.
  std::optional<int64_t> commandPrinter(const std::string& topic) const;

private:
  std::string prefix_;
};

// Event names become a topic level: [a-z0-9_], 1..64 (every core event name is).
bool isEventName(const std::string& event);

} // namespace bambuddy::notifier_mqtt
