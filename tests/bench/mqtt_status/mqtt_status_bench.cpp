// notifier.mqtt at farm scale: N printers' printer_status events a second through the plugin's bus
// callback (the real .so on the SDK's FakeHost), published to a real mosquitto, counted by a
// mosquitto_sub subscriber in its own process. Reports messages/s reaching the subscriber, the
// time the bus callback takes, and CPU of this process (the plugin, its Paho threads and the
// feeder), the broker and the subscriber. Prints figures; never passes or fails.
#include "proc_stats.h"
#include "support/child_process.h"
#include "support/mosquitto_broker.h"

#include <bambuddy/testing/fake_host.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <dlfcn.h>
#include <fcntl.h>
#include <map>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using bambuddy::testing::steadyNowMs;
using nlohmann::json;

struct Options {
  int printers = 1000;
  int seconds = 20;
  int qos = 1;
  int warmup_s = 5; // discovery of every printer and the first statuses go out first
};

bool parse(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> int { return i + 1 < argc ? std::atoi(argv[++i]) : 0; };
    if (a == "--printers") {
      o.printers = next();
    } else if (a == "--seconds") {
      o.seconds = next();
    } else if (a == "--qos") {
      o.qos = next();
    } else if (a == "--warmup") {
      o.warmup_s = next();
    } else {
      std::fprintf(stderr,
                   "usage: mqtt_status_bench [--printers N] [--seconds S] [--qos 0|1|2] [--warmup S]\n");
      return false;
    }
  }
  return o.printers > 0 && o.seconds > 0 && o.qos >= 0 && o.qos <= 2;
}

std::string statusPayload(int64_t id, double progress) {
  json status = {
      {"id", id},
      {"name", "Printer " + std::to_string(id)},
      {"connected", true},
      {"state", "printing"},
      {"progress", progress},
      {"remaining_time", 3600 - static_cast<int>(progress)},
      {"temperature", 219.5},
      {"temperatures",
       {{"nozzle", 219.5}, {"nozzle_target", 220}, {"bed", 60.1}, {"bed_target", 60}, {"chamber", 35}}},
      {"layer", 57},
      {"total_layers", 210},
      {"current_print", {{"filename", "benchy.3mf"}, {"started_at", "2024-01-15T12:15:00Z"}}},
      {"errors", json::array()},
      {"updated_at", "2024-01-15T13:00:00Z"}};
  return json{{"printer_id", id}, {"status", status}}.dump();
}

// Lines mosquitto_sub printed so far (one per message), read from its pipe on a thread.
class LineCounter {
public:
  explicit LineCounter(int fd) : fd_(fd), thread_([this] { run(); }) {}
  ~LineCounter() {
    thread_.join();
    ::close(fd_);
  }
  uint64_t lines() const { return lines_.load(); }

private:
  void run() {
    char buf[65536];
    while (true) {
      ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n <= 0) {
        return;
      }
      lines_ += static_cast<uint64_t>(std::count(buf, buf + n, '\n'));
    }
  }
  int fd_;
  std::atomic<uint64_t> lines_{0};
  std::thread thread_;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) {
    return 0;
  }
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

} // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, o)) {
    return 2;
  }
  bambuddy::testing::MosquittoBroker broker;
  broker.start();

  // The subscriber: its own process, so its CPU is not the plugin's.
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) {
    std::perror("pipe");
    return 1;
  }
  pid_t sub = bambuddy::testing::spawnChild(
      {"mosquitto_sub", "-h", broker.host(), "-p", std::to_string(broker.port()), "--cafile", broker.caFile(),
       "-u", broker.user(), "-P", broker.password(), "-q", std::to_string(o.qos), "-t",
       "bambuddy/printers/+/status", "-i", "bench-sub"},
      {-1, pipe_fds[1], -1});
  ::close(pipe_fds[1]);
  LineCounter counter(pipe_fds[0]);

  void* lib = ::dlopen(BENCH_MQTT_PLUGIN, RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    std::fprintf(stderr, "dlopen: %s\n", ::dlerror());
    return 1;
  }
  auto query = reinterpret_cast<bb_plugin_query_fn>(::dlsym(lib, BB_PLUGIN_QUERY_SYMBOL));
  bambuddy::testing::TempDir tmp;
  bambuddy::testing::FakeHost host(tmp.path());
  json settings = {{"host", broker.host()},
                   {"port", broker.port()},
                   {"tls", true},
                   {"ca_file", broker.caFile()},
                   {"username", broker.user()},
                   {"password", broker.password()},
                   {"qos", o.qos},
                   {"client_id", "bench-plugin"}};
  auto plugin = host.create(query(BB_ABI_MAJOR, BB_ABI_MINOR), "{}", settings.dump(), "bench");
  const int64_t connect_deadline = steadyNowMs() + 15000;
  while (!host.logged("connected to the MQTT broker") && steadyNowMs() < connect_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }

  // Two payloads per printer, alternated, so every event is a change (as the core sends them).
  std::vector<std::string> payloads[2];
  for (int v = 0; v < 2; ++v) {
    for (int i = 1; i <= o.printers; ++i) {
      payloads[v].push_back(statusPayload(i, 10.0 + v));
    }
  }

  // The feeder: every printer once a second, in 20 slices of 50 ms, as the core's status feed does.
  const int slices = 20;
  std::vector<double> callback_us;
  callback_us.reserve(static_cast<size_t>(o.printers) * static_cast<size_t>(o.seconds + o.warmup_s));
  double cpu_start = 0, broker_cpu_start = 0, sub_cpu_start = 0;
  uint64_t lines_start = 0;
  std::map<pid_t, bambuddy::bench::ThreadSample> threads_start;
  int64_t window_start_ms = 0;
  const int64_t start_ms = steadyNowMs();
  for (int second = 0; second < o.warmup_s + o.seconds; ++second) {
    if (second == o.warmup_s) {
      cpu_start = bambuddy::bench::sampleProcess(::getpid()).cpu_s;
      broker_cpu_start = bambuddy::bench::sampleProcess(broker.pid()).cpu_s;
      sub_cpu_start = bambuddy::bench::sampleProcess(sub).cpu_s;
      lines_start = counter.lines();
      threads_start = bambuddy::bench::sampleThreads(::getpid());
      window_start_ms = steadyNowMs();
      callback_us.clear();
    }
    for (int slice = 0; slice < slices; ++slice) {
      const int64_t slice_at = start_ms + second * 1000 + slice * (1000 / slices);
      while (steadyNowMs() < slice_at) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      for (int i = slice; i < o.printers; i += slices) {
        const auto t0 = std::chrono::steady_clock::now();
        host.emit("printer_status", payloads[second % 2][static_cast<size_t>(i)]);
        callback_us.push_back(
            std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
      }
    }
  }
  const int64_t window_ms = steadyNowMs() - window_start_ms;
  const double cpu_s = bambuddy::bench::sampleProcess(::getpid()).cpu_s - cpu_start;
  const double broker_cpu_s = bambuddy::bench::sampleProcess(broker.pid()).cpu_s - broker_cpu_start;
  const double sub_cpu_s = bambuddy::bench::sampleProcess(sub).cpu_s - sub_cpu_start;
  const uint64_t received = counter.lines() - lines_start;
  const auto rss = bambuddy::bench::sampleProcess(::getpid());
  // By thread: the plugin's loop, Paho's send/receive threads (only the plugin's client here), and
  // the main thread, where the bus callbacks run.
  std::map<std::string, double> by_thread;
  for (const auto& [tid, sample] : bambuddy::bench::sampleThreads(::getpid())) {
    auto before = threads_start.find(tid);
    const double used = sample.cpu_s - (before == threads_start.end() ? 0.0 : before->second.cpu_s);
    const std::string name = tid == ::getpid() ? std::string("main (feeder + bus callbacks)") : sample.name;
    by_thread[name] += used;
  }

  plugin.reset();
  bambuddy::testing::terminateChild(sub, 2000);
  const double secs = static_cast<double>(window_ms) / 1000.0;
  std::printf("notifier.mqtt status bench (%s build): %d printers, 1 status/s each, QoS %d, TLS, %d s window "
              "after %d s warm-up\n",
              BENCH_BUILD_TYPE, o.printers, o.qos, o.seconds, o.warmup_s);
  std::printf("  offered          %10.0f statuses/s\n", static_cast<double>(o.printers));
  std::printf("  received         %10.0f messages/s at the subscriber (%llu in %.1f s)\n",
              static_cast<double>(received) / secs, static_cast<unsigned long long>(received), secs);
  std::printf("  bus callback     mean %.1f us, p50 %.1f us, p99 %.1f us, max %.1f us (%zu calls)\n",
              callback_us.empty() ? 0.0 : [&] { double s = 0; for (double v : callback_us) s += v; return s / static_cast<double>(callback_us.size()); }(),
              percentile(callback_us, 0.5), percentile(callback_us, 0.99), percentile(callback_us, 1.0),
              callback_us.size());
  std::printf("  CPU (%% of one core): plugin process %.1f %% (plugin + Paho + feeder), broker %.1f %%, "
              "subscriber %.1f %%\n",
              100.0 * cpu_s / secs, 100.0 * broker_cpu_s / secs, 100.0 * sub_cpu_s / secs);
  for (const auto& [name, used] : by_thread) {
    if (used > 0.0) {
      std::printf("    thread %-32s %5.1f %%\n", name.c_str(), 100.0 * used / secs);
    }
  }
  std::printf("  plugin process RSS %lld KiB (peak %lld KiB)\n", static_cast<long long>(rss.rss_kib),
              static_cast<long long>(rss.hwm_kib));
  return 0;
}
