// Webhook delivery benchmark: the real server binary with the notifier.webhook plugin, local HTTP
// receivers, and events put on the bus by the bench-only storage.benchevents plugin. Measures
// event-on-the-bus -> webhook-received latency (p50/p99) with one healthy receiver, deliveries per
// second with ten providers, and the same with one of the ten receivers dead (never answering),
// to show what a dead receiver costs the healthy ones. Prints figures; never passes or fails.
//
//   webhook_bench [--events N] [--interval-ms MS]
#include "support/http_client.h"
#include "support/http_receiver.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

#include <nlohmann/json.hpp>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using bambuddy::testing::HttpReceiver;
using bambuddy::testing::ReceivedRequest;
using bambuddy::testing::ScriptedResponse;
using bambuddy::testing::ServerProcess;
using bambuddy::testing::TempDir;
using nlohmann::json;

// A fixed key with 256 bits of entropy (the server refuses a weak BAMBUDDY_ADMIN_KEY).
const std::string kAdminKey = "bb_Wc4SR-dtuEQTiqMgSDxDL_h6HuDlIMhe4Ed1grkQhtE";
constexpr int kAttemptTimeoutMs = 5000;

int64_t realtimeNs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

// A receiver that records, per request, the time from the event's publish to its arrival.
class Receiver {
public:
  explicit Receiver(bool dead) {
    rx_.setHandler([this, dead](const ReceivedRequest& request) {
      ScriptedResponse answer;
      if (dead) {
        answer.delay_ms = 120000; // never answers within the attempt deadline
        return answer;
      }
      const int64_t now = realtimeNs();
      json body = json::parse(request.body, nullptr, false);
      int64_t sent = body.is_object() ? body["data"].value("sent_ns", int64_t{0}) : 0;
      std::lock_guard<std::mutex> lock(mutex_);
      if (sent > 0) {
        latencies_ms_.push_back(static_cast<double>(now - sent) / 1e6);
      }
      last_ns_ = now;
      answer.status = 204;
      return answer;
    });
  }
  std::string url() const { return rx_.url("/hook"); }
  size_t count() {
    std::lock_guard<std::mutex> lock(mutex_);
    return latencies_ms_.size();
  }
  std::vector<double> latencies() {
    std::lock_guard<std::mutex> lock(mutex_);
    return latencies_ms_;
  }
  int64_t lastNs() {
    std::lock_guard<std::mutex> lock(mutex_);
    return last_ns_;
  }
  void stop() { rx_.stop(); }

private:
  HttpReceiver rx_;
  std::mutex mutex_;
  std::vector<double> latencies_ms_;
  int64_t last_ns_ = 0;
};

double percentile(std::vector<double> values, double p) {
  if (values.empty()) {
    return 0;
  }
  std::sort(values.begin(), values.end());
  size_t index = static_cast<size_t>(p / 100.0 * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

class Server {
public:
  Server() {
    std::string yaml = "server:\n  listen: 127.0.0.1:0\n  worker_threads: 4\n"
                       "auth:\n  rate_limits: {read: 1000000, write: 1000000, control: 1000000}\n"
                       "notifications:\n  attempt_timeout_ms: " +
                       std::to_string(kAttemptTimeoutMs) +
                       "\n"
                       "data_dir: " +
                       dir_.file("data") + "\nplugins:\n  search_path: [" + bambuddy::testing::pluginDir() +
                       ", " + BENCH_PLUGIN_DIR +
                       "]\n  load:\n    - name: storage.local\n    - name: auth.apikey\n"
                       "    - name: notifier.webhook\n    - name: storage.benchevents\n";
    process_ = std::make_unique<ServerProcess>(
        bambuddy::testing::serverBinary(),
        std::vector<std::string>{"--config", dir_.write("bambuddy.yaml", yaml)},
        std::map<std::string, std::string>{{"BAMBUDDY_ADMIN_KEY", kAdminKey}});
    if (!process_->waitReady(20000)) {
      // Thrown, not exit(): unwinding stops the server process and removes the temp dir.
      throw std::runtime_error("the server did not start:\n" + process_->log());
    }
  }
  ~Server() { process_->stop(30000); }

  json post(const std::string& path, const json& body, int timeout_ms = 120000) {
    auto r = bambuddy::testing::httpRequest("127.0.0.1", process_->port(), "POST", path, body.dump(),
                                            {{"X-API-Key", kAdminKey}, {"Content-Type", "application/json"}},
                                            timeout_ms);
    if (r.status < 200 || r.status > 299) {
      throw std::runtime_error("POST " + path + " -> " + std::to_string(r.status) + " " + r.body + " " +
                               r.error);
    }
    return json::parse(r.body);
  }

  void addWebhook(const std::string& url, const std::string& name) {
    post("/api/v1/notifications", {{"type", "webhook"}, {"name", name}, {"settings", {{"url", url}}}});
  }

  // Publishes `count` events, `interval_us` apart (0 = as fast as possible); returns when all are on
  // the bus.
  void publish(int count, int64_t interval_us) {
    json answer = post("/api/v1/bench/events",
                       {{"type", "print_progress"}, {"count", count}, {"interval_us", interval_us}});
    if (answer.value("refused", 0) > 0) {
      std::fprintf(stderr, "note: the bus refused %d events (queue full)\n", answer["refused"].get<int>());
    }
  }

private:
  TempDir dir_;
  std::unique_ptr<ServerProcess> process_;
};

bool waitAll(std::vector<std::unique_ptr<Receiver>>& receivers, size_t each, int64_t timeout_ms) {
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < until) {
    bool done = true;
    for (auto& r : receivers) {
      done = done && r->count() >= each;
    }
    if (done) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

struct Result {
  std::string name;
  size_t deliveries = 0;
  double seconds = 0;
  std::vector<double> latencies;
  bool complete = true;
};

// `healthy` receivers (plus one dead one when `with_dead`), `events` published `interval_us` apart.
Result run(const std::string& name, int healthy, bool with_dead, int events, int64_t interval_us) {
  Server server;
  std::vector<std::unique_ptr<Receiver>> receivers;
  std::unique_ptr<Receiver> dead;
  if (with_dead) {
    dead = std::make_unique<Receiver>(true);
    server.addWebhook(dead->url(), "dead");
  }
  for (int i = 0; i < healthy; ++i) {
    receivers.push_back(std::make_unique<Receiver>(false));
    server.addWebhook(receivers.back()->url(), "healthy " + std::to_string(i));
  }
  const int64_t start = realtimeNs();
  server.publish(events, interval_us);
  Result result;
  result.name = name;
  result.complete = waitAll(receivers, static_cast<size_t>(events), 120000);
  int64_t last = start;
  for (auto& r : receivers) {
    auto l = r->latencies();
    result.latencies.insert(result.latencies.end(), l.begin(), l.end());
    result.deliveries += l.size();
    last = std::max(last, r->lastNs());
  }
  result.seconds = static_cast<double>(last - start) / 1e9;
  if (dead) {
    dead->stop(); // lets the server's attempt in flight end at once, so it stops quickly
  }
  return result;
}

void print(const Result& r, bool throughput) {
  std::printf("%-52s %7zu deliveries  p50 %7.2f ms  p90 %7.2f ms  p99 %7.2f ms  max %8.2f ms", r.name.c_str(),
              r.deliveries, percentile(r.latencies, 50), percentile(r.latencies, 90),
              percentile(r.latencies, 99), percentile(r.latencies, 100));
  if (throughput) {
    std::printf("  %8.0f deliveries/s", static_cast<double>(r.deliveries) / r.seconds);
  }
  std::printf("%s\n", r.complete ? "" : "  (INCOMPLETE: not all arrived within 120 s)");
  std::fflush(stdout);
}

// The dead receiver's effect on the healthy ones, measured as pairs run back to back (10 healthy,
// then 9 healthy + 1 dead) so that both sides of each pair see the same machine load. A single
// pair is as noisy as the machine; the pooled p99 and the median of the per-pair ratios are not.
void compareInterleaved(int rounds, int events, int64_t interval_us) {
  std::printf("\ndead receiver effect, %d interleaved pairs of paced runs (healthy deliveries only):\n",
              rounds);
  std::vector<double> pooled_alive, pooled_dead, ratios;
  for (int i = 1; i <= rounds; ++i) {
    Result alive = run("10 healthy", 10, false, events, interval_us);
    Result dead = run("9 healthy + 1 dead", 9, true, events, interval_us);
    double p99_alive = percentile(alive.latencies, 99);
    double p99_dead = percentile(dead.latencies, 99);
    ratios.push_back(p99_dead / p99_alive);
    pooled_alive.insert(pooled_alive.end(), alive.latencies.begin(), alive.latencies.end());
    pooled_dead.insert(pooled_dead.end(), dead.latencies.begin(), dead.latencies.end());
    std::printf("  pair %d: 10 healthy p50 %6.2f p99 %7.2f ms | 9 healthy + 1 dead p50 %6.2f p99 %7.2f ms | "
                "p99 ratio %.2f%s\n",
                i, percentile(alive.latencies, 50), p99_alive, percentile(dead.latencies, 50), p99_dead,
                p99_dead / p99_alive, alive.complete && dead.complete ? "" : "  (INCOMPLETE)");
    std::fflush(stdout);
  }
  std::sort(ratios.begin(), ratios.end());
  std::printf(
      "  pooled: 10 healthy p99 %.2f ms, 9 healthy + 1 dead p99 %.2f ms (%+.0f %%); median pair ratio %.2f\n",
      percentile(pooled_alive, 99), percentile(pooled_dead, 99),
      100.0 * (percentile(pooled_dead, 99) / percentile(pooled_alive, 99) - 1.0), ratios[ratios.size() / 2]);
}

} // namespace

int main(int argc, char** argv) {
  int events = 1000;
  int interval_ms = 20;
  int rounds = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--events") == 0) {
      events = std::max(1, std::atoi(argv[i + 1]));
    } else if (std::strcmp(argv[i], "--interval-ms") == 0) {
      interval_ms = std::max(1, std::atoi(argv[i + 1]));
    } else if (std::strcmp(argv[i], "--rounds") == 0) {
      rounds = std::max(1, std::atoi(argv[i + 1]));
    }
  }
  const int paced = std::max(1, events / 4);
  std::printf("webhook delivery: event published on the bus -> webhook received (local receivers, "
              "notifier.webhook, SQLite outbox)\n");
  std::printf("paced runs: %d events %d ms apart; bursts: %d events at once; dead receiver: never answers "
              "(attempt timeout %d ms)\n\n",
              paced, interval_ms, events, kAttemptTimeoutMs);
  const int64_t interval_us = int64_t{interval_ms} * 1000;
  try {
    print(run("1 provider, paced (latency)", 1, false, paced, interval_us), false);
    print(run("10 providers, paced", 10, false, paced, interval_us), false);
    print(run("9 healthy + 1 dead provider, paced (healthy only)", 9, true, paced, interval_us), false);
    print(run("10 providers, burst (throughput)", 10, false, events, 0), true);
    print(run("9 healthy + 1 dead provider, burst (healthy only)", 9, true, events, 0), true);
    compareInterleaved(rounds, paced, interval_us);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "webhook_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
