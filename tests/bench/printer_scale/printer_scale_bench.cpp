// Printer scale benchmark: N simulated Bambu printers on one mosquitto broker, each publishing one
// report per second, against the real server binary with N printer.bambu instances. For each N it
// prints the server's CPU (% of one core) and memory over a steady window, the simulators' and
// the broker's CPU, the report -> bus event latency, and after the window the time of a Prometheus
// scrape (GET /api/v1/metrics) with N printers. Prints figures; never fails on time.
//
// Latency: the simulators run with --trace (each periodic report carries layer_num = a
// per-printer counter and prints "sent <serial> <layer> <us>"), and the bench-only plugin
// notifier.bench_probe logs "<instance> <layer> <us>" when printer_status_reported reaches it on
// the bus. Instance ids are the serials, so the two join on (serial, layer). Both use
// CLOCK_REALTIME on this machine. The probe subscribes after the printer registry, so its time
// includes the registry's handling of the same event.
//
// Everything runs on this machine: the simulators and the broker compete with the server for the
// cores, so each run also prints their CPU and the machine's. A crash or a printer that never
// connects is reported, not fatal. Experiments without rebuilding: --server-env passes variables
// to the server (e.g. MALLOC_ARENA_MAX=2), --driver-config replaces printer.bambu's timing block,
// --server-binary and --plugin-dir compare two builds (e.g. a saved printer.bambu against the new
// one) in the same run window. --broker-restart then restarts the broker after the window and times
// the reconnect storm (all offline, all back).
//
// usage: printer_scale_bench [--counts 100,500,1000] [--window-s 30] [--warmup-s 5]
//                            [--printers-per-sim 100] [--connect-timeout-s 120] [--interval-ms 1000]
//                            [--driver-config '{connect_timeout_ms: 30000}'] [--server-env NAME=VALUE]...
//                            [--server-binary PATH --plugin-dir DIR] [--log-dir DIR] [--broker-restart]
#include "bench_report.h"
#include "proc_stats.h"

#include "support/bambu_sim_process.h"
#include "support/http_client.h"
#include "support/mosquitto_broker.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>
#include <unordered_map>
#include <vector>

namespace {

using namespace bambuddy::bench;
using namespace bambuddy::testing;

struct BenchOptions {
  std::vector<int> counts{100, 500, 1000};
  int window_s = 30;
  int warmup_s = 5;
  int printers_per_sim = 100; // Paho costs O(clients) per message, so small simulator processes are cheaper
  int connect_timeout_s = 120;
  int interval_ms = 1000;
  std::string driver_config = "{}";              // printer.bambu's plugin config (YAML flow map)
  std::map<std::string, std::string> server_env; // extra environment, for experiments (MALLOC_ARENA_MAX=2)
  std::string server_binary = serverBinary();    // default: this build tree's
  std::string plugin_dir = pluginDir();
  std::string log_dir;         // when set: server-<N>.log and broker-<N>.log are kept there
  bool broker_restart = false; // after the window: restart the broker and time the reconnect storm
};

// What one run (one N) measured.
struct RunResult {
  int printers = 0;
  int sim_processes = 0;
  double sims_ready_s = -1;    // simulators started -> every simulated printer on the broker
  double server_ready_s = -1;  // server spawned -> listening
  double all_connected_s = -1; // server spawned -> GET /printers shows all N connected (-1: never)
  int connected = 0;           // at the last poll before the window
  int connected_after = 0;     // at the poll after the window
  double window_s = 0;
  double server_cpu_pct = 0; // % of one core over the window
  double sims_cpu_pct = 0;   // all simulator processes together
  double broker_cpu_pct = 0;
  double bench_cpu_pct = 0;    // this process (stdout readers, polling)
  double machine_busy_pct = 0; // all cores, every process on the machine (other load shows here)
  int64_t rss_kib = 0;         // at the end of the window
  int64_t rss_max_kib = 0;     // highest sample during the window
  int64_t hwm_kib = 0;         // VmHWM at the end of the window (includes the connect phase)
  int64_t threads = 0;
  uint64_t sent = 0;       // traced reports published during the window
  uint64_t matched = 0;    // of those, the ones whose bus event the probe saw
  uint64_t bus_events = 0; // probe lines with a receive time inside the window
  double p50_ms = -1, p90_ms = -1, p99_ms = -1, max_ms = -1;
  uint64_t sim_reconnects = 0, sim_dropped = 0;
  double shutdown_s = -1;
  double restart_all_offline_s = -1; // broker restarted -> GET /printers shows none connected
  double restart_all_back_s = -1;    // broker restarted -> all N connected again
  int server_warnings = 0;
  double metrics_p50_ms = -1, metrics_max_ms = -1; // GET /api/v1/metrics after the window
  int64_t metrics_kib = 0;
  std::string thread_breakdown; // server CPU in the window by thread name
  std::string notes;
};

int64_t realtimeUs() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
}

std::string serialFor(int index) {
  char serial[16];
  std::snprintf(serial, sizeof serial, "BENCH%010d", index);
  return serial;
}

std::string configYaml(const TempDir& dir, const MosquittoBroker& broker,
                       const std::vector<std::string>& serials, const BenchOptions& options) {
  std::ostringstream y;
  y << "data_dir: " << dir.path() << "/data\n"
    << "server:\n  listen: 127.0.0.1:0\n"
    // info: the readiness line ("listening on") is an info line; printers log only on connect.
    << "log:\n  level: info\n"
    // The bench polls GET /printers once a second while N printers connect.
    << "auth:\n  rate_limits: { read: 100000 }\n"
    << "plugins:\n  search_path: [" << options.plugin_dir << "]\n  load:\n"
    << "    - name: storage.local\n"
    << "    - name: auth.apikey\n"
    << "    - name: notifier.bench_probe\n"
    << "      path: " << BENCH_PROBE_PLUGIN << "\n"
    << "      instances:\n"
    << "        - id: probe\n"
    << "          events: [test]\n" // never fires: the probe only listens to the bus
    << "    - name: printer.bambu\n"
    << "      config: " << options.driver_config << "\n" // default {}: the timing for real printers
    << "      instances:\n";
  for (const std::string& serial : serials) {
    // No tls block: no certificate check, what Bambu clients (and the default) do.
    y << "        - id: " << serial << "\n"
      << "          settings: { host: 127.0.0.1, port: " << broker.port() << ", serial: " << serial
      << ", access_code: \"" << broker.password() << "\" }\n";
  }
  return y.str();
}

// {connected, total} from GET /api/v1/printers (every page); nullopt when the server did not answer.
std::optional<std::pair<int, int>> countConnected(uint16_t port, const std::string& key) {
  int connected = 0, total = 0;
  for (int offset = 0;; offset += 1000) {
    HttpResult r =
        httpRequest("127.0.0.1", port, "GET", "/api/v1/printers?limit=1000&offset=" + std::to_string(offset),
                    "", {{"X-API-Key", key}}, 20000);
    if (r.status != 200) {
      return std::nullopt;
    }
    nlohmann::json page = nlohmann::json::parse(r.body, nullptr, false);
    if (!page.is_object() || !page["items"].is_array()) {
      return std::nullopt;
    }
    for (const auto& item : page["items"]) {
      if (item["status"].value("connected", false)) {
        ++connected;
      }
    }
    total = page.value("total", 0);
    if (page["items"].empty() || offset + 1000 >= total) {
      break;
    }
  }
  return std::make_pair(connected, total);
}

// "stats printers=.. connected=.. published=.. dropped=.. reconnects=.." -> value of `key`.
uint64_t statsValue(const std::string& line, const std::string& key) {
  size_t at = line.find(" " + key + "=");
  return at == std::string::npos ? 0 : std::stoull(line.substr(at + key.size() + 2));
}

RunResult runOne(const BenchOptions& options, int printers) {
  RunResult result;
  result.printers = printers;
  std::printf("\n=== N = %d printers ===\n", printers);
  std::fflush(stdout);

  MosquittoBroker broker;
  broker.start();
  const pid_t broker_pid = bambuddy::bench::findChild("mosquitto");

  std::vector<std::string> serials;
  for (int i = 1; i <= printers; ++i) {
    serials.push_back(serialFor(i));
  }

  // Simulators: printers_per_sim printers per process, all with --trace.
  std::vector<std::unique_ptr<BambuSimProcess>> sims;
  const auto sims_start = std::chrono::steady_clock::now();
  for (int first = 0; first < printers; first += options.printers_per_sim) {
    const int last = std::min(printers, first + options.printers_per_sim);
    std::vector<std::string> args = BambuSimProcess::argsFor(broker, serials[first], options.interval_ms);
    for (int i = first + 1; i < last; ++i) {
      args.push_back("--serial");
      args.push_back(serials[i]);
    }
    args.push_back("--trace");
    sims.push_back(std::make_unique<BambuSimProcess>(args));
  }
  result.sim_processes = static_cast<int>(sims.size());
  for (auto& sim : sims) {
    const int64_t left_ms =
        options.connect_timeout_s * 1000 - static_cast<int64_t>(secondsSince(sims_start) * 1000);
    if (!sim->waitLine("ready", std::max<int64_t>(left_ms, 1))) {
      result.notes += "a simulator did not get all its printers onto the broker; ";
      std::printf("simulator not ready:\n%s\n", sim->transcript().substr(0, 2000).c_str());
    }
  }
  result.sims_ready_s = secondsSince(sims_start);
  std::printf("simulators: %zu processes, all printers on the broker after %.1f s\n", sims.size(),
              result.sims_ready_s);
  std::fflush(stdout);

  TempDir dir;
  const std::string config = dir.write("bench.yaml", configYaml(dir, broker, serials, options));
  const std::string admin_key = randomAdminKey();
  const auto server_start = std::chrono::steady_clock::now();
  std::map<std::string, std::string> env = options.server_env;
  env["BAMBUDDY_ADMIN_KEY"] = admin_key;
  ServerProcess server(options.server_binary, {"--config", config}, env);
  if (!server.waitReady(120000)) {
    const std::string log = server.log();
    std::printf("server did not start within 120 s (%s); its log ends with:\n%s\n",
                server.running() ? "still running" : "exited",
                log.substr(log.size() > 3000 ? log.size() - 3000 : 0).c_str());
    result.notes += "server did not start; ";
    return result;
  }
  auto saveLogs = [&] {
    if (!options.log_dir.empty()) {
      std::ofstream(options.log_dir + "/server-" + std::to_string(printers) + ".log") << server.log();
      std::ofstream(options.log_dir + "/broker-" + std::to_string(printers) + ".log") << broker.log();
    }
  };
  result.server_ready_s = secondsSince(server_start);
  std::printf("server: listening after %.2f s (pid %d)\n", result.server_ready_s,
              static_cast<int>(server.pid()));
  std::fflush(stdout);

  // All N connected: each driver has connected, subscribed and delivered a report.
  const auto deadline = server_start + std::chrono::seconds(options.connect_timeout_s);
  double last_print_s = 0;
  while (std::chrono::steady_clock::now() < deadline && server.running()) {
    if (auto counts = countConnected(server.port(), admin_key)) {
      result.connected = counts->first;
      if (counts->first >= printers) {
        result.all_connected_s = secondsSince(server_start);
        break;
      }
    }
    if (secondsSince(server_start) - last_print_s >= 10) {
      last_print_s = secondsSince(server_start);
      std::printf("  %.0f s: %d of %d connected\n", last_print_s, result.connected, printers);
      std::fflush(stdout);
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  if (!server.running()) {
    // A crash: glibc's abort message or the last log lines say why (the signal is not kept).
    const std::string log = server.log();
    std::printf("server exited during the connect phase; its log ends with:\n%s\n",
                log.substr(log.size() > 3000 ? log.size() - 3000 : 0).c_str());
    result.notes += "server exited during the connect phase; ";
    saveLogs();
    return result;
  }
  if (result.all_connected_s < 0) {
    result.notes += "not all printers connected within the deadline; ";
  }
  std::printf("server: %d of %d printers connected after %.1f s\n", result.connected, printers,
              secondsSince(server_start));
  std::fflush(stdout);

  // Steady state: let the connect burst settle, then measure.
  std::this_thread::sleep_for(std::chrono::seconds(options.warmup_s));
  std::vector<pid_t> sim_pids;
  for (auto& sim : sims) {
    sim_pids.push_back(sim->pid());
  }
  const auto machine_before = machineTicks();
  const ProcSample server_before = sampleProcess(server.pid());
  const auto threads_before = sampleThreads(server.pid());
  const double sims_before = cpuSecondsOf(sim_pids);
  const double broker_before = broker_pid > 0 ? sampleProcess(broker_pid).cpu_s : 0;
  const double bench_before = sampleProcess(getpid()).cpu_s;
  const auto window_start = std::chrono::steady_clock::now();
  const int64_t window_start_us = realtimeUs();
  for (int s = 0; s < options.window_s; ++s) {
    std::this_thread::sleep_until(window_start + std::chrono::seconds(s + 1));
    result.rss_max_kib = std::max(result.rss_max_kib, sampleProcess(server.pid()).rss_kib);
  }
  const int64_t window_end_us = realtimeUs();
  const ProcSample server_after = sampleProcess(server.pid());
  const auto threads_after = sampleThreads(server.pid());
  const double sims_after = cpuSecondsOf(sim_pids);
  const double broker_after = broker_pid > 0 ? sampleProcess(broker_pid).cpu_s : 0;
  const double bench_after = sampleProcess(getpid()).cpu_s;
  const auto machine_after = machineTicks();
  result.window_s = secondsSince(window_start);
  result.server_cpu_pct = 100.0 * (server_after.cpu_s - server_before.cpu_s) / result.window_s;
  result.sims_cpu_pct = 100.0 * (sims_after - sims_before) / result.window_s;
  result.broker_cpu_pct = 100.0 * (broker_after - broker_before) / result.window_s;
  result.bench_cpu_pct = 100.0 * (bench_after - bench_before) / result.window_s;
  const double machine_total = static_cast<double>(machine_after.second - machine_before.second);
  result.machine_busy_pct =
      machine_total > 0
          ? 100.0 * static_cast<double>(machine_after.first - machine_before.first) / machine_total
          : 0;
  result.rss_kib = server_after.rss_kib;
  result.rss_max_kib = std::max(result.rss_max_kib, server_after.rss_kib);
  result.hwm_kib = server_after.hwm_kib;
  result.threads = server_after.threads;
  result.thread_breakdown = threadBreakdown(threads_before, threads_after, result.window_s);

  if (!server.running()) {
    const std::string log = server.log();
    std::printf("server exited during the window (figures below are void); its log ends with:\n%s\n",
                log.substr(log.size() > 3000 ? log.size() - 3000 : 0).c_str());
    result.notes += "server exited during the window; ";
    saveLogs();
    return result;
  }
  // Let events published at the end of the window arrive, then check nobody dropped out.
  if (auto counts = countConnected(server.port(), admin_key)) {
    result.connected_after = counts->first;
  }
  // GET /api/v1/metrics with N printers, after the window so it does not count in the CPU figures.
  {
    std::vector<int64_t> scrape_us;
    for (int i = 0; i < 20; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      HttpResult r = httpRequest("127.0.0.1", server.port(), "GET", "/api/v1/metrics", "",
                                 {{"Authorization", "Bearer " + admin_key}}, 20000);
      const auto us =
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
              .count();
      if (r.status != 200) {
        result.notes += "metrics answered " + std::to_string(r.status) + "; ";
        break;
      }
      scrape_us.push_back(us);
      result.metrics_kib = static_cast<int64_t>(r.body.size() / 1024);
    }
    std::sort(scrape_us.begin(), scrape_us.end());
    result.metrics_p50_ms = percentileMs(scrape_us, 50);
    result.metrics_max_ms = scrape_us.empty() ? -1 : static_cast<double>(scrape_us.back()) / 1000.0;
    std::printf("  GET /api/v1/metrics: p50 %.1f ms, max %.1f ms over %zu scrapes, %lld KiB\n",
                result.metrics_p50_ms, result.metrics_max_ms, scrape_us.size(),
                static_cast<long long>(result.metrics_kib));
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const std::string server_log = server.log();
  result.server_warnings = countOccurrences(server_log, " WARN [") + countOccurrences(server_log, " ERROR [");

  if (options.broker_restart) {
    // A reconnect storm: every printer loses its connection at once and comes back through the
    // driver's backoff (the simulators reconnect too, so "back" needs both).
    const auto restart_start = std::chrono::steady_clock::now();
    broker.restart();
    const auto restart_deadline = restart_start + std::chrono::seconds(options.connect_timeout_s);
    while (std::chrono::steady_clock::now() < restart_deadline && server.running()) {
      if (auto counts = countConnected(server.port(), admin_key)) {
        if (result.restart_all_offline_s < 0 && counts->first == 0) {
          result.restart_all_offline_s = secondsSince(restart_start);
        }
        if (result.restart_all_offline_s >= 0 && counts->first >= printers) {
          result.restart_all_back_s = secondsSince(restart_start);
          break;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    std::printf(
        "  broker restart: all %d offline after %.1f s, all back after %.1f s (-1: not seen); server %s\n",
        printers, result.restart_all_offline_s, result.restart_all_back_s,
        server.running() ? "running" : "EXITED");
    if (result.restart_all_back_s < 0) {
      result.notes += "not all printers came back after the broker restart; ";
    }
  }

  const auto stop_start = std::chrono::steady_clock::now();
  const int exit_code = server.stop(180000);
  result.shutdown_s = secondsSince(stop_start);
  if (exit_code != 0) {
    result.notes += "server exit code " + std::to_string(exit_code) + "; ";
  }
  for (auto& sim : sims) {
    sim->quit(120000);
    for (const std::string& line : sim->lines()) {
      if (line.rfind("stats ", 0) == 0) {
        result.sim_reconnects += statsValue(line, "reconnects");
        result.sim_dropped += statsValue(line, "dropped");
      }
    }
  }

  saveLogs();
  {
    // What the broker saw over the whole run (connection churn explains slow connect phases).
    const std::string log = broker.log();
    std::printf("  broker log: %d connections, %d socket errors, %d OpenSSL errors, %d 'exceeded timeout'\n",
                countOccurrences(log, "New connection from"), countOccurrences(log, "Socket error"),
                countOccurrences(log, "OpenSSL Error"), countOccurrences(log, "exceeded timeout"));
  }

  // Join: sent (serial, layer) inside the window -> the probe's receive time.
  std::unordered_map<std::string, int64_t> sent_us;
  for (auto& sim : sims) {
    for (const std::string& line : sim->lines()) {
      if (line.rfind("sent ", 0) != 0) {
        continue;
      }
      std::istringstream fields(line.substr(5));
      std::string serial;
      int64_t layer = 0, us = 0;
      if (fields >> serial >> layer >> us && us >= window_start_us && us < window_end_us) {
        sent_us[serial + " " + std::to_string(layer)] = us;
      }
    }
  }
  result.sent = sent_us.size();
  std::vector<int64_t> latencies_us;
  std::ifstream probe(dir.path() + "/data/plugins/notifier.bench_probe/probe/bus_events.log");
  for (std::string instance; probe >> instance;) {
    int64_t layer = 0, us = 0;
    if (!(probe >> layer >> us)) {
      break;
    }
    if (us >= window_start_us && us < window_end_us) {
      ++result.bus_events;
    }
    auto it = sent_us.find(instance + " " + std::to_string(layer));
    if (it != sent_us.end()) {
      latencies_us.push_back(us - it->second);
      sent_us.erase(it);
    }
  }
  result.matched = latencies_us.size();
  std::sort(latencies_us.begin(), latencies_us.end());
  result.p50_ms = percentileMs(latencies_us, 50);
  result.p90_ms = percentileMs(latencies_us, 90);
  result.p99_ms = percentileMs(latencies_us, 99);
  result.max_ms = latencies_us.empty() ? -1 : static_cast<double>(latencies_us.back()) / 1000.0;

  std::printf(
      "window %.1f s: server CPU %.1f %% of one core, RSS %.1f MiB (max %.1f, VmHWM %.1f), %lld threads\n",
      result.window_s, result.server_cpu_pct, result.rss_kib / 1024.0, result.rss_max_kib / 1024.0,
      result.hwm_kib / 1024.0, static_cast<long long>(result.threads));
  std::printf("  server CPU by thread: %s\n", result.thread_breakdown.c_str());
  std::printf("  simulators %.1f %%, broker %.1f %%, bench %.1f %%, machine busy %.1f %% of all cores\n",
              result.sims_cpu_pct, result.broker_cpu_pct, result.bench_cpu_pct, result.machine_busy_pct);
  std::printf(
      "  latency report -> bus: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms; matched %llu of %llu "
      "traced reports; %llu bus events in the window (%.0f/s)\n",
      result.p50_ms, result.p90_ms, result.p99_ms, result.max_ms,
      static_cast<unsigned long long>(result.matched), static_cast<unsigned long long>(result.sent),
      static_cast<unsigned long long>(result.bus_events), result.bus_events / result.window_s);
  std::printf(
      "  connected after the window: %d; simulator reconnects %llu, dropped %llu; server warnings %d; "
      "shutdown %.1f s\n",
      result.connected_after, static_cast<unsigned long long>(result.sim_reconnects),
      static_cast<unsigned long long>(result.sim_dropped), result.server_warnings, result.shutdown_s);
  if (result.server_warnings > 0) {
    std::printf("  server warnings (first 10):\n");
    printLogProblems(server_log, 10, "    ");
  }
  std::fflush(stdout);
  return result;
}

std::vector<int> parseCounts(const std::string& text) {
  std::vector<int> counts;
  std::istringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    const int n = std::stoi(item);
    if (n < 1 || n > 5000) {
      throw std::invalid_argument("--counts: each count must be 1..5000");
    }
    counts.push_back(n);
  }
  return counts;
}

BenchOptions parseArgs(int argc, char** argv) {
  BenchOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      throw std::invalid_argument("figures for N simulated Bambu printers against the real server");
    }
    if (arg == "--broker-restart") {
      options.broker_restart = true;
      continue;
    }
    if (i + 1 >= argc) {
      throw std::invalid_argument("unknown option or missing value: " + arg);
    }
    const std::string value = argv[++i];
    auto positive = [&](int max) {
      const int n = std::stoi(value);
      if (n < 1 || n > max) {
        throw std::invalid_argument(arg + " must be 1.." + std::to_string(max));
      }
      return n;
    };
    if (arg == "--counts") {
      options.counts = parseCounts(value);
    } else if (arg == "--window-s") {
      options.window_s = positive(3600);
    } else if (arg == "--warmup-s") {
      options.warmup_s = positive(3600);
    } else if (arg == "--printers-per-sim") {
      options.printers_per_sim = positive(5000);
    } else if (arg == "--connect-timeout-s") {
      options.connect_timeout_s = positive(3600);
    } else if (arg == "--interval-ms") {
      options.interval_ms = positive(60000);
    } else if (arg == "--log-dir") {
      options.log_dir = value;
    } else if (arg == "--server-binary") {
      options.server_binary = value;
    } else if (arg == "--plugin-dir") {
      options.plugin_dir = value;
    } else if (arg == "--driver-config") {
      options.driver_config = value;
    } else if (arg == "--server-env") {
      const size_t eq = value.find('=');
      if (eq == std::string::npos || eq == 0) {
        throw std::invalid_argument("--server-env needs NAME=VALUE");
      }
      options.server_env[value.substr(0, eq)] = value.substr(eq + 1);
    } else {
      throw std::invalid_argument("unknown option " + arg);
    }
  }
  return options;
}

} // namespace

int main(int argc, char** argv) {
  const std::optional<BenchOptions> parsed =
      parseOrUsage(parseArgs, argc, argv, "printer_scale_bench",
                   "usage: printer_scale_bench [--counts 100,500,1000] [--window-s 30] "
                   "[--warmup-s 5] [--printers-per-sim 100] [--connect-timeout-s 120] [--interval-ms 1000]\n"
                   "       [--driver-config '{connect_timeout_ms: 30000}'] [--server-env NAME=VALUE]...\n"
                   "       [--server-binary PATH --plugin-dir DIR] [--log-dir DIR]\n");
  if (!parsed) {
    return 2;
  }
  const BenchOptions& options = *parsed;
  std::printf("printer scale benchmark: one report per %d ms per printer, window %d s after %d s warm-up, "
              "%d printers per simulator process, %ld cores\nserver %s\n",
              options.interval_ms, options.window_s, options.warmup_s, options.printers_per_sim,
              sysconf(_SC_NPROCESSORS_ONLN), options.server_binary.c_str());
  if ((std::string(BENCH_BUILD_TYPE) != "Release" || BENCH_SANITIZED) &&
      options.server_binary == serverBinary()) {
    // Debug builds and sanitizers cost several times the CPU and memory: such figures say nothing.
    std::printf(
        "WARNING: a %s%s build; configure with -DCMAKE_BUILD_TYPE=Release (no BAMBUDDY_SANITIZE) for real "
        "figures\n",
        BENCH_BUILD_TYPE, BENCH_SANITIZED ? " + sanitizer" : "");
  }
  std::vector<RunResult> results;
  for (int n : options.counts) {
    try {
      results.push_back(runOne(options, n));
    } catch (const std::exception& e) {
      std::printf("N = %d failed: %s\n", n, e.what());
      RunResult failed;
      failed.printers = n;
      failed.notes = e.what();
      results.push_back(failed);
    }
  }

  std::printf("\n%6s %9s %9s %9s %8s %8s %8s %8s %8s %8s %12s %6s %6s %6s %7s\n", "N", "connected",
              "connect_s", "cpu_%1c", "rss_MiB", "max_MiB", "hwm_MiB", "p50_ms", "p99_ms", "max_ms",
              "matched", "sim_%", "brk_%", "mach_%", "threads");
  for (const RunResult& r : results) {
    char matched[32];
    std::snprintf(matched, sizeof matched, "%llu/%llu", static_cast<unsigned long long>(r.matched),
                  static_cast<unsigned long long>(r.sent));
    std::printf("%6d %9d %9.1f %9.1f %8.1f %8.1f %8.1f %8.2f %8.2f %8.2f %12s %6.1f %6.1f %6.1f %7lld\n",
                r.printers, r.connected_after, r.all_connected_s, r.server_cpu_pct, r.rss_kib / 1024.0,
                r.rss_max_kib / 1024.0, r.hwm_kib / 1024.0, r.p50_ms, r.p99_ms, r.max_ms, matched,
                r.sims_cpu_pct, r.broker_cpu_pct, r.machine_busy_pct, static_cast<long long>(r.threads));
    if (!r.notes.empty()) {
      std::printf("       note: %s\n", r.notes.c_str());
    }
  }
  std::printf(
      "cpu_%%1c: server CPU in %% of one core; connect_s: server start -> all N connected (GET "
      "/api/v1/printers); sim_%%/brk_%%: simulators/broker in %% of one core; mach_%%: whole machine, %% of "
      "all cores.\nTargets (1000 printers): server < 50 %% of one core, < 200 MB RSS, p99 < 10 ms.\n");
  return 0;
}
