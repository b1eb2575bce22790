// The driver through its real descriptor and FakeHost: the clock thread, reports, commands.
#include "sim_test_util.h"

#include <atomic>
#include <chrono>
#include <map>
#include <thread>

namespace bambuddy::printer_sim::test {
namespace driver_test {

int rank(const std::string& state) {
  static const std::map<std::string, int> order = {
      {"idle", 0}, {"preparing", 1}, {"printing", 2}, {"finished", 3}};
  auto it = order.find(state);
  return it == order.end() ? -1 : it->second;
}

class SimDriverTest : public SimTest {};

TEST_F(SimDriverTest, ReportsIdleRightAfterStartAndNothingBefore) {
  create();
  EXPECT_EQ(reportCount(), 0u) << "no report before start";
  start();
  auto first = waitFor([](const json&) { return true; });
  ASSERT_TRUE(first);
  EXPECT_EQ((*first)["state"], "idle");
  EXPECT_EQ((*first)["connected"], true);
  EXPECT_EQ((*first)["model"], "X1C");
  EXPECT_EQ((*first)["firmware"], "sim-1.0.0");
  EXPECT_TRUE((*first)["connection_error"].is_null());
  for (const char* field : {"progress", "remaining_time", "temperatures", "layer", "total_layers",
                            "current_print", "errors", "end_reason", "print_error", "filament_used"}) {
    EXPECT_TRUE(first->contains(field)) << field;
  }
}

TEST_F(SimDriverTest, FullPrintIsReportedInOrderWithConsistentFields) {
  create(fastSettings({{"model", "P1S"}}));
  start();
  ASSERT_TRUE(waitForState("idle"));
  size_t from = reportCount();
  std::string job = startPrint("benchy.3mf");
  EXPECT_FALSE(job.empty());
  ASSERT_TRUE(waitForState("finished", from)) << "the print never finished";
  std::vector<json> seen = reports(from);
  seen.resize(matched_index_ - from + 1);

  std::vector<std::string> states;
  int last_rank = 0;
  double last_progress = 0;
  int64_t last_remaining = 600;
  int64_t last_layer = 0;
  double last_filament = 0;
  for (const json& r : seen) {
    std::string state = r["state"];
    if (state == "idle") {
      continue; // reported before the command took effect
    }
    if (states.empty() || states.back() != state) {
      states.push_back(state);
    }
    ASSERT_GE(rank(state), last_rank) << "state went back: " << r.dump();
    last_rank = rank(state);
    ASSERT_EQ(r["current_print"]["job_id"], job) << r.dump();
    EXPECT_EQ(r["current_print"]["filename"], "benchy.3mf");
    EXPECT_EQ(r["model"], "P1S");
    EXPECT_EQ(r["total_layers"], 50);
    double progress = r["progress"];
    int64_t remaining = r["remaining_time"];
    int64_t layer = r["layer"];
    double filament = r["filament_used"];
    EXPECT_GE(progress, last_progress) << r.dump();
    EXPECT_LE(remaining, last_remaining) << r.dump();
    EXPECT_GE(layer, last_layer) << r.dump();
    EXPECT_GE(filament, last_filament) << r.dump();
    EXPECT_LE(layer, 50);
    // remaining_time and progress describe the same moment of a 600 s print.
    EXPECT_NEAR(static_cast<double>(remaining), 600.0 * (100.0 - progress) / 100.0, 1.0) << r.dump();
    EXPECT_TRUE(r["end_reason"].is_null());
    if (state == "preparing") {
      EXPECT_EQ(progress, 0.0);
      EXPECT_EQ(layer, 0);
      EXPECT_EQ(r["temperatures"]["nozzle_target"], 220.0);
    } else if (state == "printing") {
      EXPECT_GE(layer, 1);
      EXPECT_LT(progress, 100.0);
      EXPECT_EQ(r["temperatures"]["nozzle"], 220.0);
    }
    last_progress = progress;
    last_remaining = remaining;
    last_layer = layer;
    last_filament = filament;
  }
  EXPECT_EQ(states, (std::vector<std::string>{"preparing", "printing", "finished"}));
  const json& done = seen.back();
  EXPECT_EQ(done["progress"], 100.0);
  EXPECT_EQ(done["remaining_time"], 0);
  EXPECT_EQ(done["layer"], 50);
  EXPECT_EQ(done["filament_used"], 2.4);
  EXPECT_TRUE(done["print_error"].is_null());
}

TEST_F(SimDriverTest, EachPrintHasItsOwnJobId) {
  create();
  start();
  std::string first = startPrint("a.3mf", 60);
  ASSERT_TRUE(waitFor(
      [&](const json& r) { return r["state"] == "finished" && r["current_print"]["job_id"] == first; }));
  std::string second = startPrint("b.3mf", 60);
  EXPECT_NE(first, second);
  auto done = waitFor(
      [&](const json& r) { return r["state"] == "finished" && r["current_print"]["job_id"] == second; });
  ASSERT_TRUE(done);
  EXPECT_EQ((*done)["current_print"]["filename"], "b.3mf");
}

TEST_F(SimDriverTest, EstimatedTimeGivesTheDuration) {
  create();
  start();
  size_t from = reportCount();
  startPrint("long.3mf", 7200);
  auto prep = waitForState("preparing", from);
  ASSERT_TRUE(prep);
  EXPECT_EQ((*prep)["remaining_time"], 7200);
  EXPECT_EQ((*prep)["total_layers"], 600);
}

TEST_F(SimDriverTest, PauseFreezesAndResumeContinues) {
  create(fastSettings({{"speed", 600}}));
  start();
  startPrint("a.3mf", 6000); // 10 real seconds: it cannot finish during this test
  ASSERT_TRUE(waitFor([](const json& r) { return r["state"] == "printing" && r["progress"] > 0.0; }));
  json paused_result = ok({{"action", "pause"}});
  EXPECT_EQ(paused_result, (json{{"state", "paused"}}));
  auto paused = waitForState("paused");
  ASSERT_TRUE(paused);
  size_t after_pause = reportCount();
  // A running print at speed 600 changes every tick (20 ms); a paused one must not report at all
  // until the 5 s keepalive.
  EXPECT_FALSE(host_.waitForStatusReports(after_pause + 1, 300)) << reports(after_pause).back().dump();
  EXPECT_EQ(ok({{"action", "resume"}}), (json{{"state", "printing"}}));
  auto resumed = waitForState("printing", after_pause);
  ASSERT_TRUE(resumed);
  EXPECT_EQ((*resumed)["progress"], (*paused)["progress"]) << "progress moved while paused";
  EXPECT_EQ((*resumed)["remaining_time"], (*paused)["remaining_time"]);
  double at_resume = (*resumed)["progress"];
  ASSERT_TRUE(waitFor([&](const json& r) { return r["state"] == "printing" && r["progress"] > at_resume; },
                      after_pause))
      << "the print did not go on after resume";
}

TEST_F(SimDriverTest, StopCancels) {
  create(fastSettings({{"speed", 600}}));
  start();
  std::string job = startPrint("a.3mf", 6000);
  ASSERT_TRUE(waitForState("printing"));
  EXPECT_EQ(ok({{"action", "stop"}}), (json{{"state", "failed"}}));
  auto failed = waitForState("failed");
  ASSERT_TRUE(failed);
  EXPECT_EQ((*failed)["end_reason"], "cancelled");
  EXPECT_EQ((*failed)["print_error"], "0300_400C");
  EXPECT_EQ((*failed)["current_print"]["job_id"], job);
  EXPECT_TRUE((*failed)["remaining_time"].is_null());
  // Nothing prints after a cancel; a new start works and is a new job.
  std::string next = startPrint("b.3mf", 6000);
  EXPECT_NE(next, job);
  auto prep = waitFor(
      [&](const json& r) { return r["state"] == "preparing" && r["current_print"]["job_id"] == next; });
  ASSERT_TRUE(prep);
  EXPECT_TRUE((*prep)["end_reason"].is_null());
  EXPECT_TRUE((*prep)["print_error"].is_null());
}

TEST_F(SimDriverTest, SimFailEndsTheJobWithAnError) {
  create(fastSettings({{"speed", 600}}));
  start();
  startPrint("a.3mf", 6000);
  ASSERT_TRUE(waitForState("printing"));
  EXPECT_EQ(ok({{"action", "sim_fail"}}), (json{{"state", "failed"}}));
  auto failed = waitForState("failed");
  ASSERT_TRUE(failed);
  EXPECT_EQ((*failed)["end_reason"], "error");
  EXPECT_EQ((*failed)["print_error"], "0300_4001");

  // The first job's failure may still be reported a few times (cooling): match the second job.
  std::string second = startPrint("b.3mf", 6000);
  ok({{"action", "sim_fail"}, {"print_error", "0500_803c"}});
  failed = waitFor(
      [&](const json& r) { return r["state"] == "failed" && r["current_print"]["job_id"] == second; });
  ASSERT_TRUE(failed);
  EXPECT_EQ((*failed)["end_reason"], "error");
  EXPECT_EQ((*failed)["print_error"], "0500_803C");
}

TEST_F(SimDriverTest, HmsErrorsComeAndGo) {
  create();
  start();
  json r = ok({{"action", "sim_hms"},
               {"code", "0300_4000_0002_0001"},
               {"severity", "serious"},
               {"module", "mc"},
               {"message", "Heatbed temperature is abnormal"}});
  EXPECT_EQ(r, (json{{"active_errors", 1}, {"state", "idle"}}));
  auto with = waitFor([](const json& s) { return !s["errors"].empty(); });
  ASSERT_TRUE(with);
  EXPECT_EQ((*with)["errors"], (json::array({{{"code", "0300_4000_0002_0001"},
                                              {"severity", "serious"},
                                              {"module", "mc"},
                                              {"message", "Heatbed temperature is abnormal"}}})));
  ok({{"action", "sim_hms"}, {"code", "0c00_0300_0003_000b"}});
  auto two = waitFor([](const json& s) { return s["errors"].size() == 2; });
  ASSERT_TRUE(two);
  EXPECT_EQ((*two)["errors"][1], (json{{"code", "0C00_0300_0003_000B"},
                                       {"severity", "common"},
                                       {"module", "mc"},
                                       {"message", "simulated error 0C00_0300_0003_000B"}}));
  EXPECT_EQ(ok({{"action", "sim_clear_errors"}}), (json{{"active_errors", 0}, {"state", "idle"}}));
  size_t from = matched_index_ + 1;
  ASSERT_TRUE(waitFor([](const json& s) { return s["errors"].empty(); }, from));
}

TEST_F(SimDriverTest, OfflineRefusesPrinterActionsUntilOnline) {
  create(fastSettings({{"speed", 600}}));
  start();
  std::string job = startPrint("a.3mf", 6000);
  ASSERT_TRUE(waitForState("printing"));
  EXPECT_EQ(ok({{"action", "sim_offline"}}), (json{{"state", "offline"}}));
  auto offline = waitForState("offline");
  ASSERT_TRUE(offline);
  EXPECT_EQ((*offline)["connected"], false);
  EXPECT_NE((*offline)["connection_error"].get<std::string>().find("sim_offline"), std::string::npos);
  EXPECT_FALSE(offline->contains("progress")) << "an offline printer's progress is unknown";
  for (const json& cmd : {json{{"action", "pause"}}, json{{"action", "resume"}}, json{{"action", "stop"}},
                          json{{"action", "start_print"}, {"filename", "b.3mf"}}}) {
    CommandResult r = command(cmd);
    EXPECT_EQ(r.rc, BB_ERR_UNAVAILABLE) << cmd.dump();
    EXPECT_EQ(r.reason, "not_connected");
    EXPECT_NE(r.message.find("offline"), std::string::npos) << r.message;
  }
  size_t from = reportCount();
  EXPECT_EQ(ok({{"action", "sim_online"}}), (json{{"state", "printing"}}));
  auto back = waitFor([](const json& s) { return s["connected"] == true; }, from);
  ASSERT_TRUE(back);
  // The print went on while the link was down, like a real printer's.
  EXPECT_EQ((*back)["state"], "printing");
  EXPECT_EQ((*back)["current_print"]["job_id"], job);
  EXPECT_TRUE((*back)["connection_error"].is_null());
  EXPECT_EQ(ok({{"action", "pause"}}), (json{{"state", "paused"}}));
}

TEST_F(SimDriverTest, StartConnectedFalseStartsOffline) {
  create(fastSettings({{"start_connected", false}}));
  start();
  auto first = waitFor([](const json&) { return true; });
  ASSERT_TRUE(first);
  EXPECT_EQ((*first)["state"], "offline");
  EXPECT_EQ((*first)["connected"], false);
  EXPECT_NE((*first)["connection_error"].get<std::string>().find("start_connected"), std::string::npos);
  EXPECT_EQ(command({{"action", "start_print"}, {"filename", "a.3mf"}}).rc, BB_ERR_UNAVAILABLE);
  ok({{"action", "sim_online"}});
  ASSERT_TRUE(waitForState("idle"));
}

TEST_F(SimDriverTest, ConflictsNameTheCurrentState) {
  create(fastSettings({{"speed", 600}}));
  start();
  CommandResult r = command({{"action", "pause"}});
  EXPECT_EQ(r.rc, BB_ERR_CONFLICT);
  EXPECT_EQ(r.reason, "state_conflict");
  EXPECT_NE(r.message.find("cannot pause: the printer is idle"), std::string::npos) << r.message;
  r = command({{"action", "resume"}});
  EXPECT_EQ(r.rc, BB_ERR_CONFLICT);
  EXPECT_NE(r.message.find("idle"), std::string::npos) << r.message;
  r = command({{"action", "stop"}});
  EXPECT_EQ(r.rc, BB_ERR_CONFLICT);
  EXPECT_NE(r.message.find("cannot stop: the printer is idle"), std::string::npos) << r.message;
  r = command({{"action", "sim_fail"}});
  EXPECT_EQ(r.rc, BB_ERR_CONFLICT);

  std::string job = startPrint("a.3mf", 6000);
  ASSERT_TRUE(waitForState("printing"));
  r = command({{"action", "start_print"}, {"filename", "b.3mf"}});
  EXPECT_EQ(r.rc, BB_ERR_CONFLICT);
  EXPECT_NE(r.message.find("cannot start a print: the printer is printing (job " + job + ", a.3mf)"),
            std::string::npos)
      << r.message;
  r = command({{"action", "resume"}});
  EXPECT_EQ(r.rc, BB_ERR_CONFLICT);
  EXPECT_NE(r.message.find("the printer is printing"), std::string::npos) << r.message;
  ok({{"action", "pause"}});
  r = command({{"action", "pause"}});
  EXPECT_EQ(r.rc, BB_ERR_CONFLICT);
  EXPECT_NE(r.message.find("the printer is paused"), std::string::npos) << r.message;
  // The refused start left the running job alone.
  ASSERT_TRUE(waitForState("paused"));
  EXPECT_EQ(reports().back()["current_print"]["job_id"], job);
}

TEST_F(SimDriverTest, BadCommandsGetPreciseErrors) {
  create();
  start();
  struct Case {
    std::string text;
    int32_t rc;
    std::string needle;
  };
  std::vector<Case> cases = {
      {"not json", BB_ERR_INVALID_ARGUMENT, "JSON object"},
      {"[]", BB_ERR_INVALID_ARGUMENT, "JSON object"},
      {"{}", BB_ERR_INVALID_ARGUMENT, "\"action\""},
      {R"({"action":7})", BB_ERR_INVALID_ARGUMENT, "\"action\""},
      {R"({"action":"explode"})", BB_ERR_UNSUPPORTED, "'explode' is not supported"},
      {R"({"action":"start_print"})", BB_ERR_INVALID_ARGUMENT, "start_print needs \"filename\""},
      {R"({"action":"start_print","filename":""})", BB_ERR_INVALID_ARGUMENT, "filename must be"},
      {R"({"action":"start_print","filename":"a\nb"})", BB_ERR_INVALID_ARGUMENT, "control characters"},
      {R"({"action":"start_print","filename":"a","estimated_time_s":-5})", BB_ERR_INVALID_ARGUMENT,
       "estimated_time_s"},
      {R"({"action":"start_print","filename":"a","estimated_time_s":"60"})", BB_ERR_INVALID_ARGUMENT,
       "estimated_time_s"},
      {R"({"action":"sim_hms"})", BB_ERR_INVALID_ARGUMENT, "sim_hms needs \"code\""},
      {R"({"action":"sim_hms","code":"0300_4000"})", BB_ERR_INVALID_ARGUMENT, "XXXX_XXXX_XXXX_XXXX"},
      {R"({"action":"sim_hms","code":"0300_4000_0002_000G"})", BB_ERR_INVALID_ARGUMENT, "16 hex digits"},
      {R"({"action":"sim_hms","code":"0300_4000_0002_0001","severity":"bad"})", BB_ERR_INVALID_ARGUMENT,
       "severity must be"},
      {R"({"action":"sim_fail","print_error":"0000_0000"})", BB_ERR_INVALID_ARGUMENT, "non-zero"},
      {R"({"action":"sim_fail","print_error":50348044})", BB_ERR_INVALID_ARGUMENT, "XXXX_XXXX"},
  };
  // Deep nesting must not exhaust the stack: refused before parsing, naming the limit.
  cases.push_back({std::string(100000, '['), BB_ERR_INVALID_ARGUMENT, "nested deeper than 64 levels"});
  cases.push_back({std::string(100000, '[') + std::string(100000, ']'), BB_ERR_INVALID_ARGUMENT,
                   "nested deeper than 64 levels"});
  for (const Case& c : cases) {
    CommandResult r = commandText(c.text);
    std::string shown = c.text.substr(0, 80);
    EXPECT_EQ(r.rc, c.rc) << shown << ": " << r.message;
    EXPECT_NE(r.message.find(c.needle), std::string::npos) << shown << ": " << r.message;
  }
  // None of them changed anything, and the core's extra fields are ignored.
  EXPECT_FALSE(startPrint("ok.3mf", 60).empty());
  CommandResult r = command({{"action", "sim_clear_errors"}, {"archive_id", 12}});
  EXPECT_EQ(r.rc, BB_OK);
}

TEST_F(SimDriverTest, CommandsNeedARunningDriver) {
  create();
  CommandResult r = command({{"action", "start_print"}, {"filename", "a.3mf"}});
  EXPECT_EQ(r.rc, BB_ERR_UNAVAILABLE);
  EXPECT_EQ(r.reason, "not_started");
  start();
  EXPECT_EQ(command({{"action", "sim_clear_errors"}}).rc, BB_OK);
  stop();
  r = command({{"action", "sim_online"}});
  EXPECT_EQ(r.rc, BB_ERR_UNAVAILABLE);
  EXPECT_EQ(r.reason, "not_started");
}

TEST_F(SimDriverTest, StopJoinsPromptlyAndReportsNothingAfter) {
  // The longest interval: stop must wake the thread, not wait the interval out.
  create(fastSettings({{"speed", 3000}, {"report_interval_ms", 5000}}));
  start();
  startPrint("a.3mf", 2592000); // 864 real seconds: never finishes within the test
  ASSERT_TRUE(waitForState("preparing"));
  auto t0 = std::chrono::steady_clock::now();
  stop();
  auto stop_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  EXPECT_LT(stop_ms.count(), 1000) << "stop waited for the report interval";
  size_t count = reportCount();
  EXPECT_FALSE(host_.waitForStatusReports(count + 1, 300)) << "a report arrived after stop returned";
  stop(); // idempotent
  EXPECT_EQ(reportCount(), count);
}

TEST_F(SimDriverTest, NoReportAfterStopWhileReportingFast) {
  create(fastSettings({{"speed", 600}, {"report_interval_ms", 10}}));
  start();
  startPrint("a.3mf", 60000);
  ASSERT_TRUE(waitFor([](const json& r) { return r["state"] == "printing" && r["progress"] > 0.0; }));
  stop();
  size_t count = reportCount();
  // Printing at speed 600 with 10 ms ticks changes every tick: a live thread would report here.
  EXPECT_FALSE(host_.waitForStatusReports(count + 1, 300));
}

TEST_F(SimDriverTest, RestartContinuesTheSimulation) {
  create(fastSettings({{"speed", 600}}));
  start();
  std::string job = startPrint("a.3mf", 60000);
  ASSERT_TRUE(waitFor([](const json& r) { return r["state"] == "printing" && r["progress"] > 0.0; }));
  stop();
  size_t from = reportCount();
  double before = reports().back()["progress"];
  start();
  start(); // idempotent
  auto again = waitFor([](const json&) { return true; }, from);
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)["current_print"]["job_id"], job);
  EXPECT_GE((*again)["progress"].get<double>(), before);
  ASSERT_TRUE(waitFor([&](const json& r) { return r["progress"] > before; }, from));
}

TEST_F(SimDriverTest, AutoPrintKeepsPrintingInALoop) {
  create(fastSettings({{"print_time_s", 60}, {"auto_print", {{"filename", "demo.3mf"}, {"idle_s", 5}}}}));
  start();
  std::vector<std::string> finished_jobs;
  size_t from = 0;
  while (finished_jobs.size() < 3) {
    auto done = waitFor(
        [&](const json& r) {
          return r["state"] == "finished" &&
                 (finished_jobs.empty() || r["current_print"]["job_id"] != finished_jobs.back());
        },
        from);
    ASSERT_TRUE(done) << "only " << finished_jobs.size() << " automatic prints finished";
    EXPECT_EQ((*done)["current_print"]["filename"], "demo.3mf");
    finished_jobs.push_back((*done)["current_print"]["job_id"]);
    from = matched_index_ + 1;
  }
  EXPECT_NE(finished_jobs[0], finished_jobs[1]);
  EXPECT_NE(finished_jobs[1], finished_jobs[2]);
}

TEST_F(SimDriverTest, UnchangedStatusIsRepeatedAsKeepalive) {
  create(fastSettings({{"report_interval_ms", 50}}));
  start();
  ASSERT_TRUE(waitForState("idle"));
  // Wait for the temperatures to settle is not needed: an idle printer at ambient never changes,
  // so the second report can only be the keepalive (5 s).
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(host_.waitForStatusReports(2, 10000)) << "no keepalive report";
  auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  EXPECT_GE(waited.count(), 4000);
  auto all = reports();
  EXPECT_EQ(all[0], all[1]);
}

TEST_F(SimDriverTest, ConcurrentCommandsKeepTheStateConsistent) {
  create(fastSettings({{"speed", 600}, {"report_interval_ms", 10}}));
  start();
  std::atomic<int> unexpected{0};
  std::vector<std::thread> threads;
  const std::vector<json> mix = {
      {{"action", "start_print"}, {"filename", "c.3mf"}, {"estimated_time_s", 30}},
      {{"action", "pause"}},
      {{"action", "resume"}},
      {{"action", "stop"}},
      {{"action", "sim_hms"}, {"code", "0300_4000_0002_0001"}},
      {{"action", "sim_clear_errors"}},
      {{"action", "sim_fail"}},
  };
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        CommandResult r = command(mix[static_cast<size_t>(t + i) % mix.size()]);
        // Only success or a state conflict can come out of valid commands on a connected printer.
        if (r.rc != BB_OK && r.rc != BB_ERR_CONFLICT) {
          ++unexpected;
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(unexpected, 0);
  stop();
  // Every report is a complete status with a known state.
  for (const json& r : reports()) {
    std::string state = r["state"];
    EXPECT_TRUE(state == "idle" || state == "preparing" || state == "printing" || state == "paused" ||
                state == "finished" || state == "failed")
        << r.dump();
    EXPECT_TRUE(r.contains("progress") && r.contains("errors") && r.contains("current_print")) << r.dump();
  }
}

TEST_F(SimDriverTest, Capabilities) {
  create();
  std::string out;
  host_.call(ops()->capabilities, instance_->self(), &sdk::detail::appendToString, static_cast<void*>(&out));
  EXPECT_EQ(
      json::parse(out),
      (json{{"pause", true}, {"resume", true}, {"stop", true}, {"start_print", true}, {"simulated", true}}));
}

} // namespace driver_test
} // namespace bambuddy::printer_sim::test
