// A key limited to some printers (printer_ids) never sees another printer: the real server binary
// with three simulated printers, real prints (archives) and queue items on the forbidden one, and
// a walk over every route the running server lists in its API document, each called with the
// limited key and aimed at the forbidden printer's things. A route added later that names printers
// without the check leaks the forbidden printer's marker (and fails here), and a new route family
// with an {id} fails until the walk knows which forbidden id to aim at.
#include "support/http_client.h"
#include "support/server_process.h"
#include "support/temp_dir.h"
#include "support/three_mf_sample.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cctype>
#include <chrono>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace bambuddy::testing {
namespace printer_allow_list_test {

using nlohmann::json;

// A fixed key with 256 bits of entropy (the server refuses a weak BAMBUDDY_ADMIN_KEY).
const std::string kAdminKey = "bb_KXV8JwxHqPCq93wGZEljMmvkFz33smiWY6uP0uFNIJc";
// In the forbidden printer's name and its print's name: no answer to the limited key may hold it.
const std::string kMarker = "zq9xHidden";

struct Answer {
  int status = 0;
  json body;
  std::string raw;
};

class PrinterAllowListTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string yaml = "server:\n  listen: 127.0.0.1:0\n"
                       "auth:\n  rate_limits: {read: 100000, write: 100000, control: 100000}\n"
                       "  failed_auth_per_minute: 100000\n"
                       "data_dir: " +
                       dir_.file("data") + "\nplugins:\n  search_path: [" + pluginDir() +
                       "]\n  load:\n"
                       "    - name: storage.local\n"
                       "    - name: auth.apikey\n"
                       "    - name: printer.sim\n";
    server_ = std::make_unique<ServerProcess>(
        serverBinary(), std::vector<std::string>{"--config", dir_.write("bambuddy.yaml", yaml)},
        std::map<std::string, std::string>{{"BAMBUDDY_ADMIN_KEY", kAdminKey}});
    ASSERT_TRUE(server_->waitReady()) << server_->log();
  }

  Answer api(const std::string& method, const std::string& path, const std::string& body = "",
             const std::string& key = kAdminKey,
             std::vector<std::pair<std::string, std::string>> headers = {}) {
    headers.emplace_back("X-API-Key", key);
    if (!body.empty() && headers.size() == 1) {
      headers.emplace_back("Content-Type", "application/json");
    }
    HttpResult r = httpRequest("127.0.0.1", server_->port(), method, path, body, headers);
    return Answer{r.status, json::parse(r.body, nullptr, false), r.body};
  }
  Answer api(const std::string& method, const std::string& path, const json& body) {
    return api(method, path, body.dump());
  }

  Answer waitFor(const std::string& path, const std::function<bool(const json&)>& check) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    Answer last;
    while (std::chrono::steady_clock::now() < until) {
      last = api("GET", path);
      if (last.status == 200 && check(last.body)) {
        return last;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "condition not reached on " << path << "; last answer " << last.raw;
    return last;
  }

  int64_t addSim(const std::string& name) {
    Answer a = api("POST", "/api/v1/printers",
                   json{{"name", name},
                        {"driver", "printer.sim"},
                        {"settings", {{"speed", 600.0}, {"report_interval_ms", 20}}}});
    EXPECT_EQ(a.status, 201) << a.raw;
    int64_t id = a.body.value("id", 0);
    waitFor("/api/v1/printers/" + std::to_string(id) + "/status",
            [](const json& s) { return s["connected"] == true; });
    return id;
  }

  int64_t upload(const std::string& title) {
    Answer a = api("POST", "/api/v1/archives?filename=" + title + ".3mf", sampleThreeMf(title, 60, 3.0),
                   kAdminKey, {{"Content-Type", "application/octet-stream"}});
    EXPECT_EQ(a.status, 201) << a.raw;
    return a.body.value("id", 0);
  }

  // Prints `source` on `printer` to the end; returns the print record (an archive on that printer).
  int64_t printOn(int64_t printer, int64_t source) {
    std::string p = std::to_string(printer);
    Answer start = api("POST", "/api/v1/printers/" + p + "/print/start", json{{"archive_id", source}});
    EXPECT_EQ(start.status, 202) << start.raw;
    Answer done = waitFor("/api/v1/archives?status=success&printer_id=" + p,
                          [](const json& b) { return b["total"] == 1; });
    return done.body["items"][0].value("id", 0);
  }

  // Whether an answer names the forbidden printer or something attributed to it.
  bool leaks(const std::string& raw) const {
    std::string h = std::to_string(hidden_printer_);
    std::regex named("\"(printer_id|assigned_printer_id)\":" + h + "[,}]");
    return raw.find(kMarker) != std::string::npos || raw.find("\"printer-" + h + "\"") != std::string::npos ||
           std::regex_search(raw, named);
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  int64_t hidden_printer_ = 0;
};

TEST_F(PrinterAllowListTest, ALimitedKeyNeverSeesAnotherPrinterOnAnyRoute) {
  // Three printers; the key may use the first two.
  int64_t p1 = addSim("Allowed One");
  int64_t p2 = addSim("Allowed Two");
  hidden_printer_ = addSim("Printer " + kMarker);
  const std::string h = std::to_string(hidden_printer_);

  // Real prints on printer 1 and on the hidden printer, both from one upload (an upload names no
  // printer, so every key may see it).
  int64_t upload_id = upload("cube");
  int64_t p1_print = printOn(p1, upload_id);
  int64_t hidden_print = printOn(hidden_printer_, upload_id);
  ASSERT_EQ(
      api("PATCH", "/api/v1/archives/" + std::to_string(hidden_print), json{{"name", "Print " + kMarker}})
          .status,
      200);
  // Queue items for each printer, held back by their time so they stay as they are.
  auto queueFor = [&](int64_t printer) {
    Answer a = api(
        "POST", "/api/v1/queue",
        json{{"archive_id", upload_id}, {"printer_id", printer}, {"scheduled_at", "2099-01-01T00:00:00Z"}});
    EXPECT_EQ(a.status, 201) << a.raw;
    return a.body.value("id", 0);
  };
  int64_t p1_item = queueFor(p1);
  int64_t hidden_item = queueFor(hidden_printer_);
  Answer any_item =
      api("POST", "/api/v1/queue", json{{"archive_id", upload_id}, {"scheduled_at", "2099-01-01T00:00:00Z"}});
  ASSERT_EQ(any_item.status, 201) << any_item.raw;

  Answer created =
      api("POST", "/api/v1/api-keys",
          json{{"name", "farm A"},
               {"permissions",
                {"printers:read", "printers:control", "archives:read", "archives:write", "statistics:read",
                 "queue:read", "queue:write", "settings:read", "settings:write"}},
               {"printer_ids", {p1, p2}}});
  ASSERT_EQ(created.status, 201) << created.raw;
  EXPECT_EQ(created.body["printer_ids"], json({p1, p2}));
  const std::string key = created.body["key"];

  // What the admin key sees of the hidden printer, so the walk below proves something.
  for (const char* path : {"/api/v1/printers", "/api/v1/archives", "/api/v1/queue", "/api/v1/statistics"}) {
    EXPECT_TRUE(leaks(api("GET", path).raw)) << path << ": the admin key sees the hidden printer here";
  }

  // The forbidden id to aim at in each route family with an {id}.
  const std::map<std::string, int64_t> forbidden_id = {{"/api/v1/printers/", hidden_printer_},
                                                       {"/api/v1/archives/", hidden_print},
                                                       {"/api/v1/queue/", hidden_item}};
  // Bodies that name the forbidden printer or its print, for the routes that take one.
  const std::map<std::string, json> bodies = {
      {"POST /api/v1/queue", {{"archive_id", upload_id}, {"printer_id", hidden_printer_}}},
      {"PATCH /api/v1/queue/{id}", {{"printer_id", p1}}},
      {"POST /api/v1/queue/reorder", {{"order", {hidden_item}}}},
      {"POST /api/v1/printers/{id}/print/start", {{"archive_id", hidden_print}}},
      {"PATCH /api/v1/archives/{id}", {{"notes", "x"}}}};
  // List routes also get the forbidden printer as a filter.
  const std::string filter = "?printer_id=" + h;

  Answer doc = api("GET", "/api/v1/openapi.json");
  ASSERT_EQ(doc.status, 200);
  std::set<std::string> families;
  size_t walked = 0;
  for (const auto& [pattern, ops] : doc.body["paths"].items()) {
    for (const auto& [method_lower, op] : ops.items()) {
      std::string method = method_lower;
      for (char& c : method) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      }
      const std::string what = method + " " + pattern;
      if (op["security"].empty()) {
        continue; // public: /health, the API document
      }
      json scopes = op["security"][0]["ApiKeyHeader"];
      if (scopes == json::array({"admin"})) {
        // An admin key cannot be limited, so a limited key never holds admin.
        Answer a = api(method, std::regex_replace(pattern, std::regex("\\{[^}]+\\}"), h), "{}", key);
        EXPECT_EQ(a.status, 403) << what;
        continue;
      }
      std::string path = pattern;
      bool aimed = false;
      if (pattern.find('{') != std::string::npos) {
        for (const auto& [prefix, id] : forbidden_id) {
          if (pattern.rfind(prefix, 0) == 0 && pattern.find("{id}") != std::string::npos) {
            path = std::regex_replace(pattern, std::regex("\\{id\\}"), std::to_string(id));
            aimed = true;
            families.insert(prefix);
          }
        }
        if (!aimed && pattern.rfind("/api/v1/notifications", 0) != 0) {
          ADD_FAILURE() << what
                        << ": a route family the allow-list walk does not know; teach it which "
                           "forbidden id to use (and make the route honour printer_ids)";
          continue;
        }
        if (!aimed) {
          path = std::regex_replace(pattern, std::regex("\\{[^}]+\\}"), "1");
        }
      }
      std::string body = method == "GET" || method == "DELETE" ? "" : "{}";
      if (auto it = bodies.find(what); it != bodies.end()) {
        body = it->second.dump();
      }
      if (method == "GET" && !aimed) {
        path += filter;
      }
      Answer a = api(method, path, body, key);
      ++walked;
      EXPECT_FALSE(leaks(a.raw)) << what << " (" << path << ") shows the forbidden printer: " << a.raw;
      EXPECT_LT(a.status, 500) << what << ": " << a.raw;
      if (aimed) {
        EXPECT_EQ(a.status, 404) << what
                                 << " answers for a forbidden thing as if it did not exist: " << a.raw;
      }
      if (pattern.rfind("/api/v1/notifications", 0) == 0) {
        EXPECT_EQ(a.status, 403) << what << ": notification data spans every printer";
        EXPECT_EQ(a.body.value("code", ""), "printer_limited_key") << what;
        families.insert("/api/v1/notifications");
      }
    }
  }
  EXPECT_GE(walked, 25u);
  EXPECT_EQ(families.size(), 4u) << "printers, archives, queue and notifications families walked";

  // Writes aimed at the forbidden printer are refused as if it did not exist.
  Answer q = api("POST", "/api/v1/queue",
                 json{{"archive_id", upload_id}, {"printer_id", hidden_printer_}}.dump(), key);
  EXPECT_EQ(q.status, 400) << q.raw;
  EXPECT_EQ(q.body["detail"], "printer_id: no printer with id " + h);
  Answer q_any = api("POST", "/api/v1/queue", json{{"archive_id", upload_id}}.dump(), key);
  EXPECT_EQ(q_any.status, 400) << "a limited key names its printer: " << q_any.raw;
  Answer q_print =
      api("POST", "/api/v1/queue", json{{"archive_id", hidden_print}, {"printer_id", p1}}.dump(), key);
  EXPECT_EQ(q_print.status, 400) << q_print.raw;
  Answer move = api("PATCH", "/api/v1/queue/" + std::to_string(p1_item),
                    json{{"printer_id", hidden_printer_}}.dump(), key);
  EXPECT_EQ(move.status, 400) << move.raw;
  Answer start = api("POST", "/api/v1/printers/" + std::to_string(p1) + "/print/start",
                     json{{"archive_id", hidden_print}}.dump(), key);
  EXPECT_EQ(start.status, 404) << start.raw;

  // Nothing of the hidden printer changed through the walk.
  EXPECT_EQ(api("GET", "/api/v1/archives/" + std::to_string(hidden_print)).status, 200);
  Answer hidden_after = api("GET", "/api/v1/queue/" + std::to_string(hidden_item));
  EXPECT_EQ(hidden_after.status, 200);
  EXPECT_EQ(hidden_after.body["printer_id"], hidden_printer_);
  EXPECT_EQ(hidden_after.body["status"], "pending");

  // And the key does see its own printers and their things.
  Answer printers = api("GET", "/api/v1/printers", "", key);
  ASSERT_EQ(printers.status, 200);
  std::set<int64_t> listed;
  for (const json& p : printers.body["items"]) {
    listed.insert(p["id"].get<int64_t>());
  }
  EXPECT_EQ(listed, (std::set<int64_t>{p1, p2}));
  EXPECT_EQ(api("GET", "/api/v1/printers/" + std::to_string(p2) + "/status", "", key).status, 200);
  Answer archives = api("GET", "/api/v1/archives", "", key);
  std::set<int64_t> archive_ids;
  for (const json& a : archives.body["items"]) {
    archive_ids.insert(a["id"].get<int64_t>());
  }
  EXPECT_EQ(archive_ids, (std::set<int64_t>{upload_id, p1_print})) << archives.raw;
  EXPECT_EQ(archives.body["total"], 2) << "the total counts only what the key sees";
  EXPECT_EQ(api("GET", "/api/v1/archives/" + std::to_string(p1_print), "", key).status, 200);
  EXPECT_EQ(api("GET", "/api/v1/archives/" + std::to_string(upload_id) + "/file", "", key).status, 200)
      << "an upload's file (the print records hold no file of their own)";
  Answer queue = api("GET", "/api/v1/queue", "", key);
  ASSERT_EQ(queue.body["items"].size(), 1u)
      << "only printer 1's item; not the one for any printer: " << queue.raw;
  EXPECT_EQ(queue.body["items"][0]["id"], p1_item);
  Answer stats = api("GET", "/api/v1/statistics", "", key);
  ASSERT_EQ(stats.status, 200);
  EXPECT_EQ(stats.body["total_prints"], 1) << stats.raw;
  ASSERT_EQ(stats.body["per_printer"].size(), 1u) << stats.raw;
  EXPECT_EQ(stats.body["per_printer"][0]["printer_id"], p1);
  EXPECT_EQ(api("GET", "/api/v1/statistics").body["total_prints"], 2) << "the admin key counts both";
  Answer mine = api(
      "POST", "/api/v1/queue",
      json{{"archive_id", upload_id}, {"printer_id", p2}, {"scheduled_at", "2099-01-01T00:00:00Z"}}.dump(),
      key);
  EXPECT_EQ(mine.status, 201) << mine.raw;
  Answer me = api("GET", "/api/v1/auth/me", "", key);
  EXPECT_EQ(me.body["printer_ids"], json({p1, p2})) << me.raw;

  // Lifting the limit shows everything at once; no restart, no new key.
  ASSERT_EQ(api("PATCH", "/api/v1/api-keys/" + std::to_string(created.body["id"].get<int64_t>()),
                json{{"printer_ids", nullptr}})
                .status,
            200);
  EXPECT_TRUE(leaks(api("GET", "/api/v1/printers", "", key).raw));
  EXPECT_EQ(api("GET", "/api/v1/archives/" + std::to_string(hidden_print), "", key).status, 200);
}

} // namespace printer_allow_list_test
} // namespace bambuddy::testing
