// What sharing live printer status through PostgreSQL costs (cluster/live_status_share.h): for
// farms of 20, 100 and 1000 printers, every printer's status answer changes every round (the worst
// case: all printing, each reporting every second); one instance writes them all, another reads
// them. Prints per-round milliseconds (p50, max) of the write and of the read, and the rows per
// second each side sustains. A real PostgreSQL 15 started for the run; figures, never pass/fail.
#include "cluster/live_status_share.h"

#include "common/logger.h"
#include "common/time.h"
#include "storage/database.h"
#include "storage/migrations.h"
#include "support/postgres_server.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace bambuddy;

namespace {

// A status answer the size a Bambu printer's has (about 1 KB of JSON).
nlohmann::json answer(int64_t id, int round) {
  return {
      {"id", id},
      {"name", "Printer " + std::to_string(id)},
      {"connected", true},
      {"state", "printing"},
      {"progress", round % 100},
      {"remaining_time", 3600 - round},
      {"temperature", 219.5},
      {"temperatures", {{"nozzle", 219.5}, {"nozzle_target", 220}, {"bed", 60.1}, {"bed_target", 60}}},
      {"layer", round},
      {"total_layers", 210},
      {"current_print", {{"filename", "benchy_plate_1.gcode.3mf"}, {"started_at", "2026-12-07T12:15:00Z"}}},
      {"errors", nlohmann::json::array()},
      {"print_error", nullptr},
      {"notices", nlohmann::json::array()},
      {"transfer", nullptr},
      {"awaiting_plate_clear", false},
      {"connection_error", nullptr},
      {"updated_at", "2026-12-07T13:00:00Z"},
      {"connected_by", "farm-host-4242-deadbeef"}};
}

struct Figures {
  std::vector<double> write_ms, read_ms;
};

int64_t monotonicMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double p50(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double maxOf(const std::vector<double>& v) {
  return *std::max_element(v.begin(), v.end());
}

} // namespace

int main(int argc, char** argv) {
  int rounds = 20;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--rounds") {
      rounds = std::max(1, std::atoi(argv[i + 1]));
    }
  }
  if (testing::PostgresServer::binDir().empty()) {
    std::fprintf(stderr, "PostgreSQL 15 is not installed (scripts/setup)\n");
    return 1;
  }
  Logger logger(LogLevel::Warn, stderr);
  testing::PostgresServer server;
  server.start();
  std::printf("live status through PostgreSQL: %d rounds per farm size, every printer changed every round\n",
              rounds);
  std::printf("%9s %14s %14s %14s %14s %16s\n", "printers", "write p50 ms", "write max ms", "read p50 ms",
              "read max ms", "rows/s written");
  for (int printers : {20, 100, 1000}) {
    storage::DatabaseOptions options;
    options.url = server.createDatabase("live_" + std::to_string(printers));
    options.pool_size = 2;
    storage::Database db(options, logger);
    storage::migrate(db, storage::coreMigrations(), logger);
    size_t applied = 0;
    cluster::LiveStatusShare writer(db, logger, "farm", 1000, [](const auto&) {});
    cluster::LiveStatusShare reader(db, logger, "standby", 1000,
                                    [&applied](const auto& answers) { applied += answers.size(); });
    Figures f;
    for (int round = 0; round < rounds; ++round) {
      for (int64_t id = 1; id <= printers; ++id) {
        writer.offer(id, answer(id, round));
      }
      const int64_t a = monotonicMicros();
      writer.tick();
      const int64_t b = monotonicMicros();
      reader.tick();
      const int64_t c = monotonicMicros();
      f.write_ms.push_back((b - a) / 1000.0);
      f.read_ms.push_back((c - b) / 1000.0);
    }
    if (applied != static_cast<size_t>(printers) * rounds) {
      std::fprintf(stderr, "the reader applied %zu answers, expected %d\n", applied, printers * rounds);
      return 1;
    }
    std::printf("%9d %14.2f %14.2f %14.2f %14.2f %16.0f\n", printers, p50(f.write_ms), maxOf(f.write_ms),
                p50(f.read_ms), maxOf(f.read_ms), printers / (p50(f.write_ms) / 1000.0));
  }
  return 0;
}
