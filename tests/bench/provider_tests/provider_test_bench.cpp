// Provider tests (POST /api/v1/notifications/{id}/test) against a receiver that accepts and never
// answers, while /health and an authenticated GET are timed over keep-alive connections: their
// p50/p99 without tests, then while `--tests` tests are sent at once and stay in flight (the
// receiver never answers, the plugin timeout is 30 s), and the ratio. Issue 13 part 5 target: p99 < 10 ms
// with 10 parallel tests. Prints figures; never passes or fails.
//
//   provider_test_bench [--tests N] [--seconds S]
#include "support/http_client.h"
#include "support/http_receiver.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using bambuddy::testing::HttpConnection;
using bambuddy::testing::HttpReceiver;
using bambuddy::testing::HttpResult;
using bambuddy::testing::ServerProcess;
using bambuddy::testing::TempDir;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

const std::string kAdminKey = "bb_4550tTgWbiptEq1JRja0PgNYwx8_qsl64_BbwtZLGPA";

struct Figures {
  std::vector<double> health_ms;
  std::vector<double> get_ms;
  int errors = 0;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) {
    return 0;
  }
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

// Alternates GET /health and an authenticated GET on one keep-alive connection each for `seconds`.
Figures measure(uint16_t port, double seconds) {
  Figures f;
  HttpConnection health;
  HttpConnection api;
  if (!health.connect("127.0.0.1", port) || !api.connect("127.0.0.1", port)) {
    f.errors = 1;
    return f;
  }
  const auto until = Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  while (Clock::now() < until) {
    auto t0 = Clock::now();
    HttpResult h = health.request("GET", "/health", "", {}, 30000);
    auto t1 = Clock::now();
    HttpResult g = api.request("GET", "/api/v1/notifications", "", {{"X-API-Key", kAdminKey}}, 30000);
    auto t2 = Clock::now();
    f.errors += (h.status == 200 ? 0 : 1) + (g.status == 200 ? 0 : 1);
    f.health_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    f.get_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return f;
}

void print(const char* label, const Figures& f) {
  std::printf("%-26s n=%-6zu /health p50 %7.2f ms  p99 %7.2f ms  max %8.2f | GET p50 %7.2f ms  p99 %7.2f ms  "
              "max %8.2f | errors %d\n",
              label, f.health_ms.size(), percentile(f.health_ms, 0.5), percentile(f.health_ms, 0.99),
              percentile(f.health_ms, 1.0), percentile(f.get_ms, 0.5), percentile(f.get_ms, 0.99),
              percentile(f.get_ms, 1.0), f.errors);
}

} // namespace

int main(int argc, char** argv) {
  int tests = 10;
  double seconds = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--tests") == 0) {
      tests = std::max(1, std::atoi(argv[i + 1]));
    } else if (std::strcmp(argv[i], "--seconds") == 0) {
      seconds = std::max(1.0, std::atof(argv[i + 1]));
    }
  }
  TempDir dir;
  HttpReceiver silent;
  silent.setDefault({200, {}, "", 600000}); // accepts, reads the request, never answers
  const std::string config =
      dir.write("bambuddy.yaml",
                "server:\n  listen: 127.0.0.1:0\n"
                "auth:\n  rate_limits: {read: 1000000, write: 1000000, control: 1000000}\n"
                "notifications:\n  retry_schedule_s: [0, 3600]\n  attempt_timeout_ms: 30000\n"
                "data_dir: " +
                    dir.file("data") + "\nplugins:\n  search_path: [" + bambuddy::testing::pluginDir() +
                    "]\n  load:\n    - name: storage.local\n    - name: auth.apikey\n"
                    "    - name: notifier.webhook\n");
  ServerProcess server(bambuddy::testing::serverBinary(), {"--config", config},
                       {{"BAMBUDDY_ADMIN_KEY", kAdminKey}});
  if (!server.waitReady()) {
    std::fprintf(stderr, "server did not start:\n%s\n", server.log().c_str());
    return 1;
  }
  const std::vector<std::pair<std::string, std::string>> auth = {{"X-API-Key", kAdminKey},
                                                                 {"Content-Type", "application/json"}};
  // A 30 s plugin timeout: each test holds its test thread for the whole window, as the issue's
  // "receiver that accepts and never answers" does with the default settings.
  HttpResult created = bambuddy::testing::httpRequest(
      "127.0.0.1", server.port(), "POST", "/api/v1/notifications",
      json{{"type", "webhook"},
           {"name", "silent"},
           {"settings", {{"url", silent.url("/never")}, {"timeout_ms", 30000}}}}
          .dump(),
      auth);
  if (created.status != 201) {
    std::fprintf(stderr, "creating the provider failed: %d %s\n", created.status, created.body.c_str());
    return 1;
  }
  const std::string test_path =
      "/api/v1/notifications/" + std::to_string(json::parse(created.body)["id"].get<int64_t>()) + "/test";

  std::printf("provider tests against a receiver that never answers; %d parallel senders, %.0f s per phase\n",
              tests, seconds);
  measure(server.port(), 1); // warm-up
  Figures idle = measure(server.port(), seconds);

  // The tests: `tests` POSTs at once, 0.2 s into the measured window; each holds a test thread (or
  // waits for one) for the rest of it, since the receiver never answers and the timeout is 30 s.
  std::atomic<int> accepted{0};
  std::atomic<int> refused{0};
  std::atomic<int> other{0};
  std::vector<double> post_ms(static_cast<size_t>(tests));
  std::vector<std::thread> senders;
  std::thread firing([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    for (int i = 0; i < tests; ++i) {
      senders.emplace_back([&, i] {
        auto t0 = Clock::now();
        HttpResult r =
            bambuddy::testing::httpRequest("127.0.0.1", server.port(), "POST", test_path, "", auth, 60000);
        post_ms[static_cast<size_t>(i)] =
            std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        if (r.status == 202) {
          ++accepted;
        } else if (r.status == 429) {
          ++refused;
        } else {
          ++other;
        }
      });
    }
  });
  Figures busy = measure(server.port(), seconds);
  firing.join();
  for (std::thread& t : senders) {
    t.join();
  }
  const size_t at_receiver = silent.requestCount();

  print("without tests", idle);
  print("with tests in flight", busy);
  std::printf("ratio with/without        /health p50 x%.2f  p99 x%.2f | GET p50 x%.2f  p99 x%.2f\n",
              percentile(busy.health_ms, 0.5) / std::max(0.001, percentile(idle.health_ms, 0.5)),
              percentile(busy.health_ms, 0.99) / std::max(0.001, percentile(idle.health_ms, 0.99)),
              percentile(busy.get_ms, 0.5) / std::max(0.001, percentile(idle.get_ms, 0.5)),
              percentile(busy.get_ms, 0.99) / std::max(0.001, percentile(idle.get_ms, 0.99)));
  std::printf(
      "POST /test: %d answered 202, %d answered 429 (test threads full), %d other; answer p50 %.2f ms "
      "max %.2f ms; %zu requests reached the silent receiver (4 test threads)\n",
      accepted.load(), refused.load(), other.load(), percentile(post_ms, 0.5), percentile(post_ms, 1.0),
      at_receiver);
  silent.stop(); // the tests in flight end now instead of after their timeout
  return 0;
}
