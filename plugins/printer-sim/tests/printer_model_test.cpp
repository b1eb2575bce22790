// SimPrinter on exact simulated time steps: states, progress, temperatures, layers, conflicts.
#include "sim_printer.h"

#include <bambuddy/sdk.hpp>

#include <gtest/gtest.h>

#include <string>

namespace bambuddy::printer_sim::test {
namespace printer_model_test {

using nlohmann::json;

SimSettings settings() {
  SimSettings s;
  s.print_time_s = 600;
  return s;
}

// Advances by exactly `seconds`, following every state change; returns the states passed.
std::vector<std::string> run(SimPrinter& p, double seconds) {
  std::vector<std::string> states;
  double budget = seconds;
  while (budget > 0) {
    if (p.advance(budget)) {
      states.push_back(stateName(p.state()));
    }
  }
  return states;
}

void expectConflict(const std::function<void()>& fn, const std::string& needle) {
  try {
    fn();
    ADD_FAILURE() << "no conflict, expected one mentioning '" << needle << "'";
  } catch (const sdk::Error& e) {
    EXPECT_EQ(e.code(), BB_ERR_CONFLICT);
    EXPECT_EQ(e.reason(), "state_conflict");
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(SimPrinter, StartsIdleWithNoJob) {
  SimPrinter p(settings(), "sim-x");
  json s = p.status();
  EXPECT_EQ(s["connected"], true);
  EXPECT_EQ(s["state"], "idle");
  EXPECT_EQ(s["progress"], 0.0);
  EXPECT_TRUE(s["remaining_time"].is_null());
  EXPECT_TRUE(s["current_print"].is_null());
  EXPECT_TRUE(s["layer"].is_null());
  EXPECT_TRUE(s["total_layers"].is_null());
  EXPECT_TRUE(s["filament_used"].is_null());
  EXPECT_TRUE(s["end_reason"].is_null());
  EXPECT_TRUE(s["print_error"].is_null());
  EXPECT_TRUE(s["connection_error"].is_null());
  EXPECT_EQ(s["errors"], json::array());
  EXPECT_EQ(s["model"], "X1C");
  EXPECT_EQ(s["temperatures"]["nozzle"], kAmbientC);
  EXPECT_EQ(s["temperatures"]["nozzle_target"], 0.0);
  EXPECT_EQ(s["temperatures"]["bed_target"], 0.0);
  EXPECT_TRUE(run(p, 3600).empty()) << "an idle printer without auto_print must stay idle";
}

TEST(SimPrinter, PrintGoesThroughPreparingPrintingFinished) {
  SimPrinter p(settings(), "sim-x");
  std::string job = p.startPrint("benchy.3mf", std::nullopt);
  EXPECT_EQ(job, "sim-x-1");
  json s = p.status();
  EXPECT_EQ(s["state"], "preparing");
  EXPECT_EQ(s["progress"], 0.0);
  EXPECT_EQ(s["remaining_time"], 600);
  EXPECT_EQ(s["layer"], 0);
  EXPECT_EQ(s["total_layers"], 50); // 600 s / 12 s per layer
  EXPECT_EQ(s["current_print"], (json{{"filename", "benchy.3mf"}, {"job_id", "sim-x-1"}}));
  EXPECT_EQ(s["temperatures"]["nozzle_target"], 220.0);
  EXPECT_EQ(s["temperatures"]["bed_target"], 60.0);
  EXPECT_EQ(s["filament_used"], 0.0);

  // Halfway through preparing the heaters are halfway to their targets.
  EXPECT_TRUE(run(p, kPrepareS / 2).empty());
  s = p.status();
  EXPECT_EQ(s["temperatures"]["nozzle"], 122.5);
  EXPECT_EQ(s["temperatures"]["bed"], 42.5);

  EXPECT_EQ(run(p, kPrepareS / 2), std::vector<std::string>{"printing"});
  s = p.status();
  EXPECT_EQ(s["temperatures"]["nozzle"], 220.0);
  EXPECT_EQ(s["temperatures"]["bed"], 60.0);
  EXPECT_EQ(s["layer"], 1);

  EXPECT_TRUE(run(p, 300).empty());
  s = p.status();
  EXPECT_EQ(s["state"], "printing");
  EXPECT_EQ(s["progress"], 50.0);
  EXPECT_EQ(s["remaining_time"], 300);
  EXPECT_EQ(s["layer"], 26);
  EXPECT_EQ(s["filament_used"], 1.2); // 600 s * 0.004 g/s * 50 %
  EXPECT_TRUE(s["end_reason"].is_null());

  EXPECT_EQ(run(p, 300), std::vector<std::string>{"finished"});
  s = p.status();
  EXPECT_EQ(s["state"], "finished");
  EXPECT_EQ(s["progress"], 100.0);
  EXPECT_EQ(s["remaining_time"], 0);
  EXPECT_EQ(s["layer"], 50);
  EXPECT_EQ(s["filament_used"], 2.4);
  EXPECT_TRUE(s["end_reason"].is_null());
  EXPECT_TRUE(s["print_error"].is_null());
  EXPECT_EQ(s["current_print"]["job_id"], "sim-x-1");
  EXPECT_EQ(s["temperatures"]["nozzle_target"], 0.0);

  // The heaters cool down to ambient after the print and the printer stays finished.
  EXPECT_TRUE(run(p, 10).empty());
  EXPECT_EQ(p.status()["temperatures"]["nozzle"], 200.0);
  EXPECT_TRUE(run(p, 3600).empty());
  EXPECT_EQ(p.status()["temperatures"]["nozzle"], kAmbientC);
  EXPECT_EQ(p.status()["temperatures"]["bed"], kAmbientC);
  EXPECT_EQ(p.status()["state"], "finished");
}

TEST(SimPrinter, OneBigStepStopsAtEachStateChange) {
  SimPrinter p(settings(), "sim-x");
  p.startPrint("a.3mf", 100.0);
  double budget = 1000;
  EXPECT_TRUE(p.advance(budget));
  EXPECT_EQ(p.state(), PrintState::Printing);
  EXPECT_DOUBLE_EQ(budget, 1000 - kPrepareS);
  EXPECT_TRUE(p.advance(budget));
  EXPECT_EQ(p.state(), PrintState::Finished);
  EXPECT_DOUBLE_EQ(budget, 1000 - kPrepareS - 100);
  EXPECT_FALSE(p.advance(budget));
  EXPECT_EQ(budget, 0);
}

TEST(SimPrinter, EstimatedTimeSetsTheDurationAndLayers) {
  SimPrinter p(settings(), "sim-x");
  p.startPrint("long.3mf", 3600.0);
  EXPECT_EQ(p.status()["remaining_time"], 3600);
  EXPECT_EQ(p.status()["total_layers"], 300);
  run(p, kPrepareS + 900);
  EXPECT_EQ(p.status()["progress"], 25.0);
  EXPECT_EQ(p.status()["remaining_time"], 2700);
}

TEST(SimPrinter, PauseFreezesTheJobAndResumeContinues) {
  SimPrinter p(settings(), "sim-x");
  p.startPrint("a.3mf", std::nullopt);
  run(p, kPrepareS + 150);
  p.pause();
  json paused = p.status();
  EXPECT_EQ(paused["state"], "paused");
  EXPECT_EQ(paused["progress"], 25.0);
  EXPECT_EQ(paused["temperatures"]["nozzle_target"], 220.0);
  EXPECT_TRUE(run(p, 10000).empty());
  json later = p.status();
  EXPECT_EQ(later, paused) << "nothing may move while paused";
  p.resume();
  EXPECT_EQ(p.status()["state"], "printing");
  EXPECT_EQ(run(p, 450), std::vector<std::string>{"finished"});
}

TEST(SimPrinter, StopCancelsWithTheBambuCancelCode) {
  SimPrinter p(settings(), "sim-x");
  p.startPrint("a.3mf", std::nullopt);
  run(p, kPrepareS + 60);
  p.stop();
  json s = p.status();
  EXPECT_EQ(s["state"], "failed");
  EXPECT_EQ(s["end_reason"], "cancelled");
  EXPECT_EQ(s["print_error"], kCancelledPrintError);
  EXPECT_EQ(s["progress"], 10.0);
  EXPECT_TRUE(s["remaining_time"].is_null());
  EXPECT_EQ(s["layer"], 6);
  EXPECT_EQ(s["current_print"]["filename"], "a.3mf");
  EXPECT_EQ(s["temperatures"]["nozzle_target"], 0.0);

  // A new print clears the end of the last one and gets a new job id.
  EXPECT_EQ(p.startPrint("b.3mf", std::nullopt), "sim-x-2");
  s = p.status();
  EXPECT_TRUE(s["end_reason"].is_null());
  EXPECT_TRUE(s["print_error"].is_null());
  EXPECT_EQ(s["progress"], 0.0);
}

TEST(SimPrinter, StopWhilePreparingOrPaused) {
  SimPrinter p(settings(), "sim-x");
  p.startPrint("a.3mf", std::nullopt);
  p.stop();
  EXPECT_EQ(p.status()["end_reason"], "cancelled");
  EXPECT_EQ(p.status()["layer"], 0);
  p.startPrint("a.3mf", std::nullopt);
  run(p, kPrepareS + 1);
  p.pause();
  p.stop();
  EXPECT_EQ(p.status()["state"], "failed");
}

TEST(SimPrinter, FailEndsWithErrorAndCode) {
  SimPrinter p(settings(), "sim-x");
  p.startPrint("a.3mf", std::nullopt);
  run(p, kPrepareS + 300);
  p.fail("0500_803C");
  json s = p.status();
  EXPECT_EQ(s["state"], "failed");
  EXPECT_EQ(s["end_reason"], "error");
  EXPECT_EQ(s["print_error"], "0500_803C");
  EXPECT_EQ(s["progress"], 50.0);
}

TEST(SimPrinter, ConflictsNameTheState) {
  SimPrinter p(settings(), "sim-x");
  expectConflict([&] { p.pause(); }, "cannot pause: the printer is idle");
  expectConflict([&] { p.resume(); }, "cannot resume: the printer is idle");
  expectConflict([&] { p.stop(); }, "cannot stop: the printer is idle");
  expectConflict([&] { p.fail("0300_4001"); }, "the printer is idle");
  std::string job = p.startPrint("a.3mf", std::nullopt);
  expectConflict([&] { p.pause(); }, "cannot pause: the printer is preparing (job " + job + ", a.3mf)");
  expectConflict([&] { p.startPrint("b.3mf", std::nullopt); },
                 "cannot start a print: the printer is preparing");
  run(p, kPrepareS);
  expectConflict([&] { p.resume(); }, "cannot resume: the printer is printing");
  expectConflict([&] { p.startPrint("b.3mf", std::nullopt); }, "the printer is printing (job " + job);
  p.pause();
  expectConflict([&] { p.pause(); }, "cannot pause: the printer is paused");
  expectConflict([&] { p.startPrint("b.3mf", std::nullopt); }, "the printer is paused");
  p.stop();
  expectConflict([&] { p.stop(); }, "cannot stop: the printer is failed");
  expectConflict([&] { p.resume(); }, "the printer is failed");
  // A refused command changed nothing.
  EXPECT_EQ(p.status()["current_print"]["filename"], "a.3mf");
}

TEST(SimPrinter, ErrorsAreAddedReplacedAndCleared) {
  SimPrinter p(settings(), "sim-x");
  p.addError({"0300_4000_0002_0001", "serious", "mc", "first"});
  p.addError({"0700_2000_0002_0001", "common", "ams", "second"});
  p.addError({"0300_4000_0002_0001", "fatal", "mc", "first again"});
  json errors = p.status()["errors"];
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], (json{{"code", "0300_4000_0002_0001"},
                             {"severity", "fatal"},
                             {"module", "mc"},
                             {"message", "first again"}}));
  EXPECT_EQ(errors[1]["module"], "ams");
  // Errors outlive prints until cleared.
  p.startPrint("a.3mf", 1.0);
  run(p, kPrepareS + 1);
  EXPECT_EQ(p.status()["errors"].size(), 2u);
  EXPECT_EQ(p.clearErrors(), 2u);
  EXPECT_EQ(p.status()["errors"], json::array());
}

TEST(SimPrinter, ErrorListIsBounded) {
  SimPrinter p(settings(), "sim-x");
  for (size_t i = 0; i < kMaxErrors; ++i) {
    char code[32];
    std::snprintf(code, sizeof code, "0300_4000_0002_%04zu", i);
    p.addError({code, "info", "mc", "x"});
  }
  try {
    p.addError({"0300_4000_0003_0000", "info", "mc", "x"});
    ADD_FAILURE() << "33rd error accepted";
  } catch (const sdk::Error& e) {
    EXPECT_EQ(e.code(), BB_ERR_CONFLICT);
    EXPECT_NE(std::string(e.what()).find("sim_clear_errors"), std::string::npos);
  }
  // Replacing an active one still works at the limit.
  p.addError({"0300_4000_0002_0000", "fatal", "mc", "y"});
  EXPECT_EQ(p.errorCount(), kMaxErrors);
}

TEST(SimPrinter, AutoPrintLoops) {
  SimSettings s = settings();
  s.print_time_s = 60;
  s.auto_print = AutoPrint{"demo.3mf", true, 10};
  SimPrinter p(s, "sim-x");
  EXPECT_TRUE(run(p, 9.5).empty());
  EXPECT_EQ(run(p, 0.5), std::vector<std::string>{"preparing"});
  EXPECT_EQ(p.status()["current_print"], (json{{"filename", "demo.3mf"}, {"job_id", "sim-x-1"}}));
  EXPECT_EQ(run(p, kPrepareS + 60), (std::vector<std::string>{"printing", "finished"}));
  EXPECT_EQ(run(p, 10 + kPrepareS + 60 + 10),
            (std::vector<std::string>{"preparing", "printing", "finished", "preparing"}));
  EXPECT_EQ(p.status()["current_print"]["job_id"], "sim-x-3");
}

TEST(SimPrinter, AutoPrintOnceAndAfterAFailure) {
  SimSettings s = settings();
  s.print_time_s = 60;
  s.auto_print = AutoPrint{"demo.3mf", false, 0};
  SimPrinter p(s, "sim-x");
  EXPECT_EQ(run(p, 1), (std::vector<std::string>{"preparing"}));
  p.fail("0300_4001");
  EXPECT_TRUE(run(p, 3600).empty()) << "repeat false prints once";
  EXPECT_EQ(p.status()["state"], "failed");

  s.auto_print->repeat = true;
  s.auto_print->idle_s = 5;
  SimPrinter loop(s, "sim-y");
  run(loop, 5 + kPrepareS + 1);
  loop.stop();
  EXPECT_EQ(run(loop, 5), (std::vector<std::string>{"preparing"})) << "the loop goes on after a cancel";
}

TEST(SimPrinter, ProgressNeverReaches100BeforeTheEnd) {
  SimPrinter p(settings(), "sim-x");
  p.startPrint("a.3mf", 1000.0);
  run(p, kPrepareS + 999.9);
  EXPECT_EQ(p.status()["state"], "printing");
  EXPECT_EQ(p.status()["progress"], 99.9);
  EXPECT_EQ(p.status()["remaining_time"], 1);
}

} // namespace printer_model_test
} // namespace bambuddy::printer_sim::test
