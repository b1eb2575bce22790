// notifier.bench_probe: the receiving end of the printer scale benchmark's latency measurement.
// It subscribes to the bus topic printer_status_reported and appends one line per event,
// "<instance> <layer> <CLOCK_REALTIME us>", to bus_events.log in its data directory. The
// benchmark joins these with the simulator's "sent <serial> <layer_num> <us>" lines (instance id =
// serial). Bench-only: a notifier because that kind needs nothing but send(), which the benchmark
// never triggers (its instance only accepts the "test" event). Production code has no hook for it.
#include <bambuddy/sdk.hpp>
#include <bambuddy_plugin_schemas.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>
#include <string>
#include <string_view>

namespace {

int64_t realtimeUs() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
}

// The string value after `"key":"` in `json`, or empty. The payload is the core's own compact
// dump ({"instance":..,"plugin":..,"status":{..}}), so a scan suffices and keeps the probe's
// cost on the dispatch thread (which is part of what is measured) to a few hundred nanoseconds.
std::string_view stringAfter(std::string_view json, std::string_view key) {
  size_t at = json.find(key);
  if (at == std::string_view::npos) {
    return {};
  }
  at += key.size();
  size_t end = json.find('"', at);
  return end == std::string_view::npos ? std::string_view{} : json.substr(at, end - at);
}

// The integer after `"layer":`, or -1 (null, absent, or not a number).
int64_t layerOf(std::string_view json) {
  size_t at = json.find("\"layer\":");
  if (at == std::string_view::npos) {
    return -1;
  }
  at += 8;
  int64_t value = 0;
  size_t digits = 0;
  for (; at < json.size() && json[at] >= '0' && json[at] <= '9'; ++at, ++digits) {
    value = value * 10 + (json[at] - '0');
  }
  return digits > 0 ? value : -1;
}

class BusProbe : public bambuddy::sdk::Notifier {
public:
  static constexpr const char* kName = bambuddy::plugin::kPluginName;
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription = "benchmark probe: logs printer_status_reported arrival times";
  static constexpr const char* kConfigSchema = bambuddy::plugin::kConfigSchemaJson;
  static constexpr const char* kInstanceSchema = bambuddy::plugin::kInstanceSchemaJson;

  BusProbe(bambuddy::sdk::Host host, const std::string&, const std::string&) : host_(host) {
    const std::string path = host_.dataDir() + "/bus_events.log";
    file_ = std::fopen(path.c_str(), "we");
    if (file_ == nullptr) {
      throw bambuddy::sdk::Error(BB_ERR_INTERNAL, "io",
                                 "cannot create " + path + ": " + std::strerror(errno));
    }
    std::setvbuf(file_, nullptr, _IOFBF, 1 << 20);
    subscription_ =
        host_.subscribe("printer_status_reported", [this](const bambuddy::sdk::Event& e) { record(e); });
  }

  ~BusProbe() override {
    // The host drops the subscription before destroy; unsubscribe anyway so no call races fclose.
    host_.unsubscribe(subscription_);
    std::lock_guard<std::mutex> lock(mutex_);
    std::fclose(file_);
  }

  bambuddy::sdk::DeliveryResult send(const std::string&, int64_t) override {
    bambuddy::sdk::DeliveryResult r;
    r.outcome = bambuddy::sdk::DeliveryResult::Outcome::Permanent;
    r.error = "the benchmark probe delivers nothing";
    return r;
  }

private:
  void record(const bambuddy::sdk::Event& event) {
    const int64_t now_us = realtimeUs(); // first thing: the delivery time is what is measured
    std::string_view instance = stringAfter(event.payload_json, "\"instance\":\"");
    const int64_t layer = layerOf(event.payload_json);
    std::lock_guard<std::mutex> lock(mutex_);
    std::fprintf(file_, "%.*s %" PRId64 " %" PRId64 "\n", static_cast<int>(instance.size()), instance.data(),
                 layer, now_us);
    // Flushed a few times a second so the benchmark can read the file while the server runs.
    if (now_us - last_flush_us_ > 200000) {
      std::fflush(file_);
      last_flush_us_ = now_us;
    }
  }

  bambuddy::sdk::Host host_;
  std::mutex mutex_;
  std::FILE* file_ = nullptr;
  int64_t last_flush_us_ = 0;
  uint64_t subscription_ = 0;
};

} // namespace

BAMBUDDY_PLUGIN(BusProbe)
