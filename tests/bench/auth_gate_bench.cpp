// Microbenchmarks of the request gate: one authenticated read request through AuthGate (auth
// plugin call through the real plugin host, permission check, rate-limit accounting and headers),
// and SlidingWindowLimiter::tryAcquire alone. The budget for the gate is 5 us per request.
//
// The test plugin compares keys as plain strings; a real plugin adds one SHA-256 of the key and a
// hash-map lookup (well under a microsecond).
#include "auth/audit_log.h"
#include "auth/auth_gate.h"
#include "auth/rate_limiter.h"

#include "config/core_config.h"
#include "plugins/plugin_host.h"
#include "support/core_services.h"

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <memory>

namespace {

using namespace bambuddy;

// One host with the test auth plugin loaded, shared by every benchmark run.
struct Fixture {
  Fixture() {
    host = std::make_unique<plugins::PluginHost>(plugins::HostServices{
        core.logger(), core.bus(), core.kv(), core.dir().path(), [] { return int64_t{0}; }});
    std::string yaml = "data_dir: " + core.dir().path() + "\nplugins:\n  search_path: []\n  load:\n" +
                       "    - name: auth.test\n      path: " + std::string(AUTH_TEST_PLUGIN) + "\n";
    config::Environment env;
    env.exe_dir = core.dir().path();
    host->loadAll(config::parseCoreConfig(yaml, core.dir().file("bambuddy.yaml"), env));
  }
  ~Fixture() { host.reset(); }

  testing::CoreServices core;
  std::unique_ptr<plugins::PluginHost> host;
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void BM_AuthGateAuthenticatedRead(benchmark::State& state) {
  Fixture& f = fixture();
  // A limit high enough never to refuse, so every iteration takes the full accepted path; the
  // clock advances 1 ms per call so the window keeps sliding (entries expire as they would live).
  auth::AuthSettings settings;
  settings.read_limit = 100000;
  std::atomic<int64_t> now{1705329000000};
  auth::AuthGate gate(settings, *f.host, nullptr, f.core.logger(), [&now] { return now.fetch_add(1); });

  http::RouteSpec route;
  route.method = http::Method::Get;
  route.pattern = "/api/v1/printers/{id}/status";
  route.permission = "printers:read";
  route.rate_class = http::RateClass::Read;

  http::Request request;
  request.method = http::Method::Get;
  request.path = "/api/v1/printers/3/status";
  request.client_ip = "127.0.0.1";
  request.headers = {{"Host", "127.0.0.1:8080"},
                     {"User-Agent", "bench"},
                     {"Accept", "application/json"},
                     {"X-API-Key", "bb_test_reader"}};
  std::vector<std::pair<std::string, std::string>> headers;
  headers.reserve(8);
  for (auto _ : state) {
    headers.clear();
    request.principal.reset();
    auto refused = gate(route, request, headers);
    if (refused) {
      state.SkipWithError("the gate refused the request");
      break;
    }
    benchmark::DoNotOptimize(headers.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AuthGateAuthenticatedRead)->ThreadRange(1, 4)->UseRealTime();

void BM_AuthGateForbidden(benchmark::State& state) {
  Fixture& f = fixture();
  std::atomic<int64_t> now{1705329000000};
  auth::AuthGate gate(auth::AuthSettings{}, *f.host, nullptr, f.core.logger(),
                      [&now] { return now.fetch_add(1); });
  http::RouteSpec route;
  route.method = http::Method::Post;
  route.pattern = "/api/v1/printers/{id}/print/pause";
  route.permission = "printers:control";
  route.rate_class = http::RateClass::Control;
  http::Request request;
  request.method = http::Method::Post;
  request.path = "/api/v1/printers/3/print/pause";
  request.client_ip = "127.0.0.1";
  request.headers = {{"X-API-Key", "bb_test_reader"}};
  std::vector<std::pair<std::string, std::string>> headers;
  for (auto _ : state) {
    headers.clear();
    benchmark::DoNotOptimize(gate(route, request, headers));
  }
}
BENCHMARK(BM_AuthGateForbidden);

// A flood of wrong keys and keyless requests from a few addresses, audited: each refusal is a
// plugin call, a limiter count and one aggregated audit tally (no database write per request).
void BM_AuthGateRefusalFlood(benchmark::State& state) {
  Fixture& f = fixture();
  static auth::AuditLog audit(f.core.database(), f.core.bus(), f.core.logger(),
                              int64_t{90} * 24 * 3600 * 1000);
  std::atomic<int64_t> now{1705329000000};
  auth::AuthGate gate(auth::AuthSettings{}, *f.host, &audit, f.core.logger(),
                      [&now] { return now.fetch_add(1); });
  http::RouteSpec route;
  route.method = http::Method::Get;
  route.pattern = "/api/v1/printers";
  route.permission = "printers:read";
  route.rate_class = http::RateClass::Read;
  http::Request request;
  request.method = http::Method::Get;
  request.path = "/api/v1/printers";
  std::vector<std::pair<std::string, std::string>> headers;
  int64_t i = 0;
  for (auto _ : state) {
    headers.clear();
    request.client_ip = "198.51.100." + std::to_string(i % 8);
    request.headers.clear();
    if (i % 2 == 0) {
      request.headers.emplace_back("X-API-Key", "bb_wrong_guess");
    }
    ++i;
    benchmark::DoNotOptimize(gate(route, request, headers));
  }
  state.SetItemsProcessed(state.iterations());
  audit.flush(10000);
  state.counters["audit_rows"] = static_cast<double>(audit.list({}).total);
}
BENCHMARK(BM_AuthGateRefusalFlood);

void BM_LimiterTryAcquire(benchmark::State& state) {
  static auth::SlidingWindowLimiter limiter;
  const std::string key = "key-" + std::to_string(state.thread_index());
  int64_t now = 1705329000000;
  for (auto _ : state) {
    benchmark::DoNotOptimize(limiter.tryAcquire(key, 100000, ++now));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LimiterTryAcquire)->ThreadRange(1, 8)->UseRealTime();

// Refusals: the key is at its limit, so each call walks to a decision without storing.
void BM_LimiterRefuse(benchmark::State& state) {
  auth::SlidingWindowLimiter limiter;
  const std::string key = "busy-key";
  int64_t now = 1705329000000;
  for (int i = 0; i < 100; ++i) {
    limiter.tryAcquire(key, 100, now);
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(limiter.tryAcquire(key, 100, now + 1));
  }
}
BENCHMARK(BM_LimiterRefuse);

} // namespace

BENCHMARK_MAIN();
