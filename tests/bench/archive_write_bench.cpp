// What an archive write costs now that each one also keeps the day, week, month and year totals
// (four upserts per contribution, eight for an update that moves the archive between groups; ADR
// 0008) and the trigram search index (triggers). Real SQLite in a temp directory, through
// ArchiveStore, one transaction per write as the server does. Prints figures; never fails on time.
//
//   build/tests/bench/archive_write_bench
#include "archives/archive_store.h"
#include "support/core_services.h"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

namespace {

using bambuddy::archives::ArchiveRecord;
using bambuddy::archives::ArchiveStore;

constexpr int64_t kT0 = 1705276800000; // 2024-01-15T00:00:00Z

ArchiveRecord print(int64_t i) {
  ArchiveRecord r;
  r.status = i % 5 ? "success" : "failed";
  r.name = "Bracket plate " + std::to_string(i);
  r.filename = "bracket_" + std::to_string(i) + ".3mf";
  r.notes = "";
  r.printer_id = 1 + i % 20;
  r.printer_name = "Printer " + std::to_string(1 + i % 20);
  r.started_at_ms = kT0 + i * 300000; // one every 5 minutes
  r.duration_s = 3600 + i % 600;
  r.filament_used_g = 12.5;
  r.created_at_ms = *r.started_at_ms;
  r.updated_at_ms = r.created_at_ms;
  return r;
}

void insert(benchmark::State& state) {
  bambuddy::testing::CoreServices core;
  ArchiveStore store(core.database());
  int64_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(store.insert(print(i++)));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(insert)->Unit(benchmark::kMicrosecond);

// A print ending: status, duration and filament change (the groups' sums move, the key does too).
void finish(benchmark::State& state) {
  bambuddy::testing::CoreServices core;
  ArchiveStore store(core.database());
  std::vector<ArchiveRecord> rows;
  for (int64_t i = 0; i < 2000; ++i) {
    ArchiveRecord r = print(i);
    r.status = "printing";
    rows.push_back(store.insert(r));
  }
  size_t next = 0;
  for (auto _ : state) {
    ArchiveRecord& r = rows[next++ % rows.size()];
    r.status = r.status == "success" ? "failed" : "success";
    r.duration_s = *r.duration_s + 1;
    benchmark::DoNotOptimize(store.update(r));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(finish)->Unit(benchmark::kMicrosecond);

} // namespace

BENCHMARK_MAIN();
