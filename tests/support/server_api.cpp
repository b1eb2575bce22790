#include "support/server_api.h"

#include "support/http_client.h"
#include "support/three_mf_sample.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace bambuddy::testing {

using nlohmann::json;

ApiAnswer ServerApi::call(const std::string& method, const std::string& path, const std::string& body,
                          const std::string& key,
                          std::vector<std::pair<std::string, std::string>> headers) const {
  bool typed = false;
  for (const auto& [name, value] : headers) {
    typed = typed || name == "Content-Type";
  }
  headers.emplace_back("X-API-Key", key.empty() ? key_ : key);
  if (!body.empty() && !typed) {
    headers.emplace_back("Content-Type", "application/json");
  }
  HttpResult r = httpRequest("127.0.0.1", port_, method, path, body, headers, 15000);
  return ApiAnswer{r.status, json::parse(r.body, nullptr, false), r.body};
}

ApiAnswer ServerApi::call(const std::string& method, const std::string& path, const json& body) const {
  return call(method, path, body.dump());
}

ApiAnswer ServerApi::waitFor(const std::string& path, const std::function<bool(const json&)>& check,
                             int64_t deadline_ms) const {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(deadline_ms);
  ApiAnswer last;
  while (std::chrono::steady_clock::now() < until) {
    last = call("GET", path);
    if (last.status == 200 && check(last.body)) {
      return last;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ADD_FAILURE() << "condition not reached on " << path << "; last answer " << last.raw;
  return last;
}

std::string ServerApi::keyWith(const std::vector<std::string>& permissions,
                               const std::vector<int64_t>& printers) const {
  json body = {{"name", "test key"}, {"permissions", permissions}};
  if (!printers.empty()) {
    body["printer_ids"] = printers;
  }
  ApiAnswer a = call("POST", "/api/v1/api-keys", body);
  EXPECT_EQ(a.status, 201) << a.raw;
  return a.status == 201 ? a.body["key"].get<std::string>() : std::string();
}

int64_t ServerApi::addSim(const std::string& name, json settings) const {
  settings["speed"] = settings.value("speed", 600.0);
  settings["report_interval_ms"] = settings.value("report_interval_ms", 20);
  ApiAnswer a = call("POST", "/api/v1/printers",
                     json{{"name", name}, {"driver", "printer.sim"}, {"settings", settings}});
  EXPECT_EQ(a.status, 201) << a.raw;
  const int64_t id = a.body.is_object() ? a.body.value("id", int64_t{0}) : 0;
  waitFor("/api/v1/printers/" + std::to_string(id) + "/status",
          [](const json& s) { return s["connected"] == true; });
  return id;
}

int64_t ServerApi::upload(const std::string& title, int64_t print_time_s, double grams) const {
  ApiAnswer a =
      call("POST", "/api/v1/archives?filename=" + title + ".3mf", sampleThreeMf(title, print_time_s, grams),
           "", {{"Content-Type", "application/octet-stream"}});
  EXPECT_EQ(a.status, 201) << a.raw;
  return a.body.is_object() ? a.body.value("id", int64_t{0}) : 0;
}

std::map<std::string, int> connectedPrintersBy(uint16_t port, const std::string& key) {
  HttpResult r =
      httpRequest("127.0.0.1", port, "GET", "/api/v1/printers?limit=1000", "", {{"X-API-Key", key}}, 5000);
  const nlohmann::json page = nlohmann::json::parse(r.body, nullptr, false);
  std::map<std::string, int> out;
  if (r.status == 200 && page.is_object() && page.contains("items") && page["items"].is_array()) {
    for (const nlohmann::json& item : page["items"]) {
      const nlohmann::json status = item.value("status", nlohmann::json::object());
      if (status.is_object() && status.value("connected", false)) {
        out[status.value("connected_by", std::string())] += 1;
      }
    }
  }
  return out;
}

std::string instanceConnectingAll(uint16_t port, const std::string& key, int printers,
                                  const std::string& other_than) {
  for (const auto& [instance, count] : connectedPrintersBy(port, key)) {
    if (count == printers && instance != other_than) {
      return instance;
    }
  }
  return "";
}

int connectedPrinterCount(uint16_t port, const std::string& key) {
  HttpResult r =
      httpRequest("127.0.0.1", port, "GET", "/api/v1/printers?limit=1000", "", {{"X-API-Key", key}}, 5000);
  const nlohmann::json page = nlohmann::json::parse(r.body, nullptr, false);
  int connected = 0;
  if (r.status == 200 && page.is_object() && page.contains("items") && page["items"].is_array()) {
    for (const nlohmann::json& item : page["items"]) {
      const nlohmann::json status = item.value("status", nlohmann::json::object());
      connected += status.is_object() && status.value("connected", false) ? 1 : 0;
    }
  }
  return connected;
}

} // namespace bambuddy::testing
