// JSON calls to a running server the way integration tests make them: a default key, bodies as
// JSON, answers parsed, polling with a deadline (never a fixed sleep), and the setups many tests
// share (a key with some permissions, a simulated printer, an uploaded 3MF).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace bambuddy::testing {

struct ApiAnswer {
  int status = 0;
  nlohmann::json body; // discarded (is_discarded()) when the answer is no JSON
  std::string raw;
};

class ServerApi {
public:
  ServerApi() = default;
  ServerApi(uint16_t port, std::string key) : port_(port), key_(std::move(key)) {}
  void setPort(uint16_t port) { port_ = port; }

  // `key` empty: the default key. A body gets Content-Type: application/json unless `headers`
  // names a type.
  ApiAnswer call(const std::string& method, const std::string& path, const std::string& body = "",
                 const std::string& key = "",
                 std::vector<std::pair<std::string, std::string>> headers = {}) const;
  ApiAnswer call(const std::string& method, const std::string& path, const nlohmann::json& body) const;

  // GET `path` every 20 ms until `check` holds on a 200 answer; the last answer either way, with a
  // test failure after `deadline_ms`.
  ApiAnswer waitFor(const std::string& path, const std::function<bool(const nlohmann::json&)>& check,
                    int64_t deadline_ms = 15000) const;

  // A new API key with these permissions (and printers, when not empty); its secret.
  std::string keyWith(const std::vector<std::string>& permissions,
                      const std::vector<int64_t>& printers = {}) const;
  // A printer.sim printer (speed 600 and reports every 20 ms unless `settings` says otherwise),
  // once it is connected; its id.
  int64_t addSim(const std::string& name, nlohmann::json settings = nlohmann::json::object()) const;
  // A sample 3MF uploaded as `title`.3mf; the archive's id.
  int64_t upload(const std::string& title, int64_t print_time_s = 60, double grams = 2.5) const;

private:
  uint16_t port_ = 0;
  std::string key_;
};

// How many printers GET /api/v1/printers on the server at `port` shows connected (0 when the
// server does not answer): what failover tests and benchmarks wait on.
int connectedPrinterCount(uint16_t port, const std::string& key);
// Several server instances: the printers that server shows connected, counted by the instance that
// connects them (their status's connected_by; "" without one). Empty when the server does not answer.
std::map<std::string, int> connectedPrintersBy(uint16_t port, const std::string& key);
// The instance connecting all `printers` as `port`'s server shows them, when one does and it is
// not `other_than`; "" otherwise.
std::string instanceConnectingAll(uint16_t port, const std::string& key, int printers,
                                  const std::string& other_than = "");

} // namespace bambuddy::testing
