// Soak benchmark of the print pipeline: N simulated Bambu printers (tools/bambu-printer-sim on one
// mosquitto broker, one report per second each, --trace) printing short jobs over and over, the real
// server with N printer.bambu instances, P webhook providers to real local HTTP receivers, and wrk
// on the authenticated status route, all for --duration-s. Prints figures; never passes or fails:
//
//   - server CPU (% of one core, by thread) and RSS sampled every --sample-s from /proc, as a table;
//     RSS growth from the sample at 60 s to the end (%), and the slope after 60 s (MiB/min);
//   - API latency (wrk --latency: p50..p99) on GET /api/v1/printers/{id}/status with a read key;
//   - report -> webhook latency: from the simulator publishing the report that carries the new
//     gcode_state (PREPARE -> print_started, FINISH -> print_complete, FAILED -> print_failed; the
//     `state` lines of --trace carry that publish time) to the receiver's arrival, per provider;
//   - events lost: every such event x every provider against what arrived (deduplicated by
//     webhook-id), plus duplicates and deliveries about a printer that overtook an earlier event.
//
// After the window no new job starts; the running ones end and the bench waits --drain-s at most
// for their webhooks, so "lost" counts events that never arrived, not ones still on the way.
// Everything shares this machine: the simulators, the broker, wrk and the receivers compete with
// the server for the cores, so the figures include their CPU and the machine's. Use a Release
// build. Default 10 minutes; shorter runs: --duration-s 180.
//
// usage: soak_bench [--printers 1000] [--duration-s 600] [--providers 10] [--job-s 60] [--idle-s 10]
//                   [--sample-s 5] [--printers-per-sim 100] [--wrk-connections 8] [--wrk-pause-ms 20]
//                   [--drain-s 120] [--connect-timeout-s 180] [--printers-nice 0] [--log-dir DIR]
// --log-dir keeps server.log, broker.log, caused.tsv (printer, event, job, report µs) and arrived.tsv
// (provider, printer, event, job, arrival µs, webhook-id); tests/bench/soak/split_latency.py DIR splits
// the latency at the server's detection log line.
#include "bench_report.h"
#include "job_driver.h"
#include "proc_stats.h"
#include "webhook_tally.h"
#include "wrk_load.h"

#include "support/bambu_sim_process.h"
#include "support/http_client.h"
#include "support/mosquitto_broker.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

#include <nlohmann/json.hpp>

#include <dirent.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace bambuddy::bench;
using namespace bambuddy::testing;
using nlohmann::json;

struct Options {
  int printers = 1000;
  int duration_s = 600;
  int providers = 10;
  JobPlan plan;
  int sample_s = 5;
  int printers_per_sim = 100;
  int wrk_connections = 8;
  int wrk_pause_ms = 20;
  int drain_s = 120;
  int connect_timeout_s = 180;
  // Niceness of the printers' side (simulators and broker). In a farm the printers and their
  // brokers are other machines; here they share the server's cores, and at 0 they compete with it
  // on equal terms. Kept at 0 unless asked, and printed with the figures.
  int printers_nice = 0;
  std::string log_dir;
};

// Sets the niceness of every thread of `pid` (Linux niceness is per thread; threads the process
// starts later inherit it from the thread that starts them).
void renice(pid_t pid, int nice) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* tasks = opendir(dir.c_str());
  if (tasks == nullptr) {
    return;
  }
  while (dirent* entry = readdir(tasks)) {
    if (entry->d_name[0] != '.') {
      setpriority(PRIO_PROCESS, static_cast<id_t>(std::atoi(entry->d_name)), nice);
    }
  }
  closedir(tasks);
}

struct Sample {
  double t_s = 0;
  double rss_mib = 0;
  double cpu_pct = 0; // server, % of one core since the previous sample
  int64_t threads = 0;
  size_t webhooks = 0; // arrived so far, all providers
};

// The 1-minute load average (/proc/loadavg): on a shared machine it says how much else ran.
std::string loadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one;
  in >> one;
  return one.empty() ? "?" : one;
}

std::string serialFor(int index) {
  char serial[16];
  std::snprintf(serial, sizeof serial, "SOAK%011d", index);
  return serial;
}

std::string configYaml(const TempDir& dir, const MosquittoBroker& broker,
                       const std::vector<std::string>& serials) {
  std::ostringstream y;
  y << "data_dir: " << dir.path() << "/data\n"
    << "server:\n  listen: 127.0.0.1:0\n"
    << "log:\n  level: info\n" // the readiness line is an info line
    << "auth:\n  rate_limits: { read: 1000000, write: 100000 }\n"
    << "plugins:\n  search_path: [" << pluginDir() << "]\n  load:\n"
    << "    - name: storage.local\n"
    << "    - name: auth.apikey\n"
    << "    - name: notifier.webhook\n"
    << "    - name: printer.bambu\n"
    << "      instances:\n";
  for (const std::string& serial : serials) {
    y << "        - id: " << serial << "\n"
      << "          settings: { host: 127.0.0.1, port: " << broker.port() << ", serial: " << serial
      << ", access_code: \"" << broker.password() << "\" }\n";
  }
  return y.str();
}

json call(const ServerProcess& server, const std::string& key, const std::string& method,
          const std::string& path, const json& body = nullptr) {
  HttpResult r = httpRequest("127.0.0.1", server.port(), method, path, body.is_null() ? "" : body.dump(),
                             {{"X-API-Key", key}, {"Content-Type", "application/json"}}, 30000);
  if (r.status < 200 || r.status > 299) {
    throw std::runtime_error(method + " " + path + " -> " + std::to_string(r.status) + " " +
                             r.body.substr(0, 300) + " " + r.error);
  }
  return r.body.empty() ? json() : json::parse(r.body);
}

// serial -> printer id and how many are connected, from GET /api/v1/printers (every page).
std::pair<std::map<std::string, int64_t>, int> listPrinters(const ServerProcess& server,
                                                            const std::string& key) {
  std::map<std::string, int64_t> ids;
  int connected = 0;
  for (int offset = 0;; offset += 1000) {
    json page = call(server, key, "GET", "/api/v1/printers?limit=1000&offset=" + std::to_string(offset));
    for (const auto& item : page["items"]) {
      ids[item.value("name", std::string())] = item.value("id", int64_t{0});
      if (item["status"].value("connected", false)) {
        ++connected;
      }
    }
    if (page["items"].empty() || offset + 1000 >= page.value("total", 0)) {
      break;
    }
  }
  return {ids, connected};
}

// Least-squares slope of RSS over time for samples at t >= from_s, in MiB per minute.
double rssSlopeMibPerMin(const std::vector<Sample>& samples, double from_s) {
  double n = 0, st = 0, sr = 0, stt = 0, str = 0;
  for (const Sample& s : samples) {
    if (s.t_s >= from_s) {
      n += 1;
      st += s.t_s;
      sr += s.rss_mib;
      stt += s.t_s * s.t_s;
      str += s.t_s * s.rss_mib;
    }
  }
  const double denominator = n * stt - st * st;
  return n < 2 || denominator == 0 ? 0 : 60.0 * (n * str - st * sr) / denominator;
}

int run(const Options& options) {
  std::printf(
      "soak benchmark: %d printers (1 report/s each, jobs of %d s, %d s apart), %d webhook providers, "
      "wrk %d connections pausing %d ms, %d s window, %ld cores\n",
      options.printers, options.plan.job_s, options.plan.idle_s, options.providers, options.wrk_connections,
      options.wrk_pause_ms, options.duration_s, sysconf(_SC_NPROCESSORS_ONLN));
  if (std::string(BENCH_BUILD_TYPE) != "Release" || BENCH_SANITIZED) {
    std::printf("WARNING: a %s%s build; configure with -DCMAKE_BUILD_TYPE=Release for real figures\n",
                BENCH_BUILD_TYPE, BENCH_SANITIZED ? " + sanitizer" : "");
  }
  std::fflush(stdout);

  MosquittoBroker broker;
  broker.start();
  const pid_t broker_pid = findChild("mosquitto");
  std::vector<std::string> serials;
  for (int i = 1; i <= options.printers; ++i) {
    serials.push_back(serialFor(i));
  }
  std::vector<std::unique_ptr<BambuSimProcess>> sims;
  for (int first = 0; first < options.printers; first += options.printers_per_sim) {
    const int last = std::min(options.printers, first + options.printers_per_sim);
    std::vector<std::string> args = BambuSimProcess::argsFor(broker, serials[first], 1000);
    for (int i = first + 1; i < last; ++i) {
      args.push_back("--serial");
      args.push_back(serials[i]);
    }
    args.push_back("--trace");
    sims.push_back(std::make_unique<BambuSimProcess>(args));
  }
  for (auto& sim : sims) {
    if (!sim->waitLine("ready", int64_t{options.connect_timeout_s} * 1000)) {
      std::printf("a simulator did not get its printers onto the broker:\n%s\n",
                  sim->transcript().substr(0, 2000).c_str());
      return 1;
    }
  }
  if (options.printers_nice != 0) {
    renice(broker.pid(), options.printers_nice);
    for (auto& sim : sims) {
      renice(sim->pid(), options.printers_nice);
    }
  }
  std::printf("simulators: %zu processes, all printers on the broker\n", sims.size());

  WebhookReceivers receivers(options.providers);
  TempDir dir;
  const std::string admin_key = randomAdminKey();
  ServerProcess server(serverBinary(), {"--config", dir.write("soak.yaml", configYaml(dir, broker, serials))},
                       {{"BAMBUDDY_ADMIN_KEY", admin_key}});
  if (!server.waitReady(120000)) {
    std::printf("server did not start; its log ends with:\n%s\n", server.log().substr(0, 3000).c_str());
    return 1;
  }
  auto saveLogs = [&] {
    if (!options.log_dir.empty()) {
      std::ofstream(options.log_dir + "/server.log") << server.log();
      std::ofstream(options.log_dir + "/broker.log") << broker.log();
    }
  };
  const auto connect_start = std::chrono::steady_clock::now();
  std::map<std::string, int64_t> ids;
  int connected = 0;
  while (secondsSince(connect_start) < options.connect_timeout_s && server.running()) {
    std::tie(ids, connected) = listPrinters(server, admin_key);
    if (connected >= options.printers) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  std::printf("server: %d of %d printers connected after %.1f s\n", connected, options.printers,
              secondsSince(connect_start));
  if (connected < options.printers) {
    std::printf("note: not every printer connected; the soak runs with those that did\n");
  }

  // Providers for the print events, and a read key for wrk whose limit never trips.
  for (int i = 0; i < options.providers; ++i) {
    call(server, admin_key, "POST", "/api/v1/notifications",
         {{"type", "webhook"},
          {"name", "soak " + std::to_string(i + 1)},
          {"settings", {{"url", receivers.url(i)}}},
          {"events", {"print_started", "print_complete", "print_failed", "print_cancelled"}}});
  }
  const json created =
      call(server, admin_key, "POST", "/api/v1/api-keys",
           {{"name", "soak"}, {"permissions", {"printers:read"}}, {"rate_limits", {{"read", 1000000}}}});
  WrkOptions wrk;
  wrk.port = server.port();
  wrk.api_key = created.value("key", std::string());
  for (const auto& [serial, id] : ids) {
    wrk.printer_ids.push_back(id);
  }
  wrk.connections = options.wrk_connections;
  wrk.pause_ms = options.wrk_pause_ms;
  wrk.duration_s = options.duration_s;
  wrk.work_dir = dir.path();

  std::vector<BambuSimProcess*> sim_pointers;
  std::vector<pid_t> sim_pids;
  for (auto& sim : sims) {
    sim_pointers.push_back(sim.get());
    sim_pids.push_back(sim->pid());
  }
  JobDriver jobs(sim_pointers, serials, options.printers_per_sim, ids, options.plan);

  // The window: jobs, wrk and the sampler together.
  const auto threads_before = sampleThreads(server.pid());
  const auto machine_before = machineTicks();
  const double sims_before = cpuSecondsOf(sim_pids);
  const double broker_before = broker_pid > 0 ? sampleProcess(broker_pid).cpu_s : 0;
  const double bench_before = sampleProcess(getpid()).cpu_s;
  ProcSample last = sampleProcess(server.pid());
  const double server_cpu_before = last.cpu_s;
  const std::string load_before = loadAverage();
  const auto window_start = std::chrono::steady_clock::now();
  jobs.start();
  std::future<WrkResult> api = std::async(std::launch::async, [&wrk] { return runWrk(wrk); });
  std::vector<Sample> samples;
  samples.push_back({0, last.rss_kib / 1024.0, 0, last.threads, 0});
  // machine_%: every core busy, anything on the machine, over the sample (a latency episode with the
  // machine near 100 % is CPU contention, not the server waiting on something).
  std::printf("\n%8s %9s %9s %9s %8s %10s %10s\n", "t_s", "rss_MiB", "cpu_%1c", "machine_%", "threads",
              "expected", "webhooks");
  std::printf("%8.0f %9.1f %9s %9s %8lld %10d %10d\n", 0.0, samples.back().rss_mib, "-", "-",
              static_cast<long long>(last.threads), 0, 0);
  auto machine_last = machine_before;
  std::fflush(stdout);
  for (int step = 1; step * options.sample_s <= options.duration_s && server.running(); ++step) {
    std::this_thread::sleep_until(window_start + std::chrono::seconds(step * options.sample_s));
    const ProcSample now = sampleProcess(server.pid());
    Sample s{secondsSince(window_start), now.rss_kib / 1024.0,
             100.0 * (now.cpu_s - last.cpu_s) / options.sample_s, now.threads, receivers.arrivals()};
    last = now;
    samples.push_back(s);
    const auto machine_now = machineTicks();
    const double ticks = static_cast<double>(machine_now.second - machine_last.second);
    const double machine_busy_pct =
        ticks > 0 ? 100.0 * static_cast<double>(machine_now.first - machine_last.first) / ticks : 0;
    machine_last = machine_now;
    std::printf("%8.0f %9.1f %9.1f %9.1f %8lld %10zu %10zu\n", s.t_s, s.rss_mib, s.cpu_pct, machine_busy_pct,
                static_cast<long long>(s.threads),
                jobs.expected().size() * static_cast<size_t>(options.providers), s.webhooks);
    std::fflush(stdout);
  }
  const double window_s = secondsSince(window_start);
  const ProcSample server_after = sampleProcess(server.pid());
  const auto threads_after = sampleThreads(server.pid());
  const auto machine_after = machineTicks();
  const double sims_after = cpuSecondsOf(sim_pids);
  const double broker_after = broker_pid > 0 ? sampleProcess(broker_pid).cpu_s : 0;
  const double bench_after = sampleProcess(getpid()).cpu_s;
  const uint64_t reports_in_window = jobs.tracedReports();
  const std::string load_after = loadAverage();

  // Drain: no new jobs; the running ones end, then their webhooks arrive (or the deadline passes).
  jobs.stopStarting();
  const WrkResult api_result = api.get();
  const auto drain_start = std::chrono::steady_clock::now();
  while (secondsSince(drain_start) < options.plan.job_s + 30 && !jobs.idle() && server.running()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  const size_t want = jobs.expected().size() * static_cast<size_t>(options.providers);
  const auto wait_start = std::chrono::steady_clock::now();
  while (secondsSince(wait_start) < options.drain_s && receivers.arrivals() < want && server.running()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  const double drain_s = secondsSince(drain_start);
  jobs.join();
  const TallyResult tally_result = tally(jobs.expected(), receivers);
  if (!options.log_dir.empty()) {
    // The raw timings, to split the latency against the server log's detection lines.
    std::ofstream caused(options.log_dir + "/caused.tsv");
    for (const ExpectedEvent& e : jobs.expected()) {
      caused << e.printer_id << '\t' << e.event << '\t' << e.job << '\t' << e.report_us << '\n';
    }
    std::ofstream arrived(options.log_dir + "/arrived.tsv");
    for (int provider = 0; provider < receivers.count(); ++provider) {
      for (const Arrival& a : receivers.arrivalsOf(provider)) {
        arrived << provider + 1 << '\t' << a.printer_id << '\t' << a.event << '\t' << a.job << '\t'
                << a.arrival_us << '\t' << a.webhook_id << '\n';
      }
    }
  }
  const bool server_alive = server.running();
  const std::string server_log = server.log();
  saveLogs();
  const int exit_code = server.stop(120000);
  receivers.stop();

  // Figures.
  const double server_cpu_pct = 100.0 * (server_after.cpu_s - server_cpu_before) / window_s;
  const double machine_total = static_cast<double>(machine_after.second - machine_before.second);
  const double machine_pct =
      machine_total > 0
          ? 100.0 * static_cast<double>(machine_after.first - machine_before.first) / machine_total
          : 0;
  const Sample* at_minute = nullptr;
  for (const Sample& s : samples) {
    if (s.t_s >= 60) {
      at_minute = &s;
      break;
    }
  }
  const double growth_pct = at_minute != nullptr && at_minute->rss_mib > 0
                                ? 100.0 * (samples.back().rss_mib - at_minute->rss_mib) / at_minute->rss_mib
                                : -1;
  double rss_max = 0;
  for (const Sample& s : samples) {
    rss_max = std::max(rss_max, s.rss_mib);
  }
  const auto& all =
      tally_result.latency_us.count("all") ? tally_result.latency_us.at("all") : std::vector<int64_t>{};

  std::printf("\n--- soak: %d printers, %d providers, %.0f s window (+ %.0f s drain) ---\n", options.printers,
              options.providers, window_s, drain_s);
  std::printf("server CPU        %.1f %% of one core (by thread: %s)\n", server_cpu_pct,
              threadBreakdown(threads_before, threads_after, window_s).c_str());
  std::printf("others' CPU       simulators %.1f %%, broker %.1f %%, bench (receivers, wrk thread) %.1f %% "
              "of one core; "
              "machine busy %.1f %% of all cores (wrk itself not counted apart)\n",
              100.0 * (sims_after - sims_before) / window_s,
              100.0 * (broker_after - broker_before) / window_s,
              100.0 * (bench_after - bench_before) / window_s, machine_pct);
  std::printf("load average      %s at the start, %s at the end of the window (%ld cores)\n",
              load_before.c_str(), load_after.c_str(), sysconf(_SC_NPROCESSORS_ONLN));
  std::printf("printers' side    simulators and broker at nice %d%s\n", options.printers_nice,
              options.printers_nice == 0 ? " (same priority as the server)" : " (--printers-nice)");
  std::printf("reports           %.0f/s traced periodic reports published (plus state changes)\n",
              static_cast<double>(reports_in_window) / window_s);
  std::printf("RSS               start %.1f MiB, end %.1f MiB, max %.1f MiB; VmHWM %.1f MiB\n",
              samples.front().rss_mib, samples.back().rss_mib, rss_max, server_after.hwm_kib / 1024.0);
  if (at_minute != nullptr) {
    std::printf("RSS growth        %.1f %% from %.1f MiB at 60 s to the end, slope %.2f MiB/min after 60 s   "
                "(target < 5 %%)\n",
                growth_pct, at_minute->rss_mib, rssSlopeMibPerMin(samples, 60));
  } else {
    std::printf("RSS growth        not measured: the window is shorter than a minute\n");
  }
  if (api_result.ran) {
    std::printf(
        "API status route  p50 %.2f ms, p75 %.2f ms, p90 %.2f ms, p99 %.2f ms   (target p99 < 20 ms); "
        "%llu requests, %.0f req/s, %llu non-2xx%s%s\n",
        api_result.p50_ms, api_result.p75_ms, api_result.p90_ms, api_result.p99_ms,
        static_cast<unsigned long long>(api_result.requests), api_result.requests_per_s,
        static_cast<unsigned long long>(api_result.non_2xx), api_result.socket_errors.empty() ? "" : "; ",
        api_result.socket_errors.c_str());
  } else {
    std::printf("API status route  not measured: %s\n", api_result.note.c_str());
  }
  std::printf("report -> webhook p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms   (target p99 < 50 ms); "
              "%zu deliveries\n",
              percentileMs(all, 50), percentileMs(all, 90), percentileMs(all, 99),
              all.empty() ? -1.0 : static_cast<double>(all.back()) / 1000.0, all.size());
  for (const auto& [event, values] : tally_result.latency_us) {
    if (event != "all") {
      std::printf("  %-16s p50 %.1f ms, p99 %.1f ms (%zu)\n", event.c_str(), percentileMs(values, 50),
                  percentileMs(values, 99), values.size());
    }
  }
  std::printf(
      "events            %llu jobs started (%llu refused), %zu lifecycle events caused x %d providers = "
      "%llu expected; %llu delivered, %llu LOST   (target 0)\n",
      static_cast<unsigned long long>(jobs.jobsStarted()),
      static_cast<unsigned long long>(jobs.startRefusals()), jobs.expected().size(), options.providers,
      static_cast<unsigned long long>(tally_result.expected),
      static_cast<unsigned long long>(tally_result.delivered),
      static_cast<unsigned long long>(tally_result.lost));
  std::printf("                  %llu duplicates (same webhook-id), %llu unexpected, %llu out of order per "
              "printer, %llu malformed requests\n",
              static_cast<unsigned long long>(tally_result.duplicates),
              static_cast<unsigned long long>(tally_result.unexpected),
              static_cast<unsigned long long>(tally_result.out_of_order),
              static_cast<unsigned long long>(receivers.malformed()));
  for (const std::string& line : tally_result.lost_samples) {
    std::printf("  lost e.g. %s\n", line.c_str());
  }
  std::printf("server            %s, exit code %d, %d WARN / %d ERROR log lines\n",
              server_alive ? "ran to the end" : "EXITED during the run", exit_code,
              countOccurrences(server_log, " WARN ["), countOccurrences(server_log, " ERROR ["));
  printLogProblems(server_log, 8, "  ");
  if (api_result.ran) {
    std::printf("wrk: %s\n", api_result.command.c_str());
  }
  return 0;
}

Options parseArgs(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) {
      throw std::invalid_argument("unknown option or missing value: " + arg);
    }
    const std::string value = argv[++i];
    if (arg == "--log-dir") {
      options.log_dir = value;
      continue;
    }
    const int n = std::stoi(value);
    auto within = [&](int low, int high) {
      if (n < low || n > high) {
        throw std::invalid_argument(arg + " must be " + std::to_string(low) + ".." + std::to_string(high));
      }
      return n;
    };
    if (arg == "--printers") {
      options.printers = within(1, 5000);
    } else if (arg == "--duration-s") {
      options.duration_s = within(10, 86400);
    } else if (arg == "--providers") {
      options.providers = within(1, 100);
    } else if (arg == "--job-s") {
      options.plan.job_s = within(5, 3600);
    } else if (arg == "--idle-s") {
      options.plan.idle_s = within(1, 3600);
    } else if (arg == "--sample-s") {
      options.sample_s = within(1, 600);
    } else if (arg == "--printers-per-sim") {
      options.printers_per_sim = within(1, 5000);
    } else if (arg == "--wrk-connections") {
      options.wrk_connections = within(1, 1000);
    } else if (arg == "--wrk-pause-ms") {
      options.wrk_pause_ms = within(0, 60000);
    } else if (arg == "--drain-s") {
      options.drain_s = within(1, 3600);
    } else if (arg == "--connect-timeout-s") {
      options.connect_timeout_s = within(1, 3600);
    } else if (arg == "--printers-nice") {
      options.printers_nice = within(0, 19);
    } else {
      throw std::invalid_argument("unknown option " + arg);
    }
  }
  return options;
}

} // namespace

int main(int argc, char** argv) {
  const std::optional<Options> options = parseOrUsage(
      parseArgs, argc, argv, "soak_bench",
      "usage: soak_bench [--printers 1000] [--duration-s 600] [--providers 10] "
      "[--job-s 60] [--idle-s 10] [--sample-s 5]\n       [--printers-per-sim 100] [--wrk-connections 8] "
      "[--wrk-pause-ms 20] [--drain-s 120] [--connect-timeout-s 180] [--printers-nice 0] [--log-dir DIR]\n");
  if (!options) {
    return 2;
  }
  try {
    return run(*options);
  } catch (const std::exception& e) {
    std::printf("soak failed: %s\n", e.what());
    return 1;
  }
}
