// storage.benchevents: a bench-only plugin (never installed) that puts events on the server's bus
// through the host API, so the webhook benchmark measures "event on the bus -> webhook received"
// without any test route in production code. Its instance (storage plugins get one, "default")
// serves POST /api/v1/bench/events (admin) with {"type", "count", "interval_us", "printer_id"};
// each event's data carries "seq" and "sent_ns" (CLOCK_REALTIME ns just before the publish).
// The blob store itself holds nothing.
#include <bambuddy/sdk.hpp>
#include <bambuddy_plugin_schemas.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <thread>
#include <time.h>

namespace {

int64_t realtimeNs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

class BenchEvents : public bambuddy::sdk::BlobStore {
public:
  static constexpr const char* kName = bambuddy::plugin::kPluginName;
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription = "benchmark event source (not for production)";
  static constexpr const char* kConfigSchema = bambuddy::plugin::kConfigSchemaJson;
  static constexpr const char* kInstanceSchema = bambuddy::plugin::kInstanceSchemaJson;

  BenchEvents(bambuddy::sdk::Host host, const std::string&, const std::string&) : host_(host) {
    host_.registerRoute("POST", "/api/v1/bench/events", BB_PERM_ADMIN, bambuddy::sdk::RateClass::Write,
                        [this](const bambuddy::sdk::RouteRequest& request) { return publish(request); });
  }

  void put(const std::string&, std::string_view) override { unsupported(); }
  std::optional<std::string> get(const std::string&) override { return std::nullopt; }
  bool remove(const std::string&) override { return false; }
  std::vector<bambuddy::sdk::BlobInfo> list(const std::string&) override { return {}; }

private:
  [[noreturn]] static void unsupported() {
    throw bambuddy::sdk::Error(BB_ERR_UNSUPPORTED, "unsupported", "the bench event source stores nothing");
  }

  bambuddy::sdk::RouteResponse publish(const bambuddy::sdk::RouteRequest& request) {
    nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
    if (!body.is_object()) {
      throw bambuddy::sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_body", "a JSON object is expected");
    }
    const std::string type = body.value("type", "print_progress");
    const int count = body.value("count", 1);
    const int64_t interval_us = body.value("interval_us", int64_t{0});
    const int64_t printer_id = body.value("printer_id", int64_t{1});
    int refused = 0;
    auto next = std::chrono::steady_clock::now();
    for (int i = 0; i < count; ++i) {
      nlohmann::json data = {
          {"printer", "Bench"}, {"printer_id", printer_id}, {"seq", i}, {"sent_ns", realtimeNs()}};
      try {
        host_.publish(type, data.dump());
      } catch (const bambuddy::sdk::Error&) {
        ++refused; // bus queue full
      }
      if (interval_us > 0) {
        next += std::chrono::microseconds(interval_us);
        std::this_thread::sleep_until(next);
      }
    }
    return {200, nlohmann::json{{"published", count - refused}, {"refused", refused}}.dump()};
  }

  bambuddy::sdk::Host host_;
};

} // namespace

BAMBUDDY_PLUGIN(BenchEvents)
