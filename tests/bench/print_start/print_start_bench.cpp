// Starting a print on a Bambu printer, measured end to end through the real server: how long
// POST /printers/{id}/print/start takes to answer, how fast the 3MF goes to the printer's storage
// (FTPS to a local proftpd), how long until the printer reports printing, and the server's CPU time
// for all of it. One archive per run, so every run uploads; a last run repeats a file the printer
// already holds (no upload). The status is polled every 20 ms, which the server's CPU includes.
// Prints figures; never passes or fails.
#include "proc_stats.h"
#include "support/bambu_sim_process.h"
#include "support/ftps_server.h"
#include "support/http_client.h"
#include "support/mosquitto_broker.h"
#include "support/server_process.h"
#include "support/temp_dir.h"
#include "support/three_mf_sample.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace bambuddy::testing;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

const std::string kAdminKey = "bb_PbEnCh7wQ2xV9sL4mK8nR3tY6uI1oA5dF0gH-jZcXeB";
const std::string kAccessCode = "b3nchc0de";
const std::string kSerial = "01S00BENCH00001";

double msSince(Clock::time_point t0, Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(t - t0).count();
}

struct Bench {
  TempDir dir;
  std::unique_ptr<MosquittoBroker> broker;
  std::unique_ptr<BambuSimProcess> sim;
  std::unique_ptr<FtpsServer> ftps;
  std::unique_ptr<ServerProcess> server;
  int64_t printer = 0;

  json call(const std::string& method, const std::string& path, const std::string& body = "",
            const std::string& type = "application/json", int* status = nullptr) {
    std::vector<std::pair<std::string, std::string>> headers = {{"X-API-Key", kAdminKey}};
    if (!body.empty()) {
      headers.emplace_back("Content-Type", type);
    }
    HttpResult r = httpRequest("127.0.0.1", server->port(), method, path, body, headers, 120000);
    if (status != nullptr) {
      *status = r.status;
    }
    return json::parse(r.body, nullptr, false);
  }

  void setUp() {
    broker = std::make_unique<MosquittoBroker>(MosquittoBrokerOptions{"bblp", kAccessCode});
    broker->start();
    std::vector<std::string> args = BambuSimProcess::argsFor(*broker, kSerial, 200);
    args.insert(args.end(), {"--storage-dir", dir.file("storage"), "--time-scale", "0.0005"});
    sim = std::make_unique<BambuSimProcess>(args);
    if (!sim->waitLine("ready", 15000)) {
      throw std::runtime_error("simulator not ready: " + sim->transcript());
    }
    FtpsServerOptions ftp;
    ftp.password = kAccessCode;
    ftp.storage_dir = dir.file("storage") + "/" + kSerial;
    ftps = std::make_unique<FtpsServer>(ftp);
    ftps->start();
    std::string yaml = "server:\n  listen: 127.0.0.1:0\n"
                       "auth:\n  rate_limits: {read: 1000000, write: 1000000, control: 1000000}\n"
                       "data_dir: " +
                       dir.file("data") + "\nplugins:\n  search_path: [" + pluginDir() +
                       "]\n  load:\n    - name: storage.local\n    - name: auth.apikey\n"
                       "    - name: printer.bambu\n";
    server = std::make_unique<ServerProcess>(
        serverBinary(), std::vector<std::string>{"--config", dir.write("bambuddy.yaml", yaml)},
        std::map<std::string, std::string>{{"BAMBUDDY_ADMIN_KEY", kAdminKey}});
    if (!server->waitReady()) {
      throw std::runtime_error("server not ready: " + server->log());
    }
    json created = call("POST", "/api/v1/printers",
                        json{{"name", "Bench"},
                             {"driver", "printer.bambu"},
                             {"require_plate_clear", false},
                             {"settings",
                              {{"host", "127.0.0.1"},
                               {"port", broker->port()},
                               {"serial", kSerial},
                               {"access_code", kAccessCode},
                               {"ftp_port", ftps->port()}}}}
                            .dump());
    printer = created.value("id", 0);
    waitStatus([](const json& s) { return s["connected"] == true; }, 20000);
  }

  std::optional<json> waitStatus(const std::function<bool(const json&)>& check, int64_t timeout_ms) {
    auto until = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (Clock::now() < until) {
      json s = call("GET", "/api/v1/printers/" + std::to_string(printer) + "/status");
      if (check(s)) {
        return s;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return std::nullopt;
  }
};

} // namespace

int main(int argc, char** argv) {
  uint64_t size_mb = 50;
  int runs = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--size-mb") == 0) {
      size_mb = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (std::strcmp(argv[i], "--runs") == 0) {
      runs = std::atoi(argv[i + 1]);
    }
  }
  std::printf("print_start_bench: %llu MB 3MF, %d runs + 1 repeat, %s build%s\n",
              static_cast<unsigned long long>(size_mb), runs, BENCH_BUILD_TYPE,
              BENCH_SANITIZED ? " (sanitized: figures not representative)" : "");
  Bench b;
  try {
    b.setUp();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "setup failed: %s\n", e.what());
    return 1;
  }
  const pid_t server_pid = b.server->pid();
  const std::string base = "/api/v1/printers/" + std::to_string(b.printer);
  std::vector<int64_t> archives;
  for (int i = 0; i < runs; ++i) {
    int status = 0;
    json a = b.call("POST", "/api/v1/archives?filename=bench.3mf",
                    largeThreeMf("Bench " + std::to_string(i), size_mb << 20), "application/octet-stream",
                    &status);
    if (status != 201) {
      std::fprintf(stderr, "upload to the server failed: %d %s\n", status, a.dump().c_str());
      return 1;
    }
    archives.push_back(a["id"]);
  }
  archives.push_back(archives.back()); // the same file again: already on the printer

  std::printf("%-4s %10s %12s %10s %9s %14s %14s %8s\n", "run", "answer_ms", "to_upload_ms", "upload_s",
              "MB/s", "to_printing_ms", "server_cpu_s", "skipped");
  for (size_t i = 0; i < archives.size(); ++i) {
    bambuddy::bench::ProcSample before = bambuddy::bench::sampleProcess(server_pid);
    const auto t0 = Clock::now();
    int status = 0;
    json answer = b.call("POST", base + "/print/start", json{{"archive_id", archives[i]}}.dump(),
                         "application/json", &status);
    const auto t_answer = Clock::now();
    if (status != 202) {
      std::fprintf(stderr, "start refused: %d %s\n", status, answer.dump().c_str());
      return 1;
    }
    std::optional<Clock::time_point> t_upload, t_starting;
    bool skipped = false;
    auto printing = b.waitStatus(
        [&](const json& s) {
          const json& transfer = s["transfer"];
          if (transfer.is_object()) {
            if (!t_upload && transfer.value("phase", "") == "uploading") {
              t_upload = Clock::now();
            }
            if (!t_starting && transfer.value("phase", "") == "starting") {
              t_starting = Clock::now();
              skipped = transfer.value("skipped", false);
            }
          }
          return s["state"] == "printing";
        },
        120000);
    const auto t_printing = Clock::now();
    bambuddy::bench::ProcSample after = bambuddy::bench::sampleProcess(server_pid);
    if (!printing) {
      std::fprintf(stderr, "run %zu: the printer never reported printing\n", i + 1);
      return 1;
    }
    const double upload_s = t_upload && t_starting ? msSince(*t_upload, *t_starting) / 1000.0 : 0.0;
    std::printf("%-4zu %10.1f %12.1f %10.3f %9.1f %14.1f %14.3f %8s\n", i + 1, msSince(t0, t_answer),
                t_upload ? msSince(t0, *t_upload) : -1.0, upload_s,
                upload_s > 0 ? static_cast<double>(size_mb) / upload_s : 0.0, msSince(t0, t_printing),
                after.cpu_s - before.cpu_s, skipped ? "yes" : "no");
    // Let the print end before the next start.
    if (!b.waitStatus([](const json& s) { return s["state"] == "finished"; }, 120000)) {
      std::fprintf(stderr, "run %zu: the print did not finish\n", i + 1);
      return 1;
    }
  }
  std::printf("upload_s and MB/s: from the status first saying 'uploading' to it saying 'starting' (20 ms "
              "polling); server_cpu_s: the server process from the request to 'printing'\n");
  return 0;
}
