// Printers, archives, the queue, statistics and settings through real HTTP against the server
// binary, with simulated printers (printer.sim) doing real prints on their own clock.
#include "support/http_client.h"
#include "support/prometheus_parse.h"
#include "support/server_process.h"
#include "support/temp_dir.h"
#include "support/three_mf_sample.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace bambuddy::testing {
namespace printing_test {

using nlohmann::json;

// A fixed key with 256 bits of entropy (the server refuses a weak BAMBUDDY_ADMIN_KEY).
const std::string kAdminKey = "bb_G6HGs2IQh4V1F8RoJCdsjSGZ-BwXbDLDkFt6dEbxU5k";

struct Answer {
  int status = 0;
  json body;
  std::string raw;
};

class PrintingTest : public ::testing::Test {
protected:
  void SetUp() override { start(); }

  void start(const std::string& extra = "") {
    std::string yaml = "server:\n  listen: 127.0.0.1:0\n"
                       "auth:\n  rate_limits: {read: 100000, write: 100000, control: 100000}\n"
                       "printers:\n  offline_debounce_s: 0.3\n"
                       "data_dir: " +
                       dir_.file("data") + "\n" + extra + "plugins:\n  search_path: [" + pluginDir() +
                       "]\n  load:\n"
                       "    - name: storage.local\n"
                       "    - name: auth.apikey\n"
                       "    - name: printer.bambu\n"
                       "    - name: printer.sim\n"
                       "      instances:\n"
                       "        - id: yaml-sim\n"
                       "          name: From YAML\n"
                       "          settings: {speed: 600, report_interval_ms: 20}\n";
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
    Answer a{r.status, json::parse(r.body, nullptr, false), r.body};
    return a;
  }
  Answer api(const std::string& method, const std::string& path, const json& body) {
    return api(method, path, body.dump());
  }

  // Polls until `check` holds (deadline, no fixed sleeps); returns the last answer.
  Answer waitFor(const std::string& path, const std::function<bool(const json&)>& check,
                 int64_t deadline_ms = 15000) {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(deadline_ms);
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

  int64_t addSim(const std::string& name, json settings = json::object()) {
    settings["speed"] = settings.value("speed", 600.0);
    settings["report_interval_ms"] = settings.value("report_interval_ms", 20);
    Answer a = api("POST", "/api/v1/printers",
                   json{{"name", name}, {"driver", "printer.sim"}, {"settings", settings}});
    EXPECT_EQ(a.status, 201) << a.raw;
    int64_t id = a.body.value("id", 0);
    waitFor("/api/v1/printers/" + std::to_string(id) + "/status",
            [](const json& s) { return s["connected"] == true; });
    return id;
  }

  std::string simActions(int64_t printer_id) {
    Answer d = api("GET", "/api/v1/printers/" + std::to_string(printer_id));
    return "/api/v1/sim/" + d.body["instance_id"].get<std::string>() + "/actions";
  }

  int64_t upload(const std::string& title, int64_t print_time_s, double grams) {
    Answer a =
        api("POST", "/api/v1/archives?filename=" + title + ".3mf", sampleThreeMf(title, print_time_s, grams),
            kAdminKey, {{"Content-Type", "application/octet-stream"}});
    EXPECT_EQ(a.status, 201) << a.raw;
    return a.body.value("id", 0);
  }

  std::string keyWith(const std::vector<std::string>& permissions) {
    Answer a = api("POST", "/api/v1/api-keys", json{{"name", "test key"}, {"permissions", permissions}});
    EXPECT_EQ(a.status, 201) << a.raw;
    return a.body["key"];
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(PrintingTest, StatusWorksAsTheHomeAssistantRestSensorReadsIt) {
  int64_t id = addSim("Workshop");
  std::string key = keyWith({"printers:read"});
  Answer s = api("GET", "/api/v1/printers/" + std::to_string(id) + "/status", "", key);
  ASSERT_EQ(s.status, 200) << s.raw;
  // value_template: "{{ value_json.state }}", json_attributes: progress, remaining_time, temperature
  EXPECT_EQ(s.body["state"], "idle");
  EXPECT_TRUE(s.body.contains("progress"));
  EXPECT_TRUE(s.body.contains("remaining_time"));
  EXPECT_TRUE(s.body["temperature"].is_number());
  EXPECT_TRUE(s.body["temperatures"]["bed"].is_number());
  EXPECT_EQ(s.body["id"], id);
  EXPECT_EQ(s.body["name"], "Workshop");
  EXPECT_EQ(api("GET", "/api/v1/archives", "", key).status, 403);
}

TEST_F(PrintingTest, YamlPrinterGetsAnIdAndIsReadOnlyOverRest) {
  Answer list = waitFor("/api/v1/printers", [](const json& b) { return b["total"] == 1; });
  const json& p = list.body["items"][0];
  EXPECT_EQ(p["name"], "From YAML");
  EXPECT_EQ(p["source"], "config");
  std::string path = "/api/v1/printers/" + std::to_string(p["id"].get<int64_t>());
  Answer patch = api("PATCH", path, json{{"name", "x"}});
  EXPECT_EQ(patch.status, 409) << patch.raw;
  EXPECT_EQ(api("DELETE", path).status, 409);
}

TEST_F(PrintingTest, PrinterManagementValidatesAndChangesNothingOnError) {
  Answer bad_driver = api("POST", "/api/v1/printers", json{{"name", "x"}, {"driver", "printer.nope"}});
  EXPECT_EQ(bad_driver.status, 400);
  EXPECT_NE(bad_driver.body["detail"].get<std::string>().find("printer.nope"), std::string::npos)
      << bad_driver.raw;
  Answer bad_settings =
      api("POST", "/api/v1/printers",
          json{{"name", "x"}, {"driver", "printer.sim"}, {"settings", {{"speed", "fast"}}}});
  EXPECT_EQ(bad_settings.status, 400);
  EXPECT_NE(bad_settings.body["detail"].get<std::string>().find("speed"), std::string::npos)
      << bad_settings.raw;
  EXPECT_EQ(api("POST", "/api/v1/printers", std::string("{\"name\":")).status, 400);
  EXPECT_EQ(api("POST", "/api/v1/printers", json{{"driver", "printer.sim"}}).status, 400);
  EXPECT_EQ(api("GET", "/api/v1/printers").body["total"], 1) << "only the YAML printer";

  // The access code of a Bambu printer is stored but never shown again.
  Answer bambu = api("POST", "/api/v1/printers",
                     json{{"name", "X1C"},
                          {"driver", "printer.bambu"},
                          {"settings",
                           {{"host", "127.0.0.1"},
                            {"port", 1},
                            {"serial", "01S00A000000001"},
                            {"access_code", "12345678"}}}});
  ASSERT_EQ(bambu.status, 201) << bambu.raw;
  EXPECT_EQ(bambu.body["settings"]["access_code"], "********");
  EXPECT_EQ(bambu.raw.find("12345678"), std::string::npos);
  std::string path = "/api/v1/printers/" + std::to_string(bambu.body["id"].get<int64_t>());
  EXPECT_EQ(api("GET", path).raw.find("12345678"), std::string::npos);
  EXPECT_EQ(api("GET", "/api/v1/printers").raw.find("12345678"), std::string::npos);
  EXPECT_EQ(server_->log().find("12345678"), std::string::npos) << "never in the log";
  // The Bambu driver can start prints, but not on a printer it cannot reach: 503.
  int64_t archive = upload("cube", 60, 3.0);
  Answer start = api("POST", path + "/print/start", json{{"archive_id", archive}});
  EXPECT_EQ(start.status, 503) << start.raw;
  // Not connected (nothing listens on port 1): control answers 503.
  Answer pause = api("POST", path + "/print/pause");
  EXPECT_EQ(pause.status, 503) << pause.raw;
  // Rename keeps the stored access code (the mask sent back means "unchanged").
  Answer renamed = api("PATCH", path, json{{"name", "Renamed"}, {"settings", {{"access_code", "********"}}}});
  EXPECT_EQ(renamed.status, 200) << renamed.raw;
  EXPECT_EQ(renamed.body["name"], "Renamed");
  Answer wrong = api("PATCH", path, json{{"settings", {{"port", "eighty"}}}});
  EXPECT_EQ(wrong.status, 400) << wrong.raw;
  EXPECT_EQ(api("GET", path).body["settings"]["port"], 1) << "a refused change changes nothing";
  EXPECT_EQ(api("DELETE", path).status, 204);
  EXPECT_EQ(api("GET", path).status, 404);
}

TEST_F(PrintingTest, ControlAnswers409WithTheStateAnd503WhenOffline) {
  int64_t id = addSim("Ctl", {{"speed", 1}});
  std::string base = "/api/v1/printers/" + std::to_string(id);
  Answer pause = api("POST", base + "/print/pause");
  EXPECT_EQ(pause.status, 409) << pause.raw;
  EXPECT_EQ(pause.body["state"], "idle");
  std::string control = keyWith({"printers:control"});
  EXPECT_EQ(api("POST", base + "/print/resume", "", control).status, 409);
  EXPECT_EQ(api("POST", base + "/print/resume", "", keyWith({"printers:read"})).status, 403);

  ASSERT_EQ(api("POST", simActions(id), json{{"action", "sim_offline"}}).status, 200);
  waitFor(base + "/status", [](const json& s) { return s["connected"] == false; });
  Answer offline = api("POST", base + "/print/stop");
  EXPECT_EQ(offline.status, 503) << offline.raw;
}

TEST_F(PrintingTest, SimulatedPrintMakesAnArchiveWithDurationAndStatus) {
  int64_t id = addSim("Printer A", {{"speed", 300}});
  std::string base = "/api/v1/printers/" + std::to_string(id);
  int64_t source = upload("benchy", 600, 12.5);
  Answer start = api("POST", base + "/print/start", json{{"archive_id", source}});
  ASSERT_EQ(start.status, 202) << start.raw;
  // The answer carries the print record the start made.
  ASSERT_TRUE(start.body["print"].is_object()) << start.raw;
  EXPECT_EQ(start.body["print"]["status"], "printing");
  EXPECT_EQ(start.body["print"]["source_archive_id"], source);
  EXPECT_EQ(start.body["plate"], 1);
  Answer printing = waitFor(base + "/status", [](const json& s) { return s["state"] == "printing"; });
  EXPECT_EQ(printing.body["current_print"]["filename"], "benchy.3mf");
  EXPECT_TRUE(printing.body["current_print"]["started_at"].is_string());
  Answer done = waitFor("/api/v1/archives?status=success&printer_id=" + std::to_string(id),
                        [](const json& b) { return b["total"] == 1; });
  const json& a = done.body["items"][0];
  EXPECT_EQ(a["printer"], "Printer A");
  EXPECT_EQ(a["filename"], "benchy.3mf");
  EXPECT_EQ(a["source_archive_id"], source);
  EXPECT_EQ(a["id"], start.body["print"]["id"]);
  EXPECT_TRUE(a["started_at"].is_string());
  EXPECT_TRUE(a["ended_at"].is_string());
  EXPECT_GE(a["duration"].get<int64_t>(), 0);
  EXPECT_DOUBLE_EQ(a["progress"].get<double>(), 100.0);
  EXPECT_TRUE(a["filament_used"].is_number());
  EXPECT_EQ(api("GET", "/api/v1/archives/" + std::to_string(a["id"].get<int64_t>())).body["status"],
            "success");
}

TEST_F(PrintingTest, StopIsCancelledAndFailureIsFailedWithTheError) {
  int64_t id = addSim("Printer B", {{"speed", 1}});
  std::string base = "/api/v1/printers/" + std::to_string(id);
  int64_t source = upload("long", 3600, 50);
  ASSERT_EQ(api("POST", base + "/print/start", json{{"archive_id", source}}).status, 202);
  waitFor(base + "/status",
          [](const json& s) { return s["state"] == "preparing" || s["state"] == "printing"; });
  ASSERT_EQ(api("POST", base + "/print/stop").status, 200);
  waitFor("/api/v1/archives?status=cancelled", [](const json& b) { return b["total"] == 1; });

  ASSERT_EQ(api("POST", base + "/print/start", json{{"archive_id", source}}).status, 202);
  waitFor(base + "/status",
          [](const json& s) { return s["state"] == "preparing" || s["state"] == "printing"; });
  ASSERT_EQ(api("POST", simActions(id), json{{"action", "sim_fail"}}).status, 200);
  Answer failed = waitFor("/api/v1/archives?status=failed", [](const json& b) { return b["total"] == 1; });
  EXPECT_TRUE(failed.body["items"][0]["error"].is_object()) << failed.raw;
}

TEST_F(PrintingTest, QueueDispatchesToAnIdlePrinterAndFollowsThePrint) {
  int64_t source = upload("queued", 300, 4);
  std::string writer = keyWith({"queue:read", "queue:write"});
  Answer added = api("POST", "/api/v1/queue", json{{"archive_id", source}}.dump(), writer);
  ASSERT_EQ(added.status, 201) << added.raw;
  int64_t item = added.body["id"];
  // The YAML printer is idle and can print: the item starts and completes.
  Answer done = waitFor("/api/v1/queue/" + std::to_string(item),
                        [](const json& q) { return q["status"] == "completed"; });
  EXPECT_TRUE(done.body["assigned_printer_id"].is_number());
  int64_t print_archive = done.body["print_archive_id"];
  Answer record = api("GET", "/api/v1/archives/" + std::to_string(print_archive));
  EXPECT_EQ(record.body["status"], "success");
  EXPECT_EQ(record.body["queue_item_id"], item);

  // A Bambu printer that is not connected: an item for it waits and says why.
  Answer bambu =
      api("POST", "/api/v1/printers",
          json{{"name", "Real"},
               {"driver", "printer.bambu"},
               {"settings", {{"host", "127.0.0.1"}, {"port", 1}, {"serial", "S1"}, {"access_code", "x"}}}});
  ASSERT_EQ(bambu.status, 201);
  Answer waiting =
      api("POST", "/api/v1/queue", json{{"archive_id", source}, {"printer_id", bambu.body["id"]}});
  ASSERT_EQ(waiting.status, 201);
  Answer reason = waitFor("/api/v1/queue/" + std::to_string(waiting.body["id"].get<int64_t>()),
                          [](const json& q) { return q["reason"].is_string(); });
  EXPECT_EQ(reason.body["status"], "pending");
  EXPECT_NE(reason.body["reason"].get<std::string>().find("'Real' is not connected"), std::string::npos)
      << reason.raw;

  // Validation: unknown archive, bad time, bad reorder.
  EXPECT_EQ(api("POST", "/api/v1/queue", json{{"archive_id", 999}}).status, 400);
  EXPECT_EQ(api("POST", "/api/v1/queue", json{{"archive_id", source}, {"scheduled_at", "tomorrow"}}).status,
            400);
  EXPECT_EQ(api("POST", "/api/v1/queue/reorder", json{{"order", {item}}}).status, 400) << "not pending";
  EXPECT_EQ(api("GET", "/api/v1/queue", "", writer).status, 200);
  EXPECT_EQ(api("POST", "/api/v1/queue", json{{"archive_id", source}}.dump(), keyWith({"queue:read"})).status,
            403);
}

TEST_F(PrintingTest, PlatesAreCheckedAndTheChosenPlateIsPrinted) {
  int64_t id = addSim("Plates", {{"speed", 600}});
  std::string base = "/api/v1/printers/" + std::to_string(id);
  Answer up = api("POST", "/api/v1/archives?filename=plates.3mf",
                  multiPlateThreeMf("plates", {{1, 600, 5.0}, {3, 1200, 9.0}}), kAdminKey,
                  {{"Content-Type", "application/octet-stream"}});
  ASSERT_EQ(up.status, 201) << up.raw;
  int64_t source = up.body["id"];
  Answer missing = api("POST", base + "/print/start", json{{"archive_id", source}, {"plate", 2}});
  EXPECT_EQ(missing.status, 400) << missing.raw;
  EXPECT_EQ(missing.body["code"], "invalid_plate");
  EXPECT_NE(missing.body["detail"].get<std::string>().find("this file has plates 1, 3"), std::string::npos)
      << missing.raw;
  EXPECT_EQ(missing.body["plates"], json({1, 3}));
  Answer bad_option = api("POST", base + "/print/start", json{{"archive_id", source}, {"use_ams", "yes"}});
  EXPECT_EQ(bad_option.status, 400) << bad_option.raw;
  EXPECT_EQ(bad_option.body["code"], "invalid_option");
  EXPECT_EQ(api("GET", base + "/status").body["state"], "idle") << "a refused start changes nothing";
  EXPECT_EQ(api("POST", "/api/v1/queue", json{{"archive_id", source}, {"plate", 2}}).status, 400);

  Answer start =
      api("POST", base + "/print/start", json{{"archive_id", source}, {"plate", 3}, {"timelapse", false}});
  ASSERT_EQ(start.status, 202) << start.raw;
  EXPECT_EQ(start.body["plate"], 3);
  waitFor("/api/v1/archives?status=success&printer_id=" + std::to_string(id),
          [](const json& b) { return b["total"] == 1; });
}

TEST_F(PrintingTest, QueueWaitsForThePlateToBeClearedBetweenPrints) {
  int64_t id = addSim("Gate", {{"speed", 600}});
  std::string base = "/api/v1/printers/" + std::to_string(id);
  // Simulated printers have no bed to clear: the gate is off unless the printer asks for it.
  EXPECT_EQ(api("GET", base).body["require_plate_clear"], false);
  Answer on = api("PATCH", base, json{{"require_plate_clear", true}});
  ASSERT_EQ(on.status, 200) << on.raw;
  EXPECT_EQ(on.body["require_plate_clear"], true);
  EXPECT_EQ(api("PATCH", base, json{{"require_plate_clear", "yes"}}).status, 400);

  int64_t source = upload("gated", 120, 3);
  std::vector<int64_t> items;
  for (int i = 0; i < 3; ++i) {
    Answer a = api("POST", "/api/v1/queue", json{{"archive_id", source}, {"printer_id", id}, {"plate", 1}});
    ASSERT_EQ(a.status, 201) << a.raw;
    EXPECT_EQ(a.body["plate"], 1);
    items.push_back(a.body["id"]);
  }
  std::string control = keyWith({"printers:control"});
  for (int i = 0; i < 3; ++i) {
    std::string item = "/api/v1/queue/" + std::to_string(items[i]);
    waitFor(
        item, [](const json& q) { return q["status"] == "completed"; }, 30000);
    Answer status =
        waitFor(base + "/status", [](const json& s) { return s["awaiting_plate_clear"] == true; });
    EXPECT_EQ(status.body["state"], "finished");
    if (i + 1 < 3) {
      // The next item waits, saying for what, until someone confirms the bed is clear.
      Answer next = waitFor("/api/v1/queue/" + std::to_string(items[i + 1]), [](const json& q) {
        return q["reason"].is_string() &&
               q["reason"].get<std::string>().find("plate-cleared") != std::string::npos;
      });
      EXPECT_EQ(next.body["status"], "pending") << next.raw;
    }
    EXPECT_EQ(api("POST", base + "/plate-cleared", "", keyWith({"printers:read"})).status, 403);
    Answer cleared = api("POST", base + "/plate-cleared", "", control);
    ASSERT_EQ(cleared.status, 200) << cleared.raw;
    EXPECT_EQ(cleared.body["awaiting_plate_clear"], false);
  }
  // The flag outlives a restart, and switching the gate off opens it.
  ASSERT_EQ(
      api("POST", "/api/v1/printers/" + std::to_string(id) + "/print/start", json{{"archive_id", source}})
          .status,
      202);
  waitFor(base + "/status", [](const json& s) { return s["awaiting_plate_clear"] == true; });
  // A graceful stop: the flag is stored with the print's end, a moment after the status shows it
  // (a kill -9 in that moment rolls back both together, see docs/adr/0006).
  ASSERT_EQ(server_->stop(10000), 0) << server_->log();
  start();
  EXPECT_EQ(api("GET", base + "/status").body["awaiting_plate_clear"], true);
  Answer off = api("PATCH", base, json{{"require_plate_clear", nullptr}});
  ASSERT_EQ(off.status, 200) << off.raw;
  EXPECT_EQ(off.body["require_plate_clear"], false);
  EXPECT_EQ(off.body["status"]["awaiting_plate_clear"], false);
}

TEST_F(PrintingTest, QueueReorderAndScheduledItemsWait) {
  int64_t source = upload("later", 300, 4);
  std::string future = "2099-01-01T00:00:00Z";
  std::vector<int64_t> ids;
  for (int i = 0; i < 3; ++i) {
    Answer a = api("POST", "/api/v1/queue", json{{"archive_id", source}, {"scheduled_at", future}});
    ASSERT_EQ(a.status, 201);
    ids.push_back(a.body["id"]);
  }
  Answer reordered = api("POST", "/api/v1/queue/reorder", json{{"order", {ids[2], ids[0]}}});
  ASSERT_EQ(reordered.status, 200) << reordered.raw;
  Answer list = api("GET", "/api/v1/queue?status=pending");
  ASSERT_EQ(list.body["items"].size(), 3u);
  EXPECT_EQ(list.body["items"][0]["id"], ids[2]);
  EXPECT_EQ(list.body["items"][1]["id"], ids[0]);
  EXPECT_EQ(list.body["items"][2]["id"], ids[1]);
  Answer waiting = waitFor("/api/v1/queue/" + std::to_string(ids[0]),
                           [](const json& q) { return q["reason"].is_string(); });
  EXPECT_NE(waiting.body["reason"].get<std::string>().find("scheduled for 2099"), std::string::npos);
  EXPECT_EQ(
      api("PATCH", "/api/v1/queue/" + std::to_string(ids[1]), json{{"status", "skipped"}}).body["status"],
      "skipped");
  EXPECT_EQ(api("DELETE", "/api/v1/queue/" + std::to_string(ids[1])).status, 204);
  EXPECT_EQ(api("GET", "/api/v1/queue").body["total"], 2);
}

TEST_F(PrintingTest, ArchiveFiltersPaginationAndStatisticsAgree) {
  int64_t a = addSim("Stat A", {{"speed", 900}});
  int64_t b = addSim("Stat B", {{"speed", 1}});
  int64_t source = upload("part", 120, 7.5);
  // Two successful prints on A, one cancelled on B.
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(
        api("POST", "/api/v1/printers/" + std::to_string(a) + "/print/start", json{{"archive_id", source}})
            .status,
        202);
    waitFor("/api/v1/archives?status=success", [&](const json& r) { return r["total"] == i + 1; });
  }
  ASSERT_EQ(
      api("POST", "/api/v1/printers/" + std::to_string(b) + "/print/start", json{{"archive_id", source}})
          .status,
      202);
  waitFor("/api/v1/printers/" + std::to_string(b) + "/status",
          [](const json& s) { return s["state"] != "idle"; });
  ASSERT_EQ(api("POST", "/api/v1/printers/" + std::to_string(b) + "/print/stop").status, 200);
  waitFor("/api/v1/archives?status=cancelled", [](const json& r) { return r["total"] == 1; });

  EXPECT_EQ(api("GET", "/api/v1/archives").body["total"], 4) << "3 prints + the upload";
  EXPECT_EQ(api("GET", "/api/v1/archives?printer_id=" + std::to_string(a)).body["total"], 2);
  EXPECT_EQ(api("GET", "/api/v1/archives?status=uploaded").body["total"], 1);
  EXPECT_EQ(api("GET", "/api/v1/archives?q=PAR").body["total"], 4) << "case-insensitive name search";
  EXPECT_EQ(api("GET", "/api/v1/archives?q=nothing").body["total"], 0);
  Answer page = api("GET", "/api/v1/archives?limit=2&offset=1");
  EXPECT_EQ(page.body["total"], 4);
  EXPECT_EQ(page.body["items"].size(), 2u);
  // Keyset paging: the cursors walk the same rows as one big page, each once, then next is null.
  json everything = api("GET", "/api/v1/archives?limit=1000").body["items"];
  ASSERT_EQ(everything.size(), 4u);
  std::vector<int64_t> walked;
  std::string after;
  for (int pages = 0; pages < 10; ++pages) {
    Answer step =
        api("GET", "/api/v1/archives?limit=3" + (after.empty() ? std::string() : "&after=" + after));
    ASSERT_EQ(step.status, 200) << step.raw;
    EXPECT_EQ(step.body["total"], 4) << "the total counts every match, whatever the page";
    for (const auto& item : step.body["items"]) {
      walked.push_back(item["id"]);
    }
    if (step.body["next"].is_null()) {
      break;
    }
    after = step.body["next"];
  }
  ASSERT_EQ(walked.size(), 4u);
  for (std::size_t i = 0; i < walked.size(); ++i) {
    EXPECT_EQ(walked[i], everything[i]["id"]) << i;
  }
  EXPECT_TRUE(api("GET", "/api/v1/archives?limit=4").body["next"].is_null());
  for (const char* bad :
       {"xyz", "0123456789abcdef0123456789abcdeg", "0123456789ABCDEF0123456789ABCDEF", ""}) {
    Answer refused = api("GET", std::string("/api/v1/archives?after=") + bad);
    EXPECT_EQ(refused.status, 400) << bad;
    EXPECT_EQ(refused.body["code"], "invalid_after") << bad;
  }
  EXPECT_EQ(api("GET", "/api/v1/archives?offset=1&after=" + after).body["code"], "invalid_parameter");
  EXPECT_EQ(
      api("GET", "/api/v1/archives?since=2000-01-01T00:00:00Z&until=2001-01-01T00:00:00Z").body["total"], 0);
  EXPECT_EQ(api("GET", "/api/v1/archives?since=yesterday").status, 400);
  EXPECT_EQ(api("GET", "/api/v1/archives?status=done").status, 400);

  // Statistics equal a recomputation from the archive list.
  json all = api("GET", "/api/v1/archives?limit=1000").body["items"];
  int64_t prints = 0, ok = 0, cancelled = 0, seconds = 0;
  double grams = 0;
  for (const auto& r : all) {
    std::string s = r["status"];
    if (s == "success" || s == "failed" || s == "cancelled") {
      ++prints;
      ok += s == "success";
      cancelled += s == "cancelled";
      seconds += r["duration"].is_number() ? r["duration"].get<int64_t>() : 0;
      grams += r["filament_used"].is_number() ? r["filament_used"].get<double>() : 0.0;
    }
  }
  Answer stats = api("GET", "/api/v1/statistics");
  ASSERT_EQ(stats.status, 200) << stats.raw;
  EXPECT_EQ(stats.body["total_prints"], prints);
  EXPECT_EQ(stats.body["successful"], ok);
  EXPECT_EQ(stats.body["cancelled"], cancelled);
  EXPECT_EQ(stats.body["total_print_time"], seconds);
  EXPECT_NEAR(stats.body["total_filament"].get<double>(), grams, 0.05);
  EXPECT_NEAR(stats.body["success_rate"].get<double>(), 100.0 * ok / prints, 0.05);
  ASSERT_EQ(stats.body["per_printer"].size(), 2u);
  EXPECT_EQ(stats.body["bucket"], "day") << "prints of the last minutes: a daily series";
  int64_t in_series = 0;
  for (const auto& day : stats.body["series"]) {
    in_series += day["total_prints"].get<int64_t>();
  }
  EXPECT_EQ(in_series, prints);
  Answer only_a = api("GET", "/api/v1/statistics?printer_id=" + std::to_string(a));
  EXPECT_EQ(only_a.body["total_prints"], 2);
  EXPECT_EQ(api("GET", "/api/v1/statistics", "", keyWith({"statistics:read"})).status, 200);
}

// GET /api/v1/metrics as Prometheus reads it (the reference parser), against the REST answers.
TEST_F(PrintingTest, MetricsAreValidPrometheusAndAgreeWithTheRestAnswers) {
  int64_t a = addSim("Metrics \"A\"\\1", {{"speed", 900}}); // a name the format must escape
  int64_t b = addSim("Metrics B", {{"speed", 1}});
  int64_t source = upload("gear", 120, 7.5);
  ASSERT_EQ(
      api("POST", "/api/v1/printers/" + std::to_string(a) + "/print/start", json{{"archive_id", source}})
          .status,
      202);
  waitFor("/api/v1/archives?status=success", [](const json& r) { return r["total"] == 1; });
  ASSERT_EQ(
      api("POST", "/api/v1/printers/" + std::to_string(b) + "/print/start", json{{"archive_id", source}})
          .status,
      202);
  waitFor("/api/v1/printers/" + std::to_string(b) + "/status",
          [](const json& s) { return s["state"] == "printing"; });
  // One pending queue item (printer B is busy for a long time).
  ASSERT_EQ(api("POST", "/api/v1/queue", json{{"archive_id", source}, {"printer_id", b}}).status, 201);
  EXPECT_EQ(api("GET", "/api/v1/printers", "", "bb_not_a_key").status, 401);

  const std::string reader = keyWith({"statistics:read"});
  auto scrape = [&](const std::string& key) {
    HttpResult r = httpRequest("127.0.0.1", server_->port(), "GET", "/api/v1/metrics", "",
                               {{"Authorization", "Bearer " + key}});
    EXPECT_EQ(r.status, 200) << r.body;
    return r;
  };
  HttpResult first = scrape(reader);
  ASSERT_NE(first.body.find("# TYPE bambuddy_printers gauge"), std::string::npos) << first.body;
  std::vector<PromSample> m = parsePrometheus(first.body);

  json stats = api("GET", "/api/v1/statistics").body;
  EXPECT_EQ(promValue(m, "bambuddy_prints_total", {{"result", "success"}}),
            stats["successful"].get<double>());
  EXPECT_EQ(promValue(m, "bambuddy_prints_total", {{"result", "failed"}}), stats["failed"].get<double>());
  EXPECT_EQ(promValue(m, "bambuddy_print_seconds_total"), stats["total_print_time"].get<double>());
  EXPECT_NEAR(*promValue(m, "bambuddy_filament_used_grams_total"), stats["total_filament"].get<double>(),
              0.05);

  // Printers: one series per printer, states counted as the status route reports them.
  json printers = api("GET", "/api/v1/printers?limit=1000").body["items"];
  EXPECT_EQ(promSum(m, "bambuddy_printers"), static_cast<double>(printers.size()));
  json status_b = api("GET", "/api/v1/printers/" + std::to_string(b) + "/status").body;
  EXPECT_GE(promValue(m, "bambuddy_printers", {{"state", "printing"}}).value_or(0), 1.0);
  EXPECT_EQ(promValue(m, "bambuddy_printer_connected", {{"printer_id", std::to_string(a)}}), 1.0);
  EXPECT_EQ(promValue(m, "bambuddy_printer_connected", {{"printer", "Metrics \"A\"\\1"}}), 1.0)
      << "the name survives escaping";
  auto progress = promValue(m, "bambuddy_printer_progress_ratio", {{"printer_id", std::to_string(b)}});
  ASSERT_TRUE(progress);
  EXPECT_GE(*progress, 0.0);
  EXPECT_LE(*progress, 1.0);
  if (status_b["temperatures"].contains("nozzle")) {
    EXPECT_TRUE(promValue(m, "bambuddy_printer_temperature_celsius",
                          {{"printer_id", std::to_string(b)}, {"sensor", "nozzle"}}));
  }
  // Queue.
  size_t pending = 0;
  Answer queue = api("GET", "/api/v1/queue?limit=1000");
  for (const auto& item : queue.body["items"]) {
    pending += item["status"] == "pending" ? 1 : 0;
  }
  EXPECT_EQ(promValue(m, "bambuddy_queue_items", {{"status", "pending"}}), static_cast<double>(pending))
      << queue.raw;
  // HTTP: route templates, never raw paths; the 401 above counted; histograms consistent.
  EXPECT_GE(promSum(m, "bambuddy_http_requests_total",
                    {{"route", "/api/v1/printers/{id}/status"}, {"method", "GET"}, {"status", "200"}}),
            2.0);
  for (const auto& sample : m) {
    if (sample.name == "bambuddy_http_requests_total") {
      EXPECT_EQ(sample.labels.at("route").find("/api/v1/printers/" + std::to_string(b)), std::string::npos);
    }
  }
  EXPECT_GE(promValue(m, "bambuddy_auth_failures_total").value_or(0), 1.0);
  EXPECT_EQ(promValue(m, "bambuddy_event_streams"), 0.0) << "no event stream is open";
  EXPECT_TRUE(promValue(m, "bambuddy_event_stream_overflows_total"));
  // Every journal entry of the prints above went through the pump's stages.
  for (const char* stage : {"pickup", "archives", "queue", "notifications", "stream", "bus"}) {
    EXPECT_GE(promValue(m, "bambuddy_journal_stage_seconds_count", {{"stage", stage}}).value_or(0), 2.0)
        << stage;
  }
  const auto count = promValue(m, "bambuddy_http_request_duration_seconds_count",
                               {{"route", "/api/v1/printers/{id}/status"}, {"method", "GET"}});
  const auto inf = promValue(m, "bambuddy_http_request_duration_seconds_bucket",
                             {{"route", "/api/v1/printers/{id}/status"}, {"method", "GET"}, {"le", "+Inf"}});
  ASSERT_TRUE(count && inf);
  EXPECT_EQ(*count, *inf);
  EXPECT_GT(promValue(m, "process_resident_memory_bytes").value_or(0), 1e6);
  EXPECT_GT(promValue(m, "process_threads").value_or(0), 1.0);
  EXPECT_GT(promValue(m, "process_open_fds").value_or(0), 3.0);
  EXPECT_EQ(promValue(m, "bambuddy_build_info").value_or(0), 1.0);

  // A second scrape counts the first one.
  std::vector<PromSample> again = parsePrometheus(scrape(reader).body);
  EXPECT_GE(promValue(again, "bambuddy_http_requests_total",
                      {{"route", "/api/v1/metrics"}, {"method", "GET"}, {"status", "200"}})
                .value_or(0),
            1.0);
  // statistics:read is needed; a key limited to printer A sees only A.
  EXPECT_EQ(api("GET", "/api/v1/metrics", "", keyWith({"printers:read"})).status, 403);
  Answer limited_key =
      api("POST", "/api/v1/api-keys",
          json{{"name", "only A"}, {"permissions", {"statistics:read"}}, {"printer_ids", {a}}});
  ASSERT_EQ(limited_key.status, 201) << limited_key.raw;
  std::vector<PromSample> only_a = parsePrometheus(scrape(limited_key.body["key"]).body);
  EXPECT_EQ(promSum(only_a, "bambuddy_printers"), 1.0);
  EXPECT_FALSE(promValue(only_a, "bambuddy_printer_connected", {{"printer_id", std::to_string(b)}}));
  EXPECT_EQ(promValue(only_a, "bambuddy_prints_total", {{"result", "success"}}), 1.0);
}

TEST_F(PrintingTest, ArchiveEditAndDeleteRemovesItsFiles) {
  int64_t id = upload("edit_me", 60, 1);
  std::string path = "/api/v1/archives/" + std::to_string(id);
  Answer edited =
      api("PATCH", path, json{{"name", "Edited"}, {"notes", "n"}, {"tags", {"a", "b"}}, {"favourite", true}});
  ASSERT_EQ(edited.status, 200) << edited.raw;
  EXPECT_EQ(edited.body["tags"], json::array({"a", "b"}));
  EXPECT_EQ(api("PATCH", path, json{{"tags", {1}}}).status, 400);
  EXPECT_EQ(api("PATCH", path, json{{"status", "success"}}).status, 400) << "read-only";
  EXPECT_EQ(api("GET", path).body["name"], "Edited");
  std::string blobs_dir =
      dir_.file("data") + "/plugins/storage.local/default/blobs/archives/" + std::to_string(id);
  ASSERT_TRUE(std::filesystem::exists(blobs_dir + "/edit_me.3mf")) << "where storage.local keeps it";
  Answer file = api("GET", path + "/file");
  EXPECT_EQ(file.status, 200);
  EXPECT_EQ(file.raw.substr(0, 2), "PK");
  EXPECT_EQ(api("GET", path + "/thumbnail").status, 200);
  EXPECT_EQ(api("DELETE", path, "", keyWith({"archives:read"})).status, 403);
  EXPECT_EQ(api("DELETE", path).status, 204);
  EXPECT_EQ(api("GET", path).status, 404);
  std::string blobs =
      dir_.file("data") + "/plugins/storage.local/default/blobs/archives/" + std::to_string(id);
  EXPECT_FALSE(std::filesystem::exists(blobs + "/edit_me.3mf")) << "file removed too";
  EXPECT_FALSE(std::filesystem::exists(blobs + "/thumbnail.png")) << "thumbnail removed too";
}

TEST_F(PrintingTest, UploadRefusesBadFilesPrecisely) {
  auto post = [&](const std::string& query, const std::string& body,
                  const std::string& type = "application/octet-stream") {
    return api("POST", "/api/v1/archives" + query, body, kAdminKey, {{"Content-Type", type}});
  };
  Answer not_zip = post("?filename=a.3mf", "definitely not a zip");
  EXPECT_EQ(not_zip.status, 400);
  EXPECT_EQ(not_zip.body["code"], "not_zip");
  EXPECT_EQ(post("?filename=a.stl", sampleThreeMf("x", 1, 1)).status, 400);
  EXPECT_EQ(post("", sampleThreeMf("x", 1, 1)).status, 400) << "no file name";
  EXPECT_EQ(post("?filename=a.3mf", sampleThreeMf("x", 1, 1), "multipart/form-data; boundary=x").status, 415);
  EXPECT_EQ(post("?filename=a.3mf", "").status, 400);
  EXPECT_EQ(api("GET", "/api/v1/archives").body["total"], 0) << "nothing stored";
  EXPECT_EQ(post("?filename=a.3mf", sampleThreeMf("x", 1, 1), "application/octet-stream").status, 201);
}

TEST(PrintingLimits, UploadAboveTheLimitIs413BeforeTheBodyIsRead) {
  TempDir dir;
  std::string yaml = "server:\n  listen: 127.0.0.1:0\n  max_request_size_bytes: 65536\n"
                     "archives:\n  max_upload_bytes: 1048576\n"
                     "data_dir: " +
                     dir.file("data") + "\nplugins:\n  search_path: [" + pluginDir() +
                     "]\n  load:\n    - name: storage.local\n    - name: auth.apikey\n";
  ServerProcess server(serverBinary(), {"--config", dir.write("bambuddy.yaml", yaml)},
                       {{"BAMBUDDY_ADMIN_KEY", kAdminKey}});
  ASSERT_TRUE(server.waitReady()) << server.log();
  std::string big(2 * 1024 * 1024, 'x');
  HttpResult r = httpRequest("127.0.0.1", server.port(), "POST", "/api/v1/archives?filename=big.3mf", big,
                             {{"X-API-Key", kAdminKey}});
  EXPECT_EQ(r.status, 413) << r.body;
  // Bodies between the two limits pass the HTTP layer only on the upload route.
  std::string medium(200 * 1024, 'x');
  EXPECT_EQ(httpRequest("127.0.0.1", server.port(), "POST", "/api/v1/archives?filename=m.3mf", medium,
                        {{"X-API-Key", kAdminKey}})
                .status,
            400);
  EXPECT_EQ(
      httpRequest("127.0.0.1", server.port(), "POST", "/api/v1/queue", medium, {{"X-API-Key", kAdminKey}})
          .status,
      413);
}

TEST_F(PrintingTest, SettingsRoundTripAndBadValuesChangeNothing) {
  Answer before = api("GET", "/api/v1/settings");
  ASSERT_EQ(before.status, 200);
  EXPECT_EQ(before.body["progress_milestones"], json::array({25, 50, 75}));
  Answer changed = api("PATCH", "/api/v1/settings",
                       json{{"progress_milestones", {10, 90}},
                            {"currency", "USD"},
                            {"filament_cost_per_kg", 20.0},
                            {"time_zone", "Europe/Berlin"}});
  ASSERT_EQ(changed.status, 200) << changed.raw;
  EXPECT_EQ(api("GET", "/api/v1/settings").body["currency"], "USD");
  Answer bad =
      api("PATCH", "/api/v1/settings",
          json{{"currency", "dollars"}, {"offline_debounce_s", -1}, {"time_zone", "Mars/Base"}, {"x", 1}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_GE(bad.body["errors"].size(), 3u) << bad.raw;
  Answer after = api("GET", "/api/v1/settings");
  EXPECT_EQ(after.body["currency"], "USD") << "nothing changed";
  EXPECT_EQ(after.body["progress_milestones"], json::array({10, 90}));
  std::string reader = keyWith({"settings:read"});
  EXPECT_EQ(api("GET", "/api/v1/settings", "", reader).status, 200);
  EXPECT_EQ(api("PATCH", "/api/v1/settings", json{{"currency", "EUR"}}.dump(), reader).status, 403);
  // Survives a restart.
  ASSERT_EQ(server_->stop(), 0);
  start();
  EXPECT_EQ(api("GET", "/api/v1/settings").body["time_zone"], "Europe/Berlin");
}

TEST_F(PrintingTest, DefaultRateLimitChangesTakeEffectAtOnce) {
  std::string key = keyWith({"printers:read"});
  ASSERT_EQ(api("PATCH", "/api/v1/settings", json{{"default_rate_limits", {{"read", 3}}}}).status, 200);
  int limited = 0;
  for (int i = 0; i < 5; ++i) {
    limited += api("GET", "/api/v1/printers", "", key).status == 429;
  }
  EXPECT_EQ(limited, 2);
}

TEST_F(PrintingTest, RecreatedSimPrinterKeepsItsActionRoute) {
  int64_t id = addSim("Rebind");
  std::string actions = simActions(id);
  ASSERT_EQ(
      api("PATCH", "/api/v1/printers/" + std::to_string(id), json{{"settings", {{"model", "P1S"}}}}).status,
      200);
  waitFor("/api/v1/printers/" + std::to_string(id) + "/status",
          [](const json& s) { return s["connected"] == true; });
  Answer a = api("POST", actions, json{{"action", "sim_offline"}});
  EXPECT_EQ(a.status, 200) << a.raw << " (the route must serve the new instance)";
}

} // namespace printing_test
} // namespace bambuddy::testing
