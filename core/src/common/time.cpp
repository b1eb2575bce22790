#include "common/time.h"

#include <bambuddy/date_time.hpp>

#include <chrono>

namespace bambuddy {

int64_t nowUtcMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int64_t monotonicMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

std::string formatUtcMs(int64_t epoch_ms) {
  return sdk::formatIsoUtcMs(epoch_ms);
}

std::string formatUtcSeconds(int64_t epoch_ms) {
  return sdk::formatIsoUtcSeconds(epoch_ms);
}

std::optional<int64_t> parseUtcTimestamp(const std::string& text, std::string& error) {
  return sdk::parseIsoUtc(text, error);
}

std::optional<int64_t> parseUtcTimestamp(const std::string& text) {
  return sdk::parseIsoUtc(text);
}

std::string formatHttpDate(int64_t epoch_ms) {
  return sdk::formatHttpDate(epoch_ms);
}

} // namespace bambuddy
