// Failover time with several server instances on one PostgreSQL database (cluster.enabled): two
// instances, N Bambu printers (the simulator on a real mosquitto, so they outlive the servers),
// the instance connected to them killed with SIGKILL, the time until the other shows every printer
// connected; then the killed one is started again as the new standby, and the next round kills the
// new leader. Prints each round and p50 / max; never passes or fails. PostgreSQL 15 runs in a temp
// dir (tests/support/postgres_server.h), with fsync off.
//
// usage: failover_bench [--rounds 10] [--printers 20] [--heartbeat-ms 2000] [--lease-ms 10000]
#include "support/bambu_sim_process.h"
#include "support/http_client.h"
#include "support/mosquitto_broker.h"
#include "support/postgres_server.h"
#include "support/server_api.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

#include <nlohmann/json.hpp>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace bambuddy::testing;
using nlohmann::json;

const std::string kAdminKey = "bb_fA1lOvErBeNcHkEy0123456789abcdefghijklmnopq";
const std::string kAccessCode = "f4ilov3r";

struct Options {
  int rounds = 10;
  int printers = 20;
  int64_t heartbeat_ms = 2000;
  int64_t lease_ms = 10000;
};

Options parseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const long long v = std::atoll(argv[i + 1]);
    if (a == "--rounds") {
      o.rounds = static_cast<int>(v);
    } else if (a == "--printers") {
      o.printers = static_cast<int>(v);
    } else if (a == "--heartbeat-ms") {
      o.heartbeat_ms = v;
    } else if (a == "--lease-ms") {
      o.lease_ms = v;
    } else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      std::exit(2);
    }
  }
  return o;
}

int64_t steadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Waits until `server` shows every printer connected by one instance other than `other_than`
// (every instance shows every printer's status: connected_by tells who connects it); that
// instance's id, "" on timeout.
std::string waitConnected(const ServerProcess& server, int printers, int64_t timeout_ms,
                          const std::string& other_than = "") {
  const int64_t until = steadyMs() + timeout_ms;
  while (steadyMs() < until) {
    std::string by = instanceConnectingAll(server.port(), kAdminKey, printers, other_than);
    if (!by.empty()) {
      return by;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50)); // polling a condition, with a deadline
  }
  return "";
}

// Until `server` shows every printer connected by `by`.
bool waitForView(const ServerProcess& server, int printers, const std::string& by, int64_t timeout_ms) {
  const int64_t until = steadyMs() + timeout_ms;
  while (steadyMs() < until) {
    const std::map<std::string, int> shown = connectedPrintersBy(server.port(), kAdminKey);
    if (shown.size() == 1 && shown.begin()->first == by && shown.begin()->second == printers) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50)); // polling a condition, with a deadline
  }
  return false;
}

std::unique_ptr<ServerProcess> startServer(const std::string& config, const std::string& url) {
  auto server = std::make_unique<ServerProcess>(
      serverBinary(), std::vector<std::string>{"--config", config},
      std::map<std::string, std::string>{{"BAMBUDDY_ADMIN_KEY", kAdminKey}, {"BAMBUDDY_DATABASE_URL", url}});
  if (!server->waitReady(60000)) {
    // Thrown, not exit(): the destructors stop PostgreSQL, the broker and the other server.
    throw std::runtime_error("server did not start (exit " + std::to_string(server->waitExit(1000)) + "):\n" +
                             server->log());
  }
  return server;
}

} // namespace

int run(const Options& o);

int main(int argc, char** argv) {
  const Options o = parseArgs(argc, argv);
  try {
    return run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "failover_bench: %s\n", e.what());
    return 1;
  }
}

int run(const Options& o) {
  TempDir dir;
  PostgresServer postgres;
  postgres.start();
  const std::string url = postgres.createDatabase("failover");
  MosquittoBroker broker(MosquittoBrokerOptions{"bblp", kAccessCode});
  broker.start();
  BambuSimProcess sim({"--host", broker.host(), "--port", std::to_string(broker.port()), "--cafile",
                       broker.caFile(), "--user", broker.user(), "--password", broker.password(), "--count",
                       std::to_string(o.printers), "--serial-prefix", "FOVR", "--interval-ms", "1000"});
  if (!sim.waitLine("ready", 60000)) {
    std::fprintf(stderr, "simulator did not start:\n%s\n", sim.transcript().c_str());
    return 1;
  }
  std::ostringstream yaml;
  // The polls below (every 50 ms) must not run into the admin key's read limit.
  yaml << "server:\n  listen: 127.0.0.1:0\nauth:\n  rate_limits: {read: 1000000, write: 1000000, control: "
          "1000000}\n"
       << "data_dir: " << dir.file("data") << "\ncluster: {enabled: true, heartbeat_ms: " << o.heartbeat_ms
       << ", lease_ms: " << o.lease_ms << "}\nplugins:\n  search_path: [" << pluginDir()
       << "]\n  load:\n    - name: storage.local\n    - name: auth.apikey\n    - name: printer.bambu\n"
          "      config: {reconnect_min_ms: 100, reconnect_max_ms: 500}\n      instances:\n";
  for (const std::string& line : sim.lines()) {
    if (line.rfind("connected ", 0) == 0) {
      const std::string serial = line.substr(10);
      yaml << "        - id: " << serial << "\n          settings: {host: 127.0.0.1, port: " << broker.port()
           << ", serial: " << serial << ", access_code: \"" << kAccessCode << "\", tls: {ca_file: \""
           << broker.caFile() << "\"}}\n";
    }
  }
  const std::string config = dir.write("bambuddy.yaml", yaml.str());

  std::unique_ptr<ServerProcess> leader = startServer(config, url);
  const int64_t first_started = steadyMs();
  std::string leader_id = waitConnected(*leader, o.printers, 120000);
  if (leader_id.empty()) {
    std::fprintf(stderr, "the first instance did not connect every printer:\n%s\n", leader->log().c_str());
    return 1;
  }
  std::printf("first instance: all printers connected %lld ms after it was ready\n",
              static_cast<long long>(steadyMs() - first_started));
  std::unique_ptr<ServerProcess> standby = startServer(config, url);
  std::printf("failover: %d printers, heartbeat %lld ms, lease %lld ms, %d rounds\n", o.printers,
              static_cast<long long>(o.heartbeat_ms), static_cast<long long>(o.lease_ms), o.rounds);
  std::vector<int64_t> times_ms;
  for (int round = 1; round <= o.rounds; ++round) {
    // The standby's view first: every printer shown connected by the leader (live status reaches
    // a new instance within about a second), so the takeover below is not read off stale rows.
    if (!waitForView(*standby, o.printers, leader_id, 30000)) {
      std::fprintf(stderr, "round %d: the standby never showed the leader's printers\n", round);
      return 1;
    }
    // A random point of the heartbeat cycle, as a real crash would pick.
    std::this_thread::sleep_for(std::chrono::milliseconds(500 + std::rand() % o.heartbeat_ms));
    const int64_t killed_at = steadyMs();
    ::kill(leader->pid(), SIGKILL);
    leader->waitExit(10000);
    const std::string taken_by = waitConnected(*standby, o.printers, 120000, leader_id);
    if (taken_by.empty()) {
      std::fprintf(stderr, "round %d: the standby did not connect every printer in 120 s:\n%s\n", round,
                   standby->log().c_str());
      return 1;
    }
    const int64_t took_ms = steadyMs() - killed_at;
    times_ms.push_back(took_ms);
    std::printf("  round %2d: kill -> all %d printers connected by the other instance: %lld ms\n", round,
                o.printers, static_cast<long long>(took_ms));
    std::fflush(stdout);
    if (took_ms > o.lease_ms + o.heartbeat_ms + 5000) { // beyond the bound: what the standby did meanwhile
      std::istringstream lines(standby->log());
      std::string line;
      while (std::getline(lines, line)) {
        if (line.find("[cluster]") != std::string::npos || line.find("printer") != std::string::npos ||
            line.find("WARN") != std::string::npos) {
          std::printf("    | %s\n", line.c_str());
        }
      }
    }
    leader = std::move(standby);
    leader_id = taken_by;
    standby = startServer(config, url); // the killed instance comes back as the standby
  }
  std::sort(times_ms.begin(), times_ms.end());
  std::printf("failover time: p50 %lld ms, max %lld ms (bound: lease %lld + heartbeat %lld ms + connect)\n",
              static_cast<long long>(times_ms[times_ms.size() / 2]), static_cast<long long>(times_ms.back()),
              static_cast<long long>(o.lease_ms), static_cast<long long>(o.heartbeat_ms));
  standby->stop();
  leader->stop();
  return 0;
}
