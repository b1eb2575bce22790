#include "mqtt_topics.h"

#include <algorithm>
#include <limits>

namespace bambuddy::notifier_mqtt {

std::string Topics::printerStatus(int64_t printer_id) const {
  return prefix_ + "/printers/" + std::to_string(printer_id) + "/status";
}

std::string Topics::printerCommand(int64_t printer_id) const {
  return prefix_ + "/printers/" + std::to_string(printer_id) + "/command";
}

std::optional<int64_t> Topics::commandPrinter(const std::string& topic) const {
  const std::string head = prefix_ + "/printers/";
  const std::string tail = "/command";
  if (topic.size() <= head.size() + tail.size() || topic.compare(0, head.size(), head) != 0 ||
      topic.compare(topic.size() - tail.size(), tail.size(), tail) != 0) {
    return std::nullopt;
  }
  const std::string digits = topic.substr(head.size(), topic.size() - head.size() - tail.size());
  if (digits.empty() || digits.size() > 18 || digits.front() == '0' ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return std::stoll(digits);
}

bool isEventName(const std::string& event) {
  return !event.empty() && event.size() <= 64 && std::all_of(event.begin(), event.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

} // namespace bambuddy::notifier_mqtt
