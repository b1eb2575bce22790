// The one-way print pipeline end to end (issue 17): the real server binary, real printer drivers
// (printer.sim inside the server, printer.bambu against the external Bambu simulator on a real
// mosquitto), the real notifier.webhook plugin and real local HTTP receivers.
//
// - Order across kill -9: a print_started waiting for its retry, the server killed, the receiver
//   back: the interrupted print's end arrives after its start, with the start's webhook-id.
// - Full bus: a bus of capacity 1 under 500 printers: every print's start and end reach the
//   webhook and every print has one archive (the bus carries nothing the core relies on).
// - Kill -9 soak: 50 Bambu printers printing short jobs, the server killed with SIGKILL at seeded
//   random moments and restarted: every stored print's start and end reach the receiver at least
//   once (one webhook-id each, in order) and every print has exactly one archive.
//
// Every wait is on a condition with a deadline. Each test prints what it counted and its wall time.
#include "support/bambu_sim_process.h"
#include "support/ftps_server.h"
#include "support/http_client.h"
#include "support/http_receiver.h"
#include "support/mosquitto_broker.h"
#include "support/server_api.h"
#include "support/server_process.h"
#include "support/shared_postgres.h"
#include "support/temp_dir.h"
#include "support/three_mf_sample.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <libpq-fe.h>
#include <signal.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace bambuddy::testing {
namespace pipeline_test {

using nlohmann::json;

// A fixed key with 256 bits of entropy (the server refuses a weak BAMBUDDY_ADMIN_KEY).
const std::string kAdminKey = "bb_pQ7sV2xN9cL4kR8wT1yH6mJ3fB5gD0zA-u_EeKqWnXo";
const std::string kAccessCode = "s0akc0de";

int64_t steadyMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

// Polls `condition` every `poll_ms` until it holds or `deadline_ms` passed.
bool waitUntil(const std::function<bool()>& condition, int64_t deadline_ms, int64_t poll_ms = 20) {
  const int64_t until = steadyMs() + deadline_ms;
  while (true) {
    if (condition()) {
      return true;
    }
    if (steadyMs() >= until) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
  }
}

// Whole-test wall time, printed so the report can quote it.
class WallClock {
public:
  explicit WallClock(std::string name) : name_(std::move(name)), start_ms_(steadyMs()) {}
  ~WallClock() {
    std::printf("[%s] wall time %.1f s\n", name_.c_str(),
                static_cast<double>(steadyMs() - start_ms_) / 1000.0);
    std::fflush(stdout);
  }

private:
  std::string name_;
  int64_t start_ms_;
};

// One webhook a receiver got, parsed.
struct Arrival {
  size_t index = 0; // arrival order at the receiver
  std::string webhook_id;
  std::string event;
  std::string filename;
  std::string printer; // the printer's name
  int64_t printer_id = 0;
  int64_t archive_id = 0;
  int status = 0; // what the receiver answered
};

bool isEnd(const std::string& event) {
  return event == "print_complete" || event == "print_failed" || event == "print_cancelled";
}

// A receiver that answers every webhook from `decide` (200 by default) and keeps each one, parsed,
// with the answer it got, in arrival order.
class WebhookSink {
public:
  explicit WebhookSink(std::function<int(const ReceivedRequest&)> decide = nullptr)
      : decide_(std::move(decide)) {
    rx_.setHandler([this](const ReceivedRequest& request) {
      ScriptedResponse r;
      r.status = decide_ ? decide_(request) : 200;
      if (r.status == 503) {
        r.headers = retry_after_;
      }
      Arrival a = parse(request);
      a.status = r.status;
      std::lock_guard<std::mutex> lock(mutex_);
      a.index = arrivals_.size();
      arrivals_.push_back(std::move(a));
      return r;
    });
  }

  std::string url() const { return rx_.url("/hook"); }
  // Before any request: the Retry-After header of 503 answers.
  void setRetryAfter(const std::string& seconds) { retry_after_ = {{"Retry-After", seconds}}; }
  void clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    arrivals_.clear();
  }
  std::vector<Arrival> arrivals() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return arrivals_;
  }

private:
  static Arrival parse(const ReceivedRequest& request) {
    Arrival a;
    a.webhook_id = request.header("webhook-id");
    json body = json::parse(request.body, nullptr, false);
    if (!body.is_object()) {
      return a;
    }
    a.event = body.value("event", "");
    const json data = body.value("data", json::object());
    if (!data.is_object()) {
      return a;
    }
    auto text = [&](const char* key) {
      auto it = data.find(key);
      return it != data.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    auto number = [&](const char* key) {
      auto it = data.find(key);
      return it != data.end() && it->is_number_integer() ? it->get<int64_t>() : int64_t{0};
    };
    a.filename = text("filename");
    a.printer = text("printer");
    a.printer_id = number("printer_id");
    a.archive_id = number("archive_id");
    return a;
  }

  HttpReceiver rx_;
  std::function<int(const ReceivedRequest&)> decide_;
  std::vector<std::pair<std::string, std::string>> retry_after_;
  mutable std::mutex mutex_;
  std::vector<Arrival> arrivals_;
};

struct Answer {
  int status = 0;
  json body;
  std::string raw;
};

class PipelineTest : public ::testing::Test {
protected:
  // Starts (or restarts) the server on the config file written earlier; same data dir each time.
  void startServer(int64_t ready_timeout_ms = 60000) {
    if (server_) {
      earlier_logs_ += server_->log() + "----- server restarted -----\n";
    }
    server_ = std::make_unique<ServerProcess>(
        serverBinary(), std::vector<std::string>{"--config", config_},
        std::map<std::string, std::string>{{"BAMBUDDY_ADMIN_KEY", kAdminKey}});
    ASSERT_TRUE(server_->waitReady(ready_timeout_ms)) << tail(server_->log());
  }

  void kill9() {
    ASSERT_EQ(::kill(server_->pid(), SIGKILL), 0);
    server_->waitExit(10000);
    ASSERT_FALSE(server_->running());
  }

  Answer api(const std::string& method, const std::string& path, const json& body = nullptr) {
    std::vector<std::pair<std::string, std::string>> headers = {{"X-API-Key", kAdminKey}};
    std::string text;
    if (!body.is_null()) {
      text = body.dump();
      headers.emplace_back("Content-Type", "application/json");
    }
    HttpResult r = httpRequest("127.0.0.1", server_->port(), method, path, text, headers, 20000);
    return Answer{r.status, json::parse(r.body, nullptr, false), r.body};
  }

  // Every archive (all pages).
  std::vector<json> archives() {
    std::vector<json> out;
    for (size_t offset = 0;; offset += 1000) {
      Answer page = api("GET", "/api/v1/archives?limit=1000&offset=" + std::to_string(offset));
      EXPECT_EQ(page.status, 200) << page.raw.substr(0, 500);
      if (page.status != 200 || !page.body["items"].is_array()) {
        return out;
      }
      for (const json& item : page.body["items"]) {
        out.push_back(item);
      }
      if (page.body["items"].empty() || offset + 1000 >= page.body.value("total", size_t{0})) {
        return out;
      }
    }
  }

  static std::string tail(const std::string& log, size_t bytes = 4000) {
    return log.size() > bytes ? log.substr(log.size() - bytes) : log;
  }

  std::string notificationsYaml() const {
    // Quick retries so a test does not wait for the production schedule.
    return "notifications:\n"
           "  retry_schedule_s: [0, 0.3, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]\n"
           "  retry_jitter: 0\n"
           "  attempt_timeout_ms: 5000\n";
  }

  // The config file up to the plugin list; `extra` goes before it (top-level keys).
  std::string header(const std::string& extra = "") const {
    return "server:\n  listen: 127.0.0.1:0\n"
           "auth:\n  rate_limits: {read: 100000, write: 100000, control: 100000}\n"
           "data_dir: " +
           dir_.file("data") + "\n" + notificationsYaml() + extra + "plugins:\n  search_path: [" +
           pluginDir() +
           "]\n  load:\n"
           "    - name: storage.local\n"
           "    - name: auth.apikey\n";
  }

  static std::string webhookYaml(const std::string& url) {
    return "    - name: notifier.webhook\n"
           "      instances:\n"
           "        - id: pipeline\n"
           "          name: Pipeline\n"
           "          settings: {url: \"" +
           url +
           "\"}\n"
           "          events: [print_started, print_complete, print_failed, print_cancelled]\n";
  }

  // printer.bambu with one instance per simulated printer (named by its serial) on `broker`.
  static std::string bambuPrintersYaml(const std::vector<std::string>& serials,
                                       const MosquittoBroker& broker) {
    std::ostringstream yaml;
    yaml << "    - name: printer.bambu\n"
            "      config: {reconnect_min_ms: 100, reconnect_max_ms: 500}\n"
            "      instances:\n";
    for (const std::string& serial : serials) {
      yaml << "        - id: " << serial << "\n          name: " << serial
           << "\n          settings: {host: 127.0.0.1, port: " << broker.port() << ", serial: " << serial
           << ", access_code: \"" << kAccessCode << "\", tls: {ca_file: \"" << broker.caFile() << "\"}}\n";
    }
    return yaml.str();
  }

  // Every line of every server run so far (earlier runs first) that contains `needle`.
  std::string logLines(const std::string& needle) {
    std::istringstream all(earlier_logs_ + (server_ ? server_->log() : std::string()));
    std::string line, out;
    while (std::getline(all, line)) {
      if (line.find(needle) != std::string::npos || line.rfind("----- server", 0) == 0) {
        out += line + "\n";
      }
    }
    return out;
  }

  TempDir dir_;
  std::string config_;
  std::unique_ptr<ServerProcess> server_;
  std::string earlier_logs_; // the logs of the server runs before server_
};

// The "Order" paragraph: the receiver is down (503) while print_started waits for its
// retry, the server is killed with SIGKILL, the receiver comes back and the server starts again on
// the same data dir. printer.sim lives in the server, so after the restart the printer is idle and
// the detector ends the interrupted print (print_cancelled). The receiver must get print_started
// (with its original webhook-id) before that end.
TEST_F(PipelineTest, AnInterruptedPrintsEndArrivesAfterItsStartAcrossKillMinus9) {
  WallClock clock("OrderAcrossKill9");
  std::atomic<bool> down{true};
  WebhookSink sink([&](const ReceivedRequest&) { return down ? 503 : 200; });
  // The retry comes 2 s after the 503: after the restart the print's end is decided long before
  // the start's retry is due, which is when an unordered outbox sent the end first.
  sink.setRetryAfter("2");
  config_ = dir_.write("bambuddy.yaml", header() + webhookYaml(sink.url()) +
                                            "    - name: printer.sim\n"
                                            "      instances:\n"
                                            "        - id: sim-a\n"
                                            "          name: Sim A\n"
                                            "          settings: {speed: 1, report_interval_ms: 50}\n");
  ASSERT_NO_FATAL_FAILURE(startServer());
  Answer started =
      api("POST", "/api/v1/sim/sim-a/actions",
          json{{"action", "start_print"}, {"filename", "order.3mf"}, {"estimated_time_s", 3600}});
  ASSERT_EQ(started.status, 200) << started.raw;

  // print_started was tried, refused, and stored as waiting for its retry.
  Answer providers = api("GET", "/api/v1/notifications");
  ASSERT_EQ(providers.body["total"], 1) << providers.raw;
  const std::string log_path = "/api/v1/notifications/" +
                               std::to_string(providers.body["items"][0]["id"].get<int64_t>()) +
                               "/deliveries";
  json waiting;
  ASSERT_TRUE(waitUntil(
      [&] {
        Answer log = api("GET", log_path);
        for (const json& row : log.body.value("items", json::array())) {
          if (row["event"] == "print_started" && row["status"] == "retrying" && row["attempts"] >= 1) {
            waiting = row;
            return true;
          }
        }
        return false;
      },
      15000))
      << tail(server_->log());
  const std::string start_id = waiting["event_id"];
  std::vector<Arrival> before = sink.arrivals();
  ASSERT_FALSE(before.empty());
  for (const Arrival& a : before) {
    EXPECT_EQ(a.event, "print_started");
    EXPECT_EQ(a.status, 503);
    EXPECT_EQ(a.webhook_id, start_id);
  }

  ASSERT_NO_FATAL_FAILURE(kill9());
  sink.clear();
  down = false;
  ASSERT_NO_FATAL_FAILURE(startServer());

  ASSERT_TRUE(waitUntil(
      [&] {
        for (const Arrival& a : sink.arrivals()) {
          if (isEnd(a.event)) {
            return true;
          }
        }
        return false;
      },
      20000))
      << tail(server_->log());
  // The end is the last webhook about this print; give a stray late one a moment to show up by
  // waiting until the outbox has nothing open.
  ASSERT_TRUE(waitUntil(
      [&] {
        Answer log = api("GET", log_path);
        if (log.status != 200) {
          return false;
        }
        for (const json& row : log.body["items"]) {
          if (row["status"] == "pending" || row["status"] == "retrying") {
            return false;
          }
        }
        return true;
      },
      15000));
  std::vector<Arrival> after = sink.arrivals();
  std::vector<std::string> events;
  for (const Arrival& a : after) {
    events.push_back(a.event);
  }
  std::printf("[OrderAcrossKill9] before the kill: %zu attempt(s) of print_started answered 503; after the "
              "restart the receiver got:",
              before.size());
  for (const std::string& e : events) {
    std::printf(" %s", e.c_str());
  }
  std::printf("\n");
  ASSERT_EQ(events, (std::vector<std::string>{"print_started", "print_cancelled"}))
      << "the interrupted print's end must come after its start";
  EXPECT_EQ(after[0].webhook_id, start_id) << "the retried start keeps its webhook-id";
  EXPECT_NE(after[1].webhook_id, start_id);
  EXPECT_EQ(after[0].filename, "order.3mf");
  EXPECT_EQ(after[1].filename, "order.3mf");
  EXPECT_GT(after[0].archive_id, 0);
  EXPECT_EQ(after[0].archive_id, after[1].archive_id) << "both name the print's one archive";
  std::vector<json> all = archives();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0]["status"], "cancelled");
  EXPECT_EQ(all[0]["id"], after[0].archive_id);
}

// The bus at its smallest capacity under 500 printers that each print once: status copies on the
// bus are dropped (it has room for one event), yet no lifecycle event is lost, because the
// archives, the queue and the notification outbox read the journal, not the bus.
TEST_F(PipelineTest, AFullBusLosesNoLifecycleEventUnder500Printers) {
  WallClock clock("FullBus500");
  constexpr int kPrinters = 500;
  WebhookSink sink;
  std::ostringstream yaml;
  yaml << header("bus: {queue_capacity: 1}\n") << webhookYaml(sink.url())
       << "    - name: printer.sim\n"
          "      instances:\n";
  // 12 simulated seconds preparing + 30 printing at speed 10: about 4.2 s of real time per print,
  // starting 2 simulated seconds (0.2 s) after the driver starts. A report every 200 ms.
  for (int i = 1; i <= kPrinters; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "bus-%03d", i);
    yaml << "        - id: " << id << "\n          name: " << id
         << "\n          settings: {speed: 10, report_interval_ms: 200, print_time_s: 30, auto_print: "
            "{filename: "
         << id << ".3mf, repeat: false, idle_s: 2}}\n";
  }
  config_ = dir_.write("bambuddy.yaml", yaml.str());
  const int64_t t0 = steadyMs();
  ASSERT_NO_FATAL_FAILURE(startServer(120000));
  const int64_t ready_ms = steadyMs() - t0;

  // Every printer's end at the receiver (a print that ends without its start would show up below).
  auto ended = [&] {
    std::set<std::string> printers;
    for (const Arrival& a : sink.arrivals()) {
      if (isEnd(a.event)) {
        printers.insert(a.printer);
      }
    }
    return printers.size();
  };
  const bool all_ended = waitUntil([&] { return ended() >= static_cast<size_t>(kPrinters); }, 240000, 200);
  const int64_t ended_ms = steadyMs() - t0;
  ASSERT_TRUE(all_ended) << "ends for " << ended() << " of " << kPrinters << " printers\n"
                         << tail(server_->log());

  std::vector<Arrival> got = sink.arrivals();
  // Per printer: the webhook-ids of each event, and the archive ids the webhooks named.
  std::map<std::string, std::map<std::string, std::set<std::string>>> ids;
  std::map<std::string, std::set<int64_t>> archive_ids;
  std::map<std::string, std::set<std::string>> filenames;
  std::set<std::string> distinct;
  for (const Arrival& a : got) {
    ids[a.printer][a.event].insert(a.webhook_id);
    archive_ids[a.printer].insert(a.archive_id);
    filenames[a.printer].insert(a.filename);
    distinct.insert(a.webhook_id);
  }
  int complete = 0;
  for (int i = 1; i <= kPrinters; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "bus-%03d", i);
    const auto& events = ids[id];
    EXPECT_EQ(events.count("print_started") ? events.at("print_started").size() : 0u, 1u) << id;
    EXPECT_EQ(events.count("print_complete") ? events.at("print_complete").size() : 0u, 1u) << id;
    EXPECT_EQ(events.size(), 2u) << id << ": only a start and a complete";
    EXPECT_EQ(archive_ids[id].size(), 1u) << id << ": both webhooks name one archive";
    EXPECT_EQ(filenames[id], (std::set<std::string>{std::string(id) + ".3mf"})) << id;
    complete += events.count("print_complete") ? 1 : 0;
  }

  std::vector<json> all = archives();
  std::map<int64_t, int> per_printer;
  int success = 0;
  for (const json& a : all) {
    per_printer[a.value("printer_id", int64_t{0})]++;
    success += a["status"] == "success" ? 1 : 0;
  }
  EXPECT_EQ(all.size(), static_cast<size_t>(kPrinters));
  EXPECT_EQ(per_printer.size(), static_cast<size_t>(kPrinters)) << "one archive per printer";
  EXPECT_EQ(success, kPrinters);
  for (const Arrival& a : got) {
    if (a.archive_id <= 0 || per_printer.count(a.printer_id) == 0) {
      ADD_FAILURE() << a.event << " of " << a.printer << " names no archive of its printer";
      break;
    }
  }

  const std::string log = server_->log();
  size_t overflow_warnings = 0;
  for (size_t at = log.find("event queue full"); at != std::string::npos;
       at = log.find("event queue full", at + 1)) {
    ++overflow_warnings;
  }
  std::printf("[FullBus500] %d printers, server ready after %.1f s, every print ended at the receiver after "
              "%.1f s; webhooks received %zu (distinct webhook-ids %zu), print_complete for %d printers, "
              "archives %zu (success %d); bus overflow warnings in the log: %zu\n",
              kPrinters, static_cast<double>(ready_ms) / 1000.0, static_cast<double>(ended_ms) / 1000.0,
              got.size(), distinct.size(), complete, all.size(), success, overflow_warnings);
}

// The soak's size: 20 rounds, none under AddressSanitizer (every process there is several times
// slower); BAMBUDDY_SOAK_ROUNDS overrides, BAMBUDDY_SOAK_SEED repeats a run.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAsan = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAsan = true;
#else
constexpr bool kAsan = false;
#endif
#else
constexpr bool kAsan = false;
#endif

// 0 = skip: under AddressSanitizer the 50 TLS reconnections after a kill took a median of 11 s
// (2026-12-06), which breaks the soak's timing rules for prints no server could see; the Release
// pass runs it, and BAMBUDDY_SOAK_ROUNDS runs it here on demand.
int soakRounds() {
  if (const char* env = std::getenv("BAMBUDDY_SOAK_ROUNDS"); env != nullptr && std::atoi(env) > 0) {
    return std::atoi(env);
  }
  return kAsan ? 0 : 20;
}

uint32_t soakSeed() {
  if (const char* env = std::getenv("BAMBUDDY_SOAK_SEED"); env != nullptr && *env != '\0') {
    return static_cast<uint32_t>(std::strtoul(env, nullptr, 10));
  }
  return std::random_device{}();
}

constexpr const char* kJournalPrintEvents =
    "SELECT payload FROM event_journal WHERE type IN ('print_started', 'print_complete', 'print_failed', "
    "'print_cancelled')";

// The same from the server's PostgreSQL database (the suite's PostgreSQL pass).
std::vector<std::string> journalPayloadsOnPostgres(const std::string& database_key) {
  std::vector<std::string> out;
  std::unique_ptr<PGconn, void (*)(PGconn*)> conn(
      PQconnectdb(sharedPostgresConnectionString(database_key).c_str()), PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    ADD_FAILURE() << "cannot open the server's database: " << PQerrorMessage(conn.get());
    return out;
  }
  std::unique_ptr<PGresult, void (*)(PGresult*)> rows(PQexec(conn.get(), kJournalPrintEvents), PQclear);
  if (PQresultStatus(rows.get()) != PGRES_TUPLES_OK) {
    ADD_FAILURE() << "reading the journal: " << PQerrorMessage(conn.get());
    return out;
  }
  for (int i = 0; i < PQntuples(rows.get()); ++i) {
    out.emplace_back(PQgetvalue(rows.get(), i, 0));
  }
  return out;
}

// The payloads of the print_started / print_complete / print_failed / print_cancelled rows of the
// event journal in the server's SQLite file (opened read-only next to the running server), or in
// its PostgreSQL database when `database_key` is set (ServerProcess::databaseKey()).
std::vector<std::string> journalPayloads(const std::string& db_path, const std::string& database_key) {
  if (!database_key.empty()) {
    return journalPayloadsOnPostgres(database_key);
  }
  std::vector<std::string> out;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "cannot open " << db_path << ": " << (db ? sqlite3_errmsg(db) : "?");
    sqlite3_close(db);
    return out;
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* st = nullptr;
  const char* sql = kJournalPrintEvents;
  if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "reading the journal: " << sqlite3_errmsg(db);
  } else {
    while (sqlite3_step(st) == SQLITE_ROW) {
      out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
    }
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

int64_t percentileMs(std::vector<int64_t> values, int percent) {
  if (values.empty()) {
    return 0;
  }
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, values.size() * static_cast<size_t>(percent) / 100)];
}

// One print the simulator started (stdin `start <serial>`), as its stdout told.
struct SimPrint {
  std::string serial;
  std::string filename; // SimPrint-<n>.3mf, unique within the simulator's run
  int64_t started_ms = 0;
  int64_t finished_ms = 0; // when the simulator said FINISH (0: not yet)
  size_t order = 0;        // its position among the printer's prints
};

// Whether a server could know of a print. A print is known once a server that shows its printer
// connected while the print runs lives on long enough to have handled the report that shows it
// and committed the event (0.3 s after the start, then 1 s before the next kill). A print that
// begins and ends in the server's absence, or whose start a dying server had not yet stored, leaves
// no trace a restarted server could find (the printer shows a finished job it never saw start), so
// no event can be owed for it. The soak counts such prints apart and still checks any event or
// archive that exists of them; its jobs are longer than a restart, so they are few unless the
// machine is very busy.
class Visibility {
public:
  static constexpr int64_t kReportMs = 300;
  static constexpr int64_t kCommitMs = 1000;

  void seen(const std::string& serial, int64_t at_ms) {
    std::lock_guard<std::mutex> lock(mutex_);
    samples_[serial].push_back(at_ms);
  }
  void killed(int64_t at_ms) {
    std::lock_guard<std::mutex> lock(mutex_);
    kills_.push_back(at_ms);
  }
  // A finished print no server can have stored (see above); false while that may still change.
  bool invisible(const SimPrint& print) const {
    if (print.finished_ms == 0) {
      return false;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    auto list = samples_.find(print.serial);
    if (list == samples_.end()) {
      return true;
    }
    for (int64_t t : list->second) {
      if (t < print.started_ms + kReportMs || t > print.finished_ms) {
        continue;
      }
      auto kill = std::lower_bound(kills_.begin(), kills_.end(), t);
      if (kill == kills_.end() || *kill - t >= kCommitMs) {
        return false; // that server lived on (or lives still)
      }
    }
    return true;
  }

  // A finished print whose end no server will report: one server showed its printer connected
  // from 0.3 s after the finish for 3 s without dying, so it has had the finished state long
  // since; had any server stored the start, the end would be out by then.
  bool noEndComing(const SimPrint& print) const {
    if (print.finished_ms == 0) {
      return false;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    auto list = samples_.find(print.serial);
    if (list == samples_.end()) {
      return false;
    }
    const std::vector<int64_t>& t = list->second;
    auto first = std::lower_bound(t.begin(), t.end(), print.finished_ms + kReportMs);
    if (first == t.end()) {
      return false;
    }
    auto kill = std::upper_bound(kills_.begin(), kills_.end(), *first);
    const int64_t until =
        kill == kills_.end() ? t.back() : *(std::upper_bound(t.begin(), t.end(), *kill) - 1);
    return until - *first >= 3000;
  }

private:
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<int64_t>> samples_; // when a poll showed the printer connected
  std::vector<int64_t> kills_;
};

// Starts prints on the simulated printers the way an operator would: the next one on a printer
// once the receiver has the previous one's end (or none will come, see Visibility),
// after a random pause. Reads the simulator's stdout for what really started and finished. Runs
// on its own thread for the whole soak, through the server's deaths.
class PrintStarter {
public:
  PrintStarter(BambuSimProcess& sim, const WebhookSink& sink, const Visibility& visibility,
               std::vector<std::string> serials, uint32_t seed)
      : sim_(sim), sink_(sink), visibility_(visibility), serials_(std::move(serials)), rng_(seed) {
    thread_ = std::thread([this] { run(); });
  }
  ~PrintStarter() { stop(); }

  // No new prints from now on (the ones asked for still start).
  void stopStarting() { starting_ = false; }
  void stop() {
    stopping_ = true;
    if (thread_.joinable()) {
      thread_.join();
    }
  }
  // True when no start is in flight and every print has its end at the receiver or will have none.
  bool settled() const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!asked_.empty()) {
      return false;
    }
    for (const auto& [name, print] : prints_) {
      if (ended_.count(name) == 0 && !visibility_.noEndComing(print)) {
        return false;
      }
    }
    return true;
  }
  std::map<std::string, SimPrint> prints() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return prints_;
  }
  size_t refused() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return refused_;
  }

private:
  void run() {
    size_t line_from = 0, arrival_from = 0;
    while (!stopping_) {
      const int64_t now = steadyMs();
      std::vector<std::string> lines = sim_.lines(line_from);
      line_from += lines.size();
      std::vector<Arrival> arrivals = sink_.arrivals();
      {
        std::lock_guard<std::mutex> lock(mutex_);
        for (const std::string& line : lines) {
          readLine(line, now);
        }
        for (size_t i = arrival_from; i < arrivals.size(); ++i) {
          const Arrival& a = arrivals[i];
          if (isEnd(a.event) && ended_.insert(a.filename).second) {
            auto it = prints_.find(a.filename);
            if (it != prints_.end()) {
              next_ms_[it->second.serial] = now + pause(rng_);
            }
          }
        }
        arrival_from = arrivals.size();
        if (starting_) {
          startWhatIsDue(now);
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  void startWhatIsDue(int64_t now) {
    for (const std::string& serial : serials_) {
      if (asked_.count(serial) != 0 || now < next_ms_[serial]) {
        continue;
      }
      auto current = current_.find(serial);
      if (current != current_.end() && ended_.count(current->second) == 0) {
        const SimPrint& print = prints_[current->second];
        if (!visibility_.noEndComing(print)) {
          continue; // its print is running, or its end has not reached the receiver yet
        }
        if (given_up_.insert(print.filename).second) {
          next_ms_[serial] = now + pause(rng_); // no end is coming for it: like after an end
          continue;
        }
      }
      if (sim_.send("start " + serial)) {
        asked_.insert(serial);
      }
    }
  }

  // "started <serial> /cache/<name>.3mf plate=..", "state <serial> FINISH",
  // "error start <serial>: <reason>".
  void readLine(const std::string& line, int64_t now) {
    std::istringstream words(line);
    std::string verb, serial, rest;
    words >> verb >> serial >> rest;
    if (verb == "started") {
      const std::string name = rest.substr(rest.find_last_of('/') + 1);
      SimPrint print;
      print.serial = serial;
      print.filename = name;
      print.started_ms = now;
      print.order = count_[serial]++;
      prints_[name] = print;
      current_[serial] = name;
      asked_.erase(serial);
    } else if (verb == "state" && (rest == "FINISH" || rest == "FAILED")) {
      auto current = current_.find(serial);
      if (current != current_.end() && prints_[current->second].finished_ms == 0) {
        prints_[current->second].finished_ms = now;
      }
    } else if (verb == "error" && serial == "start") {
      std::string who = rest.substr(0, rest.find(':'));
      asked_.erase(who);
      ++refused_;
      next_ms_[who] = now + 200;
    }
  }

  BambuSimProcess& sim_;
  const WebhookSink& sink_;
  const Visibility& visibility_;
  const std::vector<std::string> serials_;
  std::mt19937 rng_;
  std::uniform_int_distribution<int64_t> pause{0, 800}; // ms between a print's end and the next start
  std::atomic<bool> starting_{true};
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::map<std::string, SimPrint> prints_;     // by file name
  std::map<std::string, std::string> current_; // serial -> its latest print's file name
  std::map<std::string, size_t> count_;        // serial -> prints started
  std::map<std::string, int64_t> next_ms_;     // serial -> not before
  std::set<std::string> asked_;                // serials with a `start` sent and not answered
  std::set<std::string> ended_;                // file names whose end the receiver got
  std::set<std::string> given_up_;             // invisible prints, no end expected
  size_t refused_ = 0;
  std::thread thread_;
};

// 50 Bambu printers (the external simulator on a real mosquitto, so they live through the
// server's deaths) print 3-second jobs back to back; the server is killed with SIGKILL at seeded
// random moments and started again on the same data dir. At the end every print the simulator
// started that a server stored (the event journal, read from the server's SQLite file, names it)
// has its print_started and its end at the receiver (at least once, one webhook-id each, the start
// first) and exactly one archive; a print that is not in the journal must have run while its
// printer was out of every server's sight, and nothing may exist of it.
TEST_F(PipelineTest, KillMinus9SoakLosesNoPrintEventAndKeepsOneArchivePerPrint) {
  WallClock clock("KillSoak");
  const int64_t t0_ms = steadyMs();
  constexpr int kPrinters = 50;
  constexpr double kJobS = 3.0;
  const int rounds = soakRounds();
  if (rounds == 0) {
    GTEST_SKIP() << "the kill -9 soak runs in the Release pass (set BAMBUDDY_SOAK_ROUNDS to run it here)";
  }
  const uint32_t seed = soakSeed();
  std::printf("[KillSoak] seed %u (BAMBUDDY_SOAK_SEED=%u repeats it), %d rounds%s\n", seed, seed, rounds,
              kAsan ? " (AddressSanitizer build)" : "");
  std::fflush(stdout);
  std::mt19937 rng(seed);

  MosquittoBroker broker(MosquittoBrokerOptions{"bblp", kAccessCode});
  broker.start();
  char job_s[16];
  std::snprintf(job_s, sizeof job_s, "%.1f", kJobS);
  BambuSimProcess sim({"--host",           broker.host(),
                       "--port",           std::to_string(broker.port()),
                       "--cafile",         broker.caFile(),
                       "--user",           broker.user(),
                       "--password",       broker.password(),
                       "--count",          std::to_string(kPrinters),
                       "--serial-prefix",  "SOAK",
                       "--interval-ms",    "250",
                       "--storage-dir",    dir_.file("cards"),
                       "--time-scale",     "0.01",
                       "--job-duration-s", job_s});
  ASSERT_TRUE(sim.waitLine("ready", 60000)) << sim.transcript();
  std::vector<std::string> serials;
  for (const std::string& line : sim.lines()) {
    if (line.rfind("connected ", 0) == 0) {
      serials.push_back(line.substr(10));
    }
  }
  std::sort(serials.begin(), serials.end());
  serials.erase(std::unique(serials.begin(), serials.end()), serials.end());
  ASSERT_EQ(serials.size(), static_cast<size_t>(kPrinters)) << sim.transcript();

  // A receiver that refuses one webhook in 20 (503), so retries are pending at some kills.
  std::mutex refuse_mutex;
  std::mt19937 refuse_rng(seed ^ 0x5eed5eedu);
  WebhookSink sink([&](const ReceivedRequest&) {
    std::lock_guard<std::mutex> lock(refuse_mutex);
    return std::uniform_int_distribution<int>(0, 19)(refuse_rng) == 0 ? 503 : 200;
  });

  std::ostringstream yaml;
  yaml << header() << webhookYaml(sink.url()) << bambuPrintersYaml(serials, broker);
  config_ = dir_.write("bambuddy.yaml", yaml.str());
  Visibility visibility;
  ASSERT_NO_FATAL_FAILURE(startServer());
  // The printers' own 3MFs are not fetched (no FTPS server here): the archive records are what
  // this test counts.
  Answer settings = api("PATCH", "/api/v1/settings", json{{"auto_archive", false}});
  ASSERT_EQ(settings.status, 200) << settings.raw;

  // Marks the printers the server shows connected as seen; true when all are.
  auto pollSeen = [&] {
    HttpResult r = httpRequest("127.0.0.1", server_->port(), "GET", "/api/v1/printers?limit=1000", "",
                               {{"X-API-Key", kAdminKey}}, 5000);
    json page = json::parse(r.body, nullptr, false);
    if (r.status != 200 || !page.is_object() || !page["items"].is_array()) {
      return false;
    }
    const int64_t now = steadyMs();
    int connected = 0;
    for (const json& item : page["items"]) {
      if (item["status"].value("connected", false)) {
        visibility.seen(item.value("name", ""), now);
        ++connected;
      }
    }
    return connected == kPrinters;
  };

  PrintStarter starter(sim, sink, visibility, serials, seed + 1);
  std::vector<int64_t> uptimes_ms, outages_ms; // outage: kill -> every printer shown connected again
  int64_t killed_at = 0;
  for (int round = 0; round < rounds; ++round) {
    if (round > 0) {
      ASSERT_NO_FATAL_FAILURE(startServer());
    }
    const int64_t up_ms = std::uniform_int_distribution<int64_t>(200, 3000)(rng);
    const int64_t kill_at = steadyMs() + up_ms;
    while (steadyMs() < kill_at) {
      if (pollSeen() && killed_at != 0) {
        outages_ms.push_back(steadyMs() - killed_at);
        killed_at = 0;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    visibility.killed(steadyMs());
    if (killed_at == 0) {
      killed_at = steadyMs(); // else the outage of an earlier kill goes on
    }
    ASSERT_NO_FATAL_FAILURE(kill9());
    uptimes_ms.push_back(up_ms);
  }
  ASSERT_NO_FATAL_FAILURE(startServer());
  ASSERT_TRUE(waitUntil(pollSeen, 60000, 50)) << tail(server_->log());
  outages_ms.push_back(steadyMs() - killed_at);
  starter.stopStarting();
  const bool settled = waitUntil([&] { return pollSeen() && starter.settled(); }, 60000, 50);
  starter.stop();
  const std::map<std::string, SimPrint> prints = starter.prints();
  // Nothing still open in the outbox: repeats that are still coming would change the counts.
  Answer providers = api("GET", "/api/v1/notifications");
  ASSERT_EQ(providers.body["total"], 1) << providers.raw;
  const std::string deliveries = "/api/v1/notifications/" +
                                 std::to_string(providers.body["items"][0]["id"].get<int64_t>()) +
                                 "/deliveries";
  EXPECT_TRUE(waitUntil(
      [&] {
        return api("GET", deliveries + "?status=pending&limit=1").body.value("total", -1) == 0 &&
               api("GET", deliveries + "?status=retrying&limit=1").body.value("total", -1) == 0;
      },
      30000, 100));
  const std::vector<Arrival> got = sink.arrivals();
  const std::vector<json> all = archives();
  // The journal itself (read-only, next to the running server): which prints a server stored.
  const std::vector<std::string> journal =
      journalPayloads(dir_.file("data/bambuddy.db"), server_->databaseKey());
  std::set<std::string> stored;
  for (const std::string& payload : journal) {
    json data = json::parse(payload, nullptr, false);
    if (data.is_object() && data.value("filename", json(nullptr)).is_string()) {
      stored.insert(data["filename"].get<std::string>());
    }
  }

  // A start decided before the printer's report named the file has no filename: its archive id
  // (which the print's end names too) tells whose it is.
  std::map<int64_t, std::string> file_of_archive;
  for (const Arrival& a : got) {
    if (!a.filename.empty() && a.archive_id > 0) {
      file_of_archive[a.archive_id] = a.filename;
    }
  }
  size_t unnamed_starts = 0;
  std::map<std::string, std::map<std::string, std::set<std::string>>> ids; // file -> event -> webhook-ids
  std::map<std::string, std::set<int64_t>> named_archives;
  std::map<std::string, std::pair<std::string, std::string>> what_id_carried;
  std::set<std::string> seen_ids;
  std::map<std::string, std::vector<std::pair<size_t, int>>> first_arrivals; // printer -> (print order, 0/1)
  size_t repeats = 0, refused = 0, inconsistent_ids = 0;
  std::map<std::string, size_t> distinct_by_event;
  for (const Arrival& a : got) {
    std::string file = a.filename;
    if (file.empty() && file_of_archive.count(a.archive_id) != 0) {
      file = file_of_archive[a.archive_id];
    }
    if (a.status != 200) {
      ++refused;
    }
    ids[file][a.event].insert(a.webhook_id);
    named_archives[file].insert(a.archive_id);
    auto carried = what_id_carried.emplace(a.webhook_id, std::make_pair(a.event, file));
    if (!carried.second && carried.first->second != std::make_pair(a.event, file)) {
      ++inconsistent_ids;
    }
    if (!seen_ids.insert(a.webhook_id).second) {
      ++repeats;
      continue;
    }
    ++distinct_by_event[a.event];
    unnamed_starts += a.event == "print_started" && a.filename.empty() ? 1 : 0;
    auto print = prints.find(file);
    if (print != prints.end()) {
      first_arrivals[a.printer].emplace_back(print->second.order, isEnd(a.event) ? 1 : 0);
    }
  }
  EXPECT_EQ(inconsistent_ids, 0u) << "a webhook-id always carries the same event";

  std::map<int64_t, const json*> archive_by_id;
  for (const json& a : all) {
    archive_by_id[a["id"].get<int64_t>()] = &a;
  }

  size_t unstored = 0, unexplained = 0, complete = 0, failed = 0, missing_start = 0, missing_end = 0,
         archive_problems = 0;
  std::set<int64_t> archives_of_prints;
  std::set<std::string> suspects; // printers to show the details of
  for (const auto& [name, print] : prints) {
    const auto& events = ids[name];
    if (stored.count(name) == 0) {
      // No server stored anything of it: nothing may exist of it, and it must have run while
      // its printer was out of sight (see Visibility).
      ++unstored;
      if (!events.empty() || !visibility.invisible(print)) {
        ++unexplained;
        suspects.insert(print.serial);
        ADD_FAILURE() << name << " on " << print.serial << " is not in the journal, yet "
                      << (events.empty() ? "a server that lived on saw its printer while it ran"
                                         : "webhooks name it");
      }
      continue;
    }
    auto idCount = [&](const char* event) { return events.count(event) ? events.at(event).size() : 0u; };
    const size_t ends = idCount("print_complete") + idCount("print_failed") + idCount("print_cancelled");
    complete += idCount("print_complete");
    failed += idCount("print_failed");
    const std::set<int64_t>& named = named_archives[name];
    const json* archive = named.size() == 1 && archive_by_id.count(*named.begin()) != 0
                              ? archive_by_id[*named.begin()]
                              : nullptr;
    const bool archive_ok = archive != nullptr && (*archive)["status"] == "success" &&
                            (*archive)["printer"] == print.serial &&
                            archives_of_prints.insert(*named.begin()).second;
    missing_start += idCount("print_started") != 1 ? 1 : 0;
    missing_end += ends != 1 ? 1 : 0;
    archive_problems += archive_ok ? 0 : 1;
    if (idCount("print_started") != 1 || ends != 1 || idCount("print_complete") != 1 || !archive_ok) {
      suspects.insert(print.serial);
      ADD_FAILURE() << name << " on " << print.serial << ": print_started under " << idCount("print_started")
                    << " webhook-id(s), print_complete under " << idCount("print_complete") << ", ends under "
                    << ends << "; " << named.size() << " archive id(s) named"
                    << (archive != nullptr ? ", " + archive->dump().substr(0, 400) : std::string());
    }
  }
  for (const json& a : all) {
    if (archives_of_prints.count(a["id"].get<int64_t>()) == 0) {
      ADD_FAILURE() << "an archive of no print (or a second one): " << a.dump().substr(0, 400);
      if (a["printer"].is_string()) {
        suspects.insert(a["printer"].get<std::string>());
      }
    }
  }
  // The first arrival of each webhook-id about one printer follows the printer's prints: start
  // before end, and a print's end before the next one's start.
  size_t out_of_order = 0;
  for (const auto& [printer, sequence] : first_arrivals) {
    if (!std::is_sorted(sequence.begin(), sequence.end())) {
      ++out_of_order;
      suspects.insert(printer);
      ADD_FAILURE() << "events about " << printer << " arrived out of order";
    }
  }

  int64_t up_total = 0;
  for (int64_t u : uptimes_ms) {
    up_total += u;
  }
  std::printf(
      "[KillSoak] seed %u: %d kills (uptime after ready %.1f s on average); outage (kill -> all %d printers "
      "shown connected again) median %.2f s, longest %.2f s\n",
      seed, rounds, rounds > 0 ? static_cast<double>(up_total) / rounds / 1000.0 : 0.0, kPrinters,
      static_cast<double>(percentileMs(outages_ms, 50)) / 1000.0,
      static_cast<double>(percentileMs(outages_ms, 100)) / 1000.0);
  std::printf(
      "[KillSoak] prints started by the simulator %zu (refused starts %zu); of them not in the journal "
      "(no server could have stored them) %zu, unexplained %zu; settled %s\n",
      prints.size(), starter.refused(), unstored, unexplained, settled ? "yes" : "NO");
  std::printf("[KillSoak] webhooks received %zu (answered 503: %zu, repeats of a webhook-id: %zu); distinct: "
              "print_started %zu, print_complete %zu, print_failed %zu, print_cancelled %zu\n",
              got.size(), refused, repeats, distinct_by_event["print_started"],
              distinct_by_event["print_complete"], distinct_by_event["print_failed"],
              distinct_by_event["print_cancelled"]);
  std::printf(
      "[KillSoak] archives %zu; stored prints without exactly one start %zu, without exactly one end %zu, "
      "with an archive problem %zu; printers with events out of order %zu; print_complete %zu, "
      "print_failed %zu; print_started without a filename (decided before the report named the file) "
      "%zu\n",
      all.size(), missing_start, missing_end, archive_problems, out_of_order, complete, failed,
      unnamed_starts);
  for (const std::string& serial : suspects) {
    std::printf("[KillSoak] webhooks about %s:\n", serial.c_str());
    for (const Arrival& a : got) {
      if (a.printer == serial) {
        std::printf("  #%zu %s '%s' %s archive %lld -> %d\n", a.index, a.event.c_str(), a.filename.c_str(),
                    a.webhook_id.c_str(), static_cast<long long>(a.archive_id), a.status);
      }
    }
    std::printf("[KillSoak] prints of %s:", serial.c_str());
    for (const auto& [name, print] : prints) {
      if (print.serial == serial) {
        std::printf(" %s (%lld..%lld ms)", name.c_str(), static_cast<long long>(print.started_ms - t0_ms),
                    static_cast<long long>(print.finished_ms - t0_ms));
      }
    }
    std::printf("\n[KillSoak] the server's log about %s:\n%s", serial.c_str(), logLines(serial).c_str());
  }
  EXPECT_TRUE(settled) << "every started print's end reached the receiver";
  EXPECT_GE(prints.size() - unstored, static_cast<size_t>(kPrinters)) << "the soak printed something";
  EXPECT_EQ(all.size(), prints.size() - unstored) << "one archive per stored print, none made up";
}

// The printers' MQTT connections as the broker logged them: for each serial, whether two server
// processes (client ids bambuddy_<serial>_<pid>_<n>) were ever connected at once. A process's own
// reconnect may be logged before its old connection's close, so only different pids count.
std::vector<std::string> overlappingConnections(const std::string& broker_log,
                                                std::set<std::string>* pids_seen) {
  static const std::regex kClient("bambuddy_([A-Za-z0-9]+)_([0-9]+)_([0-9]+)");
  std::map<std::string, std::map<std::string, std::string>> open; // serial -> client id -> pid
  std::vector<std::string> overlaps;
  std::istringstream lines(broker_log);
  std::string line;
  while (std::getline(lines, line)) {
    std::smatch m;
    if (!std::regex_search(line, m, kClient)) {
      continue;
    }
    const std::string serial = m[1], pid = m[2], id = m[0];
    if (line.find("New client connected") != std::string::npos) {
      pids_seen->insert(pid);
      for (const auto& [other, other_pid] : open[serial]) {
        if (other_pid != pid) {
          overlaps.push_back(serial + ": " + id + " connected while " + other + " was");
        }
      }
      open[serial][id] = pid;
    } else if (line.find("closed its connection") != std::string::npos ||
               line.find("disconnect") != std::string::npos ||
               line.find("Socket error") != std::string::npos) {
      open[serial].erase(id);
    }
  }
  return overlaps;
}

// The failover test: two server instances on one PostgreSQL database (cluster.enabled),
// 20 Bambu printers mid-print, the instance connected to them killed with SIGKILL. The other
// connects every printer within 30 s, and the broker never sees two instances connected to one
// printer; each print has its print_started and print_complete at the receiver (at least once,
// one webhook-id each, start first) and exactly one archive. Runs in the postgresql.* pass (an
// SQLite file belongs to one process).
TEST_F(PipelineTest, AKilledInstancesPrintersAreTakenOverAndNoEventIsLostOrDoubled) {
  WallClock clock("Failover");
  if (!onSharedPostgres()) {
    GTEST_SKIP()
        << "several instances share a PostgreSQL database: this test runs as postgresql.PipelineTest.*";
  }
  constexpr int kPrinters = 20;
  constexpr int kJobS = 45; // long enough to outlast the takeover
  MosquittoBroker broker(MosquittoBrokerOptions{"bblp", kAccessCode});
  broker.start();
  BambuSimProcess sim({"--host", broker.host(), "--port", std::to_string(broker.port()), "--cafile",
                       broker.caFile(), "--user", broker.user(), "--password", broker.password(), "--count",
                       std::to_string(kPrinters), "--serial-prefix", "FAIL", "--interval-ms", "500",
                       "--storage-dir", dir_.file("cards")});
  ASSERT_TRUE(sim.waitLine("ready", 60000)) << sim.transcript();
  std::set<std::string> serials;
  for (const std::string& line : sim.lines()) {
    if (line.rfind("connected ", 0) == 0) {
      serials.insert(line.substr(10));
    }
  }
  ASSERT_EQ(serials.size(), static_cast<size_t>(kPrinters)) << sim.transcript();
  // One printer gets its card served over FTPS, so a queued job can start on it after the failover.
  const std::string queued_serial = *serials.begin();
  FtpsServerOptions ftp;
  ftp.password = kAccessCode;
  ftp.storage_dir = dir_.file("cards") + "/" + queued_serial;
  FtpsServer ftps(ftp);
  ftps.start();

  WebhookSink sink;
  std::string printers_yaml =
      bambuPrintersYaml(std::vector<std::string>(serials.begin(), serials.end()), broker);
  const std::string queued_settings = "serial: " + queued_serial + ",";
  const size_t queued_at = printers_yaml.find(queued_settings);
  printers_yaml.replace(queued_at, queued_settings.size(),
                        queued_settings + " ftp_port: " + std::to_string(ftps.port()) + ",");
  // Its tls.ca_file trusts both the broker's CA and the FTPS server's own certificate.
  auto fileText = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  };
  const std::string bundle =
      dir_.write("queued-ca.pem", fileText(broker.caFile()) + fileText(ftps.certFile()));
  const size_t ca_at = printers_yaml.find(broker.caFile(), queued_at);
  ASSERT_NE(ca_at, std::string::npos) << printers_yaml;
  printers_yaml.replace(ca_at, broker.caFile().size(), bundle);
  std::ostringstream yaml;
  yaml << header("cluster: {enabled: true}\n") << webhookYaml(sink.url()) << printers_yaml;
  config_ = dir_.write("bambuddy.yaml", yaml.str()); // both instances: same file, same database
  ASSERT_NO_FATAL_FAILURE(startServer());
  std::unique_ptr<ServerProcess> first = std::move(server_);
  ASSERT_NO_FATAL_FAILURE(startServer());
  std::unique_ptr<ServerProcess> second = std::move(server_);

  // Every instance shows every printer's live status; connected_by tells which one connects it.
  std::string first_id;
  ASSERT_TRUE(waitUntil(
      [&] { return !(first_id = instanceConnectingAll(first->port(), kAdminKey, kPrinters)).empty(); }, 30000,
      100))
      << "the first instance connects every printer\n"
      << tail(first->log());
  server_ = std::move(second);
  Answer listed = api("GET", "/api/v1/printers?limit=1000");
  ASSERT_EQ(listed.status, 200) << listed.raw;
  EXPECT_EQ(listed.body.value("total", 0), kPrinters) << "the standby answers the API too";
  EXPECT_TRUE(waitUntil(
      [&] {
        return connectedPrintersBy(server_->port(), kAdminKey) ==
               std::map<std::string, int>{{first_id, kPrinters}};
      },
      10000, 100))
      << "the standby shows every printer connected by the first, and connects none itself";

  ASSERT_TRUE(sim.send("start failover.3mf " + std::to_string(kJobS)));
  auto countEvents = [&](const std::string& event) {
    std::set<std::string> printers;
    for (const Arrival& a : sink.arrivals()) {
      if (a.event == event && a.status == 200) {
        printers.insert(a.printer);
      }
    }
    return printers.size();
  };
  ASSERT_TRUE(
      waitUntil([&] { return countEvents("print_started") == static_cast<size_t>(kPrinters); }, 30000, 100))
      << "every print_started delivered before the kill\n"
      << tail(first->log());
  const std::string some_printer =
      "/api/v1/printers/" + std::to_string(listed.body["items"][0]["id"].get<int64_t>());
  EXPECT_TRUE(waitUntil(
      [&] { return api("GET", some_printer + "/status").body.value("state", "") == "printing"; }, 10000, 100))
      << "the standby shows the print the first instance sees: " << api("GET", some_printer + "/status").raw;
  // A job queued (on the standby) behind the print in progress on one printer.
  int64_t queued_printer = 0;
  for (const json& item : listed.body["items"]) {
    if (item.value("name", "") == queued_serial) {
      queued_printer = item.value("id", int64_t{0});
    }
  }
  ASSERT_GT(queued_printer, 0) << listed.raw;
  HttpResult uploaded =
      httpRequest("127.0.0.1", server_->port(), "POST", "/api/v1/archives?filename=queued.3mf",
                  multiPlateThreeMf("Queued", {{1, 30, 2.0}}),
                  {{"X-API-Key", kAdminKey}, {"Content-Type", "application/octet-stream"}}, 30000);
  ASSERT_EQ(uploaded.status, 201) << uploaded.body;
  Answer queued = api("POST", "/api/v1/queue",
                      json{{"archive_id", json::parse(uploaded.body).value("id", int64_t{0})},
                           {"printer_id", queued_printer}});
  ASSERT_EQ(queued.status, 201) << queued.raw;
  const std::string queued_item = "/api/v1/queue/" + std::to_string(queued.body.value("id", int64_t{0}));
  // Print control asked of the standby is carried out by the instance connected to the printer.
  auto stateOn = [&](const std::string& wanted) {
    return waitUntil([&] { return api("GET", some_printer + "/status").body.value("state", "") == wanted; },
                     10000, 50);
  };
  Answer paused = api("POST", some_printer + "/print/pause");
  EXPECT_EQ(paused.status, 200) << paused.raw;
  EXPECT_TRUE(stateOn("paused")) << api("GET", some_printer + "/status").raw;
  Answer resumed = api("POST", some_printer + "/print/resume");
  EXPECT_EQ(resumed.status, 200) << resumed.raw;
  EXPECT_TRUE(stateOn("printing")) << api("GET", some_printer + "/status").raw;
  Answer misfit = api("POST", some_printer + "/print/resume");
  EXPECT_EQ(misfit.status, 409) << "the holder's answer, relayed as it is: " << misfit.raw;

  const int64_t killed_at = steadyMs();
  ASSERT_EQ(::kill(first->pid(), SIGKILL), 0);
  first->waitExit(10000);
  ASSERT_TRUE(waitUntil(
      [&] { return !instanceConnectingAll(server_->port(), kAdminKey, kPrinters, first_id).empty(); }, 30000,
      100))
      << "every printer connected by the survivor within 30 s\n"
      << tail(server_->log());
  const int64_t takeover_ms = steadyMs() - killed_at;
  EXPECT_EQ(httpRequest("127.0.0.1", server_->port(), "GET", "/health/farm").status, 200)
      << "the survivor passes the load balancer's check";
  std::printf("[Failover] kill -> all %d printers connected by the other instance: %lld ms\n", kPrinters,
              static_cast<long long>(takeover_ms));
  std::fflush(stdout);

  ASSERT_TRUE(waitUntil([&] { return countEvents("print_complete") == static_cast<size_t>(kPrinters); },
                        kJobS * 1000 + 60000, 200))
      << "every print_complete delivered by the survivor\n"
      << tail(server_->log());

  // At least once, one webhook-id per (printer, event), the start first.
  std::map<std::pair<std::string, std::string>, std::set<std::string>> ids;
  std::map<std::pair<std::string, std::string>, size_t> first_index;
  for (const Arrival& a : sink.arrivals()) {
    const auto key = std::make_pair(a.printer, a.event);
    ids[key].insert(a.webhook_id);
    first_index.emplace(key, a.index);
  }
  for (const std::string& serial : serials) {
    const auto started = std::make_pair(serial, std::string("print_started"));
    const auto complete = std::make_pair(serial, std::string("print_complete"));
    EXPECT_EQ(ids[started].size(), 1u) << serial << ": one print_started, one webhook-id";
    EXPECT_EQ(ids[complete].size(), 1u) << serial << ": one print_complete, one webhook-id";
    EXPECT_LT(first_index[started], first_index[complete]) << serial;
  }
  std::map<std::string, int> archives_per_printer;
  for (const json& archive : archives()) {
    const json printer = archive.value("printer", json(nullptr));
    archives_per_printer[printer.is_string() ? printer.get<std::string>() : std::string("?")] += 1;
  }
  for (const std::string& serial : serials) {
    EXPECT_EQ(archives_per_printer[serial], 1) << serial << ": exactly one archive for its print";
  }
  std::set<std::string> pids;
  const std::vector<std::string> overlaps = overlappingConnections(broker.log(), &pids);
  EXPECT_EQ(pids.size(), 2u)
      << "the broker's log shows both instances' connections (the check above is not vacuous)";
  EXPECT_TRUE(overlaps.empty()) << overlaps.size() << " overlapping connections, first: " << overlaps.front();

  // The queue goes on: on the survivor, the job queued before the kill starts once the plate is clear.
  EXPECT_EQ(api("GET", queued_item).body.value("status", ""), "pending") << api("GET", queued_item).raw;
  const std::string queued_base = "/api/v1/printers/" + std::to_string(queued_printer);
  ASSERT_TRUE(
      waitUntil([&] { return api("GET", queued_base + "/status").body.value("awaiting_plate_clear", false); },
                10000, 100))
      << api("GET", queued_base + "/status").raw;
  Answer cleared = api("POST", queued_base + "/plate-cleared");
  ASSERT_EQ(cleared.status, 200) << cleared.raw;
  std::string queue_status;
  EXPECT_TRUE(waitUntil(
      [&] {
        queue_status = api("GET", queued_item).body.value("status", "");
        return queue_status == "printing" || queue_status == "completed";
      },
      60000, 200))
      << "the survivor's dispatcher started the queued job; last: " << api("GET", queued_item).raw << "\n"
      << tail(server_->log());
  EXPECT_TRUE(waitUntil([&] { return ftps.countInCommandLog("STOR") == 1; }, 30000, 100))
      << "the job's file goes to the printer: " << ftps.commandLog();
}

} // namespace pipeline_test
} // namespace bambuddy::testing
