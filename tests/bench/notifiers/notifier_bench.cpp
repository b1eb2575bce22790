// Notifications from a small simulated farm to every notifier type at once (issue #19): P printer.sim
// printers print short jobs in a loop (print_started, print_progress at 25/50/75 %, print_complete),
// and one provider of each type (webhook, ntfy, email, discord, slack, telegram, gotify, pushover,
// bark, homeassistant, matrix; all events) delivers to a stand-in for its service on 127.0.0.1,
// which answers what that service answers on success. E-mail goes to tests/support's SMTP sink
// (aiosmtpd under /usr/bin/python3); the others to one poll() thread in this process
// (service_receivers.h).
//
// Measured over a fixed window after a warm-up, per type: deliveries delivered in the window and per
// second, and event-to-delivery p50/p99/max over the deliveries of the events decided in the window;
// plus the total deliveries per second, the server's CPU (% of one core, and by thread) and RSS,
// and every delivery that was not delivered (failed, retrying, pending, or an event of the window
// without a delivered row).
//
// How event-to-delivery is measured: after the window the printers go offline (sim_offline; the
// offline debounce is an hour, so no printer_offline follows), the providers' queues drain, and
// then
//   - the event's decision time is its created_at_ms in the server's event journal (the SQLite
//     database in the data dir, read read-only after the run; whole milliseconds, truncated);
//   - the delivered moment is the delivered attempt's `at` (its start, wall clock, milliseconds)
//     + its `duration_ms` (monotonic) from the delivery log over REST
//     (GET /api/v1/notifications/{id}/deliveries?status=delivered), i.e. when the plugin's send
//     returned with the service's answer. That is a little after the receiver got the request; the
//     receiver side is printed too for the types whose requests carry the event id (webhook:
//     webhook-id header; matrix: the transaction id in the path), stamped when the request's body
//     was complete.
// The server and this process share the machine's wall clock. Prints figures; never passes or fails.
//
// usage: notifier_bench [--printers 10] [--duration-s 30] [--speed 20]
#include "bench_report.h"
#include "journal_events.h"
#include "proc_stats.h"
#include "service_receivers.h"

#include "support/http_client.h"
#include "support/server_process.h"
#include "support/smtp_sink.h"
#include "support/temp_dir.h"

#include <nlohmann/json.hpp>

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

using namespace bambuddy;
using namespace bambuddy::bench;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

struct Options {
  int printers = 10;
  int duration_s = 30;
  double speed = 20; // simulated seconds per real second: a 56 s print cycle takes 2.8 s
};

Options parseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        throw std::invalid_argument(arg + " needs a value");
      }
      return argv[++i];
    };
    if (arg == "--printers") {
      o.printers = std::stoi(value());
    } else if (arg == "--duration-s") {
      o.duration_s = std::stoi(value());
    } else if (arg == "--speed") {
      o.speed = std::stod(value());
    } else {
      throw std::invalid_argument("unknown option " + arg);
    }
  }
  if (o.printers < 1 || o.printers > 1000 || o.duration_s < 5 || o.speed <= 0 || o.speed > 1000) {
    throw std::invalid_argument("out of range");
  }
  return o;
}

// Each simulated print: 12 s preparing, kPrintTimeS printing, kIdleS idle (simulated seconds).
constexpr int kPrintTimeS = 40;
constexpr int kIdleS = 4;
constexpr int kReportIntervalMs = 50;
constexpr int kWarmupS = 5;
constexpr int kDrainTimeoutS = 60;

int64_t wallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "2024-01-15T13:07:00.104Z" -> Unix ms; -1 when it is not that form.
int64_t parseUtcMs(const std::string& text) {
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec, &ms) != 7) {
    return -1;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(::timegm(&tm)) * 1000 + ms;
}

// One provider of one type and the stand-in it delivers to (kNoService: the SMTP sink).
constexpr size_t kNoService = static_cast<size_t>(-1);
struct Provider {
  std::string type;
  json settings;
  size_t service = kNoService;
  int64_t id = 0;
};

// What each service answers on success, shaped like the real one (the plugins count any 2xx as
// delivered; the bodies are there so the figures include reading a realistic answer).
void addServices(ServiceReceivers& rx, std::vector<Provider>& providers, uint16_t smtp_port) {
  auto fixed = [](int status, std::string type, std::string body) {
    return [status, type, body](const ServiceRequest&, uint64_t) { return ServiceReply{status, type, body}; };
  };
  const std::string kJson = "application/json";
  auto add = [&](const std::string& type, ServiceAnswer answer, EventIdOf event_id = nullptr) {
    providers.push_back({type, json::object(), rx.add(std::move(answer), std::move(event_id))});
    return rx.origin(providers.back().service);
  };
  std::string at =
      add("webhook", fixed(204, "", ""), [](const ServiceRequest& r) { return r.header("webhook-id"); });
  providers.back().settings = {{"url", at + "/hooks/bambuddy"}};
  at = add("ntfy", [kJson](const ServiceRequest&, uint64_t n) {
    return ServiceReply{200, kJson,
                        json{{"id", "bench" + std::to_string(n)},
                             {"time", wallMs() / 1000},
                             {"expires", wallMs() / 1000 + 43200},
                             {"event", "message"},
                             {"topic", "bench_farm"}}
                            .dump()};
  });
  providers.back().settings = {{"server", at}, {"topic", "bench_farm"}};
  providers.push_back({"email",
                       {{"smtp_url", "smtp://127.0.0.1:" + std::to_string(smtp_port)},
                        {"starttls", "none"},
                        {"from", "Bambuddy Bench <bench@bambuddy.test>"},
                        {"to", {"ops@bambuddy.test"}}},
                       kNoService});
  at = add("discord", fixed(204, "", "")); // no ?wait=true: Discord answers 204 No Content
  providers.back().settings = {{"webhook_url", at + "/api/webhooks/1184000000000000001/bench-token_0123"}};
  at = add("slack", fixed(200, "text/plain; charset=utf-8", "ok"));
  providers.back().settings = {{"webhook_url", at + "/services/T0BENCH01/B0BENCH01/benchsecret0123"}};
  at = add("telegram", [kJson](const ServiceRequest&, uint64_t n) {
    return ServiceReply{
        200, kJson,
        json{{"ok", true},
             {"result",
              {{"message_id", n},
               {"date", wallMs() / 1000},
               {"chat", {{"id", -1001234567890LL}, {"title", "Farm"}, {"type", "supergroup"}}},
               {"text", "..."}}}}
            .dump()};
  });
  providers.back().settings = {{"bot_token", "123456789:AAbenchbenchbenchbenchbench0"},
                               {"chat_id", -1001234567890LL},
                               {"api_url", at}};
  at = add("gotify", [kJson](const ServiceRequest&, uint64_t n) {
    return ServiceReply{200, kJson,
                        json{{"id", n},
                             {"appid", 1},
                             {"message", "..."},
                             {"title", "..."},
                             {"priority", 4},
                             {"date", "2026-01-01T00:00:00Z"}}
                            .dump()};
  });
  providers.back().settings = {{"server", at}, {"app_token", "AbenchAppToken1"}};
  at = add("pushover", [kJson](const ServiceRequest&, uint64_t n) {
    char request[40];
    std::snprintf(request, sizeof request, "6f1c2a9b-7d3e-4f60-a1b2-%012llu",
                  static_cast<unsigned long long>(n));
    return ServiceReply{200, kJson, json{{"status", 1}, {"request", request}}.dump()};
  });
  providers.back().settings = {{"user_key", "uQiRzpo4DXghDmr9QzzfQu27cmVRsG"},
                               {"app_token", "azGDORePK8gMaC0QOYAMyEEuzJnyUi"},
                               {"api_url", at + "/1/messages.json"}};
  at = add("bark", [kJson](const ServiceRequest&, uint64_t) {
    return ServiceReply{200, kJson,
                        json{{"code", 200}, {"message", "success"}, {"timestamp", wallMs() / 1000}}.dump()};
  });
  providers.back().settings = {{"server", at}, {"device_key", "NxHQvWxfzHHxXk4nDtCyZC"}};
  // persistent_notification.create answers the (empty) list of states it changed.
  at = add("homeassistant", fixed(200, kJson, "[]"));
  providers.back().settings = {{"url", at}, {"token", "eyJhbGciOiJIUzI1NiJ9.bench.signature"}};
  at = add(
      "matrix",
      [kJson](const ServiceRequest&, uint64_t n) {
        return ServiceReply{200, kJson,
                            json{{"event_id", "$bench" + std::to_string(n) + ":bambuddy.test"}}.dump()};
      },
      [](const ServiceRequest& r) {
        // .../send/m.room.message/bambuddy.<event id>: event ids need no percent-encoding.
        const size_t at_txn = r.target.rfind("/bambuddy.");
        return at_txn == std::string::npos ? std::string() : r.target.substr(at_txn + 10);
      });
  providers.back().settings = {
      {"homeserver", at}, {"access_token", "syt_bench_token"}, {"room_id", "!bench:bambuddy.test"}};
}

// A delivered row reduced to what the figures need.
struct Delivered {
  std::string event_id;
  int64_t delivered_ms = 0; // the delivered attempt's at + duration_ms
  int attempts = 0;
};

int run(const Options& o) {
  testing::TempDir dir;
  testing::SmtpSink smtp(dir.path());
  if (!smtp.start()) {
    std::printf("the SMTP sink did not start:\n%s\n", smtp.log().c_str());
    return 1;
  }
  const pid_t smtp_pid = findChild("python3");
  ServiceReceivers rx;
  std::vector<Provider> providers;
  addServices(rx, providers, smtp.port());
  rx.start();
  auto originOfType = [&](const std::string& type) {
    for (const Provider& p : providers) {
      if (p.type == type) {
        return rx.origin(p.service);
      }
    }
    return std::string();
  };

  const std::string key = randomAdminKey();
  std::string yaml = "server:\n  listen: 127.0.0.1:0\n"
                     "auth:\n  rate_limits: {read: 1000000, write: 1000000, control: 1000000}\n"
                     "printers:\n  offline_debounce_s: 3600\n"
                     "data_dir: " +
                     dir.file("data") + "\nplugins:\n  search_path: [" + testing::pluginDir() +
                     "]\n  load:\n    - name: storage.local\n    - name: auth.apikey\n";
  for (const Provider& p : providers) {
    yaml += "    - name: notifier." + p.type + "\n";
    if (p.type == "discord" || p.type == "slack") {
      // Operator-only: the origins a webhook_url may point to.
      yaml += "      config: {webhook_origins: [\"" + originOfType(p.type) + "\"]}\n";
    }
  }
  yaml += "    - name: printer.sim\n      instances:\n";
  char speed[32];
  std::snprintf(speed, sizeof speed, "%g", o.speed);
  for (int i = 1; i <= o.printers; ++i) {
    const std::string n = std::to_string(i);
    yaml += "        - {id: sim-" + n + ", name: Sim " + n + ", settings: {speed: " + speed +
            ", report_interval_ms: " + std::to_string(kReportIntervalMs) +
            ", print_time_s: " + std::to_string(kPrintTimeS) + ", auto_print: {filename: bench-" + n +
            ".3mf, repeat: true, idle_s: " + std::to_string(kIdleS) + "}}}\n";
  }
  testing::ServerProcess server(testing::serverBinary(), {"--config", dir.write("bambuddy.yaml", yaml)},
                                {{"BAMBUDDY_ADMIN_KEY", key}});
  if (!server.waitReady(30000)) {
    std::printf("the server did not start:\n%s\n", server.log().c_str());
    return 1;
  }
  const uint16_t port = server.port();
  auto call = [&](const std::string& method, const std::string& path, const std::string& body = "") {
    return testing::httpRequest("127.0.0.1", port, method, path, body,
                                {{"X-API-Key", key}, {"Content-Type", "application/json"}}, 60000);
  };
  auto total = [&](int64_t provider, const std::string& status) -> int64_t {
    testing::HttpResult r = call("GET", "/api/v1/notifications/" + std::to_string(provider) +
                                            "/deliveries?status=" + status + "&limit=1");
    return r.status == 200 ? json::parse(r.body).value("total", int64_t{-1}) : -1;
  };

  for (Provider& p : providers) {
    testing::HttpResult r = call(
        "POST", "/api/v1/notifications",
        json{{"type", p.type}, {"name", "bench " + p.type}, {"settings", p.settings}, {"events", nullptr}}
            .dump());
    if (r.status != 201) {
      std::printf("creating the %s provider failed: %d %s\n", p.type.c_str(), r.status, r.body.c_str());
      return 1;
    }
    p.id = json::parse(r.body)["id"];
  }
  std::set<std::string> notified_events; // the event names providers receive (the journal has others)
  {
    testing::HttpResult r = call("GET", "/api/v1/notifications/events");
    const json answer = json::parse(r.body, nullptr, false);
    if (r.status == 200 && answer.is_object() && answer.contains("items")) {
      for (const json& e : answer["items"]) {
        notified_events.insert(e["event"].get<std::string>());
      }
    }
    if (notified_events.empty()) {
      std::printf("GET /api/v1/notifications/events: %d %s\n", r.status, r.body.substr(0, 300).c_str());
      return 1;
    }
  }

  std::this_thread::sleep_for(std::chrono::seconds(kWarmupS));
  const ProcSample before = sampleProcess(server.pid());
  const auto threads_before = sampleThreads(server.pid());
  const auto machine_before = machineTicks();
  const double self_before = selfCpuSeconds();
  const double smtp_before = smtp_pid > 0 ? cpuSecondsOf({smtp_pid}) : 0;
  const int64_t t0_ms = wallMs();
  const Clock::time_point started = Clock::now();
  ProcSample peak = before;
  while (secondsSince(started) < o.duration_s) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const ProcSample now = sampleProcess(server.pid());
    peak.rss_kib = std::max(peak.rss_kib, now.rss_kib);
  }
  const int64_t t1_ms = wallMs();
  const double window_s = (t1_ms - t0_ms) / 1000.0;
  const ProcSample after = sampleProcess(server.pid());
  const auto threads_after = sampleThreads(server.pid());
  const auto machine_after = machineTicks();
  const double self_cpu = selfCpuSeconds() - self_before;
  const double smtp_cpu = smtp_pid > 0 ? cpuSecondsOf({smtp_pid}) - smtp_before : -1;

  // Stop the events, then let every provider finish what it holds.
  int offline_failures = 0;
  for (int i = 1; i <= o.printers; ++i) {
    testing::HttpResult r = call("POST", "/api/v1/sim/sim-" + std::to_string(i) + "/actions",
                                 json{{"action", "sim_offline"}}.dump());
    offline_failures += r.status == 200 ? 0 : 1;
  }
  const Clock::time_point draining = Clock::now();
  bool drained = false;
  while (!drained && secondsSince(draining) < kDrainTimeoutS) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    drained = true;
    for (const Provider& p : providers) {
      drained = drained && total(p.id, "pending") == 0 && total(p.id, "retrying") == 0;
    }
  }
  const double drain_s = secondsSince(draining);
  rx.stop();

  const auto events = readJournal(dir.file("data/bambuddy.db"));
  std::map<std::string, int64_t> window_events; // by type, notified events decided in the window
  int64_t window_event_count = 0;
  for (const auto& [id, entry] : events) {
    if (notified_events.count(entry.type) != 0 && entry.created_at_ms >= t0_ms &&
        entry.created_at_ms <= t1_ms) {
      ++window_events[entry.type];
      ++window_event_count;
    }
  }

  std::printf(
      "notifier benchmark: %zu providers (one of each type, all events) to local stand-ins, %d printer.sim "
      "printers (speed %s, %d s prints, reports every %d ms), %d s window after %d s warm-up, %ld cores, "
      "%s build\n",
      providers.size(), o.printers, speed, kPrintTimeS, kReportIntervalMs, o.duration_s, kWarmupS,
      sysconf(_SC_NPROCESSORS_ONLN), BENCH_BUILD_TYPE);
  if (std::string(BENCH_BUILD_TYPE) != "Release" || BENCH_SANITIZED) {
    std::printf("WARNING: not a Release build; the figures say little\n");
  }
  std::string by_type;
  for (const auto& [type, count] : window_events) {
    by_type += " " + type + " " + std::to_string(count) + ";";
  }
  std::printf("  events decided in the window: %lld (%.1f/s):%s\n",
              static_cast<long long>(window_event_count), window_event_count / window_s, by_type.c_str());
  std::printf("  %-14s %9s %8s %9s %9s %9s %8s %7s %9s %8s %9s\n", "type", "delivered", "per s", "p50 ms",
              "p99 ms", "max ms", "missing", "failed", "retrying", "pending", "retried");

  uint64_t all_delivered = 0;
  std::vector<int64_t> all_latency_us;
  std::vector<std::string> receiver_lines;
  for (const Provider& p : providers) {
    std::vector<Delivered> rows;
    int64_t expected_total = -1;
    for (int64_t offset = 0; expected_total < 0 || offset < expected_total;) {
      testing::HttpResult r =
          call("GET", "/api/v1/notifications/" + std::to_string(p.id) +
                          "/deliveries?status=delivered&limit=1000&offset=" + std::to_string(offset));
      if (r.status != 200) {
        std::printf("reading %s deliveries failed: %d %s\n", p.type.c_str(), r.status, r.error.c_str());
        break;
      }
      const json page = json::parse(r.body);
      expected_total = page.value("total", int64_t{0});
      if (page["items"].empty()) {
        break;
      }
      for (const json& item : page["items"]) {
        const json& history = item["history"];
        Delivered d;
        d.event_id = item.value("event_id", "");
        d.attempts = item.value("attempts", 0);
        if (!history.empty()) {
          const json& last = history.back();
          d.delivered_ms = parseUtcMs(last.value("at", "")) + last.value("duration_ms", int64_t{0});
        }
        rows.push_back(std::move(d));
      }
      offset += static_cast<int64_t>(page["items"].size());
    }
    uint64_t in_window = 0;
    uint64_t retried = 0;
    std::vector<int64_t> latency_us;
    std::set<std::string> delivered_events;
    std::vector<std::pair<std::string, int64_t>> window_rows; // event id, delivered ms
    for (const Delivered& d : rows) {
      in_window += d.delivered_ms >= t0_ms && d.delivered_ms <= t1_ms ? 1 : 0;
      auto e = events.find(d.event_id);
      if (e == events.end() || e->second.created_at_ms < t0_ms || e->second.created_at_ms > t1_ms) {
        continue;
      }
      retried += d.attempts > 1 ? 1 : 0;
      delivered_events.insert(d.event_id);
      latency_us.push_back((d.delivered_ms - e->second.created_at_ms) * 1000);
      window_rows.emplace_back(d.event_id, d.delivered_ms);
    }
    std::sort(latency_us.begin(), latency_us.end());
    all_latency_us.insert(all_latency_us.end(), latency_us.begin(), latency_us.end());
    all_delivered += in_window;
    std::printf("  %-14s %9llu %8.1f %9.1f %9.1f %9.1f %8lld %7lld %9lld %8lld %9llu\n", p.type.c_str(),
                static_cast<unsigned long long>(in_window), in_window / window_s,
                percentileMs(latency_us, 50), percentileMs(latency_us, 99), percentileMs(latency_us, 100),
                static_cast<long long>(window_event_count - static_cast<int64_t>(delivered_events.size())),
                static_cast<long long>(total(p.id, "failed")),
                static_cast<long long>(total(p.id, "retrying")),
                static_cast<long long>(total(p.id, "pending")), static_cast<unsigned long long>(retried));

    // The receiver's side, where the request names its event: event -> request complete at the
    // stand-in, and how long before the logged delivered moment that was.
    if (p.service != kNoService && !rx.arrivals(p.service).empty() &&
        !rx.arrivals(p.service)[0].event_id.empty()) {
      std::unordered_map<std::string, int64_t> first_arrival_us;
      for (const ServiceArrival& a : rx.arrivals(p.service)) {
        first_arrival_us.emplace(a.event_id, a.arrival_us);
      }
      std::vector<int64_t> to_receiver_us;
      std::vector<int64_t> receiver_to_logged_us;
      for (const auto& [event_id, delivered_ms] : window_rows) {
        auto a = first_arrival_us.find(event_id);
        if (a == first_arrival_us.end()) {
          continue;
        }
        to_receiver_us.push_back(a->second - events.at(event_id).created_at_ms * 1000);
        receiver_to_logged_us.push_back(delivered_ms * 1000 - a->second);
      }
      std::sort(to_receiver_us.begin(), to_receiver_us.end());
      std::sort(receiver_to_logged_us.begin(), receiver_to_logged_us.end());
      char line[400];
      std::snprintf(
          line, sizeof line,
          "  %s at its stand-in: event -> request received p50 %.1f / p99 %.1f / max %.1f ms over %zu; "
          "received -> logged delivered moment p50 %.1f / p99 %.1f / min %.1f ms (whole-ms `at` and "
          "duration_ms can put it below 0)",
          p.type.c_str(), percentileMs(to_receiver_us, 50), percentileMs(to_receiver_us, 99),
          percentileMs(to_receiver_us, 100), to_receiver_us.size(), percentileMs(receiver_to_logged_us, 50),
          percentileMs(receiver_to_logged_us, 99), percentileMs(receiver_to_logged_us, 0));
      receiver_lines.push_back(line);
    }
  }
  std::sort(all_latency_us.begin(), all_latency_us.end());
  std::printf("  %-14s %9llu %8.1f %9.1f %9.1f %9.1f\n", "all",
              static_cast<unsigned long long>(all_delivered), all_delivered / window_s,
              percentileMs(all_latency_us, 50), percentileMs(all_latency_us, 99),
              percentileMs(all_latency_us, 100));
  std::printf(
      "  (delivered, per s: delivered moment inside the window; p50/p99/max: event -> delivered for the "
      "events decided in the window; missing: of those events, how many this provider has no delivered "
      "row for; failed/retrying/pending: the whole run; retried: window events delivered after more than "
      "one attempt)\n");
  for (const std::string& line : receiver_lines) {
    std::printf("%s\n", line.c_str());
  }
  std::printf("  drained in %.1f s%s; printers taken offline: %d of %d\n", drain_s,
              drained ? "" : " (NOT drained: deliveries still pending or retrying)",
              o.printers - offline_failures, o.printers);
  std::printf("  server CPU:   %.1f %% of one core\n", 100.0 * (after.cpu_s - before.cpu_s) / window_s);
  std::printf("  server threads: %s\n", threadBreakdown(threads_before, threads_after, window_s).c_str());
  std::printf(
      "  server RSS:   %.1f MiB at the start of the window, %.1f MiB at its end, %.1f MiB highest sampled "
      "(peak since start %.1f MiB)\n",
      before.rss_kib / 1024.0, after.rss_kib / 1024.0, peak.rss_kib / 1024.0, after.hwm_kib / 1024.0);
  const double machine_busy = machine_after.second > machine_before.second
                                  ? 100.0 * static_cast<double>(machine_after.first - machine_before.first) /
                                        static_cast<double>(machine_after.second - machine_before.second)
                                  : 0;
  // The machine is shared: what the other processes took says how much the figures were squeezed.
  const double others = machine_busy * static_cast<double>(sysconf(_SC_NPROCESSORS_ONLN)) -
                        100.0 * (after.cpu_s - before.cpu_s + self_cpu + std::max(smtp_cpu, 0.0)) / window_s;
  std::printf(
      "  machine CPU:  %.1f %% of all cores busy; this process (the HTTP stand-ins) %.1f %% of one core; "
      "SMTP sink (python) %.1f %% of one core; everything else on the machine %.1f %% of one core\n",
      machine_busy, 100.0 * self_cpu / window_s, smtp_cpu < 0 ? -1.0 : 100.0 * smtp_cpu / window_s, others);
  uint64_t requests = 0;
  for (const Provider& p : providers) {
    requests += p.service == kNoService ? 0 : rx.requests(p.service);
  }
  std::printf("  stand-ins: %llu HTTP requests in the whole run, %llu malformed; SMTP sink: %zu messages\n",
              static_cast<unsigned long long>(requests), static_cast<unsigned long long>(rx.malformed()),
              smtp.messages().size());
  printLogProblems(server.log(), 10, "  log: ");
  server.stop();
  smtp.stop();
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  auto options = parseOrUsage(parseArgs, argc, argv, "notifier_bench",
                              "usage: notifier_bench [--printers 10] [--duration-s 30] [--speed 20]\n");
  if (!options) {
    return 2;
  }
  try {
    return run(*options);
  } catch (const std::exception& e) {
    std::printf("notifier_bench failed: %s\n", e.what());
    return 1;
  }
}
