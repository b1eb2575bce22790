// Cost of the JSON depth/size pre-check (bambuddy/json_limits.hpp) next to the parse it guards,
// on real printer reports: every report of every printer goes through it (1000 printers at one
// report a second each is 1000 checks a second). Prints figures; never fails on time.
//
//   build/tests/bench/json_limits_bench
#include <bambuddy/json_limits.hpp>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <string>

namespace {

std::string fixture(const char* name) {
  std::ifstream in(std::string(BAMBU_FIXTURES) + "/" + name, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void checkOnly(benchmark::State& state, const std::string& text) {
  for (auto _ : state) {
    bambuddy::sdk::JsonLimitCheck check = bambuddy::sdk::checkJsonLimits(text);
    benchmark::DoNotOptimize(check);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["bytes"] = static_cast<double>(text.size());
}

void parseOnly(benchmark::State& state, const std::string& text) {
  for (auto _ : state) {
    nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
    benchmark::DoNotOptimize(doc);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["bytes"] = static_cast<double>(text.size());
}

const std::string kVersionReport = fixture("h2d-get-version.json");     // 2.8 KB
const std::string kPushallReport = fixture("p2s-pushall-running.json"); // 12 KB
const std::string kAttack3 = "{\"currency\":" + std::string(200000, '[') + std::string(200000, ']') + "}";

void BM_Check_Report2KB(benchmark::State& s) {
  checkOnly(s, kVersionReport);
}
void BM_Parse_Report2KB(benchmark::State& s) {
  parseOnly(s, kVersionReport);
}
void BM_Check_Report12KB(benchmark::State& s) {
  checkOnly(s, kPushallReport);
}
void BM_Parse_Report12KB(benchmark::State& s) {
  parseOnly(s, kPushallReport);
}
// The refusal stops at the 65th bracket, however long the input (so no bytes/s here).
void BM_Check_Attack3(benchmark::State& s) {
  for (auto _ : s) {
    bambuddy::sdk::JsonLimitCheck check = bambuddy::sdk::checkJsonLimits(kAttack3);
    benchmark::DoNotOptimize(check);
  }
}

BENCHMARK(BM_Check_Report2KB);
BENCHMARK(BM_Parse_Report2KB);
BENCHMARK(BM_Check_Report12KB);
BENCHMARK(BM_Parse_Report12KB);
BENCHMARK(BM_Check_Attack3);

} // namespace

BENCHMARK_MAIN();
