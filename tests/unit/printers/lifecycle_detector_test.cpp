// The lifecycle detector turns normalized status reports into print events. The sequences below
// follow the real printer captures in plugins/printer-bambu/tests/fixtures (as the Bambu driver
// normalizes them): the P2S run that starts, pauses on an error and is stopped; FINISH and FAILED
// pushalls; HMS lists; plus connection loss with and without the debounce running out.
#include "printers/lifecycle_detector.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bambuddy::printers {
namespace lifecycle_detector_test {

using nlohmann::json;

constexpr int64_t kT0 = 1'700'000'000'000;

json report(const std::string& state, double progress = 0, const std::string& file = "benchy.3mf",
            const std::string& job = "job-1") {
  json s = {{"connected", true}, {"state", state}, {"progress", progress}, {"errors", json::array()}};
  if (!file.empty()) {
    s["current_print"] = {{"filename", file}, {"job_id", job}};
  }
  return s;
}

std::vector<std::string> types(const std::vector<LifecycleEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) {
    out.push_back(e.type);
  }
  return out;
}

class LifecycleDetectorTest : public ::testing::Test {
protected:
  LifecycleDetectorTest() : detector_(settings(), LifecycleMemory{}, kT0) {
    // Connected from the start: no offline announcement pending.
    EXPECT_TRUE(feed(report("idle", 0, "")).empty());
  }

  static LifecycleSettings settings() {
    LifecycleSettings s;
    s.progress_milestones = {25, 50, 75};
    s.offline_debounce_ms = 60000;
    return s;
  }

  std::vector<LifecycleEvent> feed(const json& status, int64_t advance_ms = 1000) {
    now_ += advance_ms;
    return detector_.onReport(status, now_);
  }

  int64_t now_ = kT0;
  LifecycleDetector detector_;
};

TEST_F(LifecycleDetectorTest, IdleToPrintingToFinishedFiresStartMilestonesAndComplete) {
  auto e = feed(report("preparing", 100)); // still showing the last job's 100 % while preparing
  ASSERT_EQ(types(e), std::vector<std::string>{"print_started"});
  EXPECT_EQ(e[0].data["filename"], "benchy.3mf");
  EXPECT_EQ(e[0].data["status"], "printing");
  EXPECT_EQ(e[0].data["job_id"], "job-1");
  EXPECT_TRUE(feed(report("printing", 0)).empty()) << "no milestone from the stale percentage";
  EXPECT_TRUE(feed(report("printing", 10)).empty());
  e = feed(report("printing", 26));
  ASSERT_EQ(types(e), std::vector<std::string>{"print_progress"});
  EXPECT_EQ(e[0].data["progress"], 25);
  EXPECT_DOUBLE_EQ(e[0].data["progress_exact"].get<double>(), 26.0);
  EXPECT_TRUE(feed(report("printing", 30)).empty()) << "once per milestone";
  e = feed(report("printing", 80)); // jumped over 50 and 75: only the highest is sent
  ASSERT_EQ(types(e), std::vector<std::string>{"print_progress"});
  EXPECT_EQ(e[0].data["progress"], 75);
  EXPECT_TRUE(feed(report("printing", 99)).empty());
  json done = report("finished", 100);
  done["filament_used"] = 12.5;
  e = feed(done, 5000);
  ASSERT_EQ(types(e), std::vector<std::string>{"print_complete"});
  EXPECT_EQ(e[0].data["status"], "success");
  EXPECT_EQ(e[0].data["duration"], 11) << "from print_started to the end, in seconds";
  EXPECT_DOUBLE_EQ(e[0].data["filament_used"].get<double>(), 12.5);
  EXPECT_TRUE(feed(report("finished", 100)).empty()) << "the end is reported once";
  EXPECT_TRUE(feed(report("idle", 100)).empty());
}

TEST_F(LifecycleDetectorTest, FailedWithPrinterErrorFiresPrintFailedWithTheError) {
  feed(report("printing", 5));
  json failed = report("failed", 40);
  failed["end_reason"] = "error";
  failed["print_error"] = "0300_8015";
  failed["errors"] = json::array(
      {{{"code", "0300_8015_0002_0001"}, {"severity", "serious"}, {"module", "mc"}, {"message", "runout"}}});
  auto e = feed(failed);
  ASSERT_EQ(types(e), (std::vector<std::string>{"print_failed", "printer_error"}));
  EXPECT_EQ(e[0].data["status"], "failed");
  EXPECT_EQ(e[0].data["error"]["code"], "0300_8015");
  EXPECT_EQ(e[0].data["error"]["message"], "runout");
  EXPECT_EQ(e[1].data["error"]["code"], "0300_8015_0002_0001");
}

TEST_F(LifecycleDetectorTest, TheFailureIsExplainedByTheEntryWithItsPrintErrorEvenAmongNotices) {
  feed(report("printing", 5));
  json failed = report("failed", 60);
  failed["end_reason"] = "error";
  failed["print_error"] = "0500_803C";
  // An unrelated HMS error comes first; the print_error's own text sits among the notices (below
  // the driver's error threshold).
  failed["errors"] = json::array(
      {{{"code", "0300_0100_0001_0007"}, {"severity", "fatal"}, {"module", "mc"}, {"message", "heatbed"}}});
  failed["notices"] = json::array(
      {{{"code", "0500_803C"}, {"severity", "serious"}, {"module", "xcam"}, {"message", "nozzle mismatch"}}});
  auto e = feed(failed);
  ASSERT_FALSE(e.empty());
  EXPECT_EQ(e[0].type, "print_failed");
  EXPECT_EQ(e[0].data["error"]["code"], "0500_803C");
  EXPECT_EQ(e[0].data["error"]["message"], "nozzle mismatch");
}

TEST_F(LifecycleDetectorTest, P2sSequencePauseOnErrorThenStopIsCancelled) {
  // FINISH of an older job, then RUNNING, a self-pause with print_error 0x0500803C, the stop
  // ack, FAILED with 0x0300400C (the printer's "cancelled by user").
  EXPECT_TRUE(feed(report("finished", 100, "Old job", "old")).empty());
  auto e = feed(report("printing", 0, "ams", "new"));
  ASSERT_EQ(types(e), std::vector<std::string>{"print_started"});
  EXPECT_EQ(e[0].data["filename"], "ams");
  json paused = report("paused", 0, "ams", "new");
  paused["print_error"] = "0500_803C";
  e = feed(paused);
  ASSERT_EQ(types(e), std::vector<std::string>{"print_paused"});
  EXPECT_EQ(e[0].data["status"], "paused");
  json failed = report("failed", 0, "ams", "new");
  failed["end_reason"] = "cancelled";
  failed["print_error"] = "0300_400C";
  e = feed(failed);
  ASSERT_EQ(types(e), std::vector<std::string>{"print_cancelled"});
  EXPECT_EQ(e[0].data["status"], "cancelled");
}

TEST_F(LifecycleDetectorTest, PauseAndResume) {
  feed(report("printing", 10));
  EXPECT_EQ(types(feed(report("paused", 10))), std::vector<std::string>{"print_paused"});
  EXPECT_TRUE(feed(report("paused", 10)).empty());
  EXPECT_EQ(types(feed(report("printing", 11))), std::vector<std::string>{"print_resumed"});
  EXPECT_TRUE(feed(report("printing", 12)).empty());
}

TEST_F(LifecycleDetectorTest, StopRequestedThroughTheApiMakesAFailureACancel) {
  feed(report("printing", 10));
  detector_.noteStopRequested(now_);
  auto e = feed(report("failed", 10)); // printer gave no reason
  ASSERT_EQ(types(e), std::vector<std::string>{"print_cancelled"});
}

TEST_F(LifecycleDetectorTest, IdleStraightAfterPrintingIsACancel) {
  feed(report("printing", 10));
  EXPECT_EQ(types(feed(report("idle", 0))), std::vector<std::string>{"print_cancelled"});
}

TEST_F(LifecycleDetectorTest, NewJobWhilePrintingEndsTheOldOneAndStartsTheNew) {
  feed(report("printing", 10, "a.3mf", "1"));
  auto e = feed(report("printing", 1, "b.3mf", "2"));
  ASSERT_EQ(types(e), (std::vector<std::string>{"print_failed", "print_started"}));
  EXPECT_EQ(e[0].data["filename"], "a.3mf");
  EXPECT_EQ(e[1].data["filename"], "b.3mf");
}

TEST_F(LifecycleDetectorTest, JobIdArrivingLaterIsTheSameJob) {
  feed(report("preparing", 0, "a.3mf", ""));
  EXPECT_TRUE(feed(report("printing", 1, "a.3mf", "77")).empty());
}

TEST_F(LifecycleDetectorTest, HmsErrorsAreAnnouncedOnceWhileTheyPersist) {
  json s = report("idle", 0, "");
  s["errors"] = json::array(
      {{{"code", "0500_0200_0002_0070"}, {"severity", "serious"}, {"module", "mainboard"}, {"message", ""}}});
  auto e = feed(s);
  ASSERT_EQ(types(e), std::vector<std::string>{"printer_error"});
  EXPECT_EQ(e[0].data["error"]["severity"], "serious");
  EXPECT_TRUE(feed(s).empty());
  s["errors"].push_back({{"code", "0700_2000_0002_0001"}, {"severity", "common"}, {"module", "ams"}});
  e = feed(s);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].data["error"]["code"], "0700_2000_0002_0001");
  EXPECT_TRUE(feed(report("idle", 0, "")).empty()) << "cleared";
  s["errors"].erase(1);
  EXPECT_EQ(feed(s).size(), 1u) << "an error that comes back is new again";
}

TEST_F(LifecycleDetectorTest, OfflineAfterDebounceThenOnline) {
  json offline = {{"connected", false}, {"state", "offline"}, {"connection_error", "broker went away"}};
  EXPECT_TRUE(feed(offline).empty());
  ASSERT_TRUE(detector_.offlineDueMs().has_value());
  EXPECT_EQ(*detector_.offlineDueMs(), now_ + 60000);
  EXPECT_TRUE(detector_.onTick(now_ + 59999).empty());
  auto e = detector_.onTick(now_ + 60000);
  ASSERT_EQ(types(e), std::vector<std::string>{"printer_offline"});
  EXPECT_EQ(e[0].data["error"], "broker went away");
  EXPECT_TRUE(detector_.onTick(now_ + 120000).empty()) << "announced once";
  EXPECT_TRUE(feed(offline).empty());
  now_ += 120000;
  EXPECT_EQ(types(feed(report("idle", 0, ""))), std::vector<std::string>{"printer_online"});
}

TEST_F(LifecycleDetectorTest, ReconnectInsideTheDebounceSendsNothing) {
  EXPECT_TRUE(feed({{"connected", false}, {"state", "offline"}}).empty());
  EXPECT_TRUE(detector_.onTick(now_ + 30000).empty());
  EXPECT_TRUE(feed(report("idle", 0, ""), 30000).empty());
  EXPECT_FALSE(detector_.offlineDueMs().has_value());
  EXPECT_TRUE(detector_.onTick(now_ + 120000).empty());
}

TEST_F(LifecycleDetectorTest, PrintStateIsIgnoredWhileDisconnected) {
  feed(report("printing", 10));
  json offline = report("printing", 10);
  offline["connected"] = false;
  EXPECT_TRUE(feed(offline).empty());
  EXPECT_TRUE(feed(report("printing", 20)).empty()) << "same print after the reconnect";
  EXPECT_EQ(types(feed(report("finished", 100))), std::vector<std::string>{"print_complete"});
}

TEST(LifecycleDetectorStartup, NeverConnectingIsAnnouncedAfterTheDebounce) {
  LifecycleSettings s;
  s.offline_debounce_ms = 1000;
  LifecycleDetector d(s, LifecycleMemory{}, kT0);
  EXPECT_TRUE(d.onTick(kT0 + 999).empty());
  EXPECT_EQ(types(d.onTick(kT0 + 1000)), std::vector<std::string>{"printer_offline"});
}

TEST(LifecycleDetectorStartup, RestoredMemoryContinuesThePrintWithoutANewStart) {
  LifecycleSettings s;
  LifecycleDetector first(s, LifecycleMemory{}, kT0);
  first.onReport(report("printing", 30), kT0 + 1000);
  json saved = first.memory().toJson();

  LifecycleDetector second(s, LifecycleMemory::fromJson(saved), kT0 + 50000);
  auto e = second.onReport(report("printing", 40), kT0 + 60000);
  EXPECT_TRUE(e.empty()) << "neither print_started again nor the 25 % milestone again";
  e = second.onReport(report("finished", 100), kT0 + 61000);
  ASSERT_EQ(types(e), std::vector<std::string>{"print_complete"});
  EXPECT_EQ(e[0].data["duration"], 60) << "measured from the original start";
}

TEST(LifecycleDetectorStartup, RestoredOfflineAnnouncementIsNotRepeated) {
  LifecycleMemory m;
  m.offline_announced = true;
  LifecycleDetector d(LifecycleSettings{}, m, kT0);
  EXPECT_TRUE(d.onTick(kT0 + 3'600'000).empty());
  EXPECT_EQ(types(d.onReport(report("idle", 0, ""), kT0 + 3'600'001)),
            std::vector<std::string>{"printer_online"});
}

TEST(LifecycleMemoryJson, GarbageGivesDefaults) {
  LifecycleMemory m = LifecycleMemory::fromJson(
      json::parse(R"({"in_print":"yes","started_at_ms":"x","error_codes":[1,"a"]})"));
  EXPECT_FALSE(m.in_print);
  EXPECT_EQ(m.started_at_ms, 0);
  EXPECT_EQ(m.error_codes.size(), 1u);
  EXPECT_FALSE(LifecycleMemory::fromJson(json::array()).in_print);
}

} // namespace lifecycle_detector_test
} // namespace bambuddy::printers
