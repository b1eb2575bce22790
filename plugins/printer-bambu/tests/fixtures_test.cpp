// Every captured report, normalized: the exact status docs/printers.md asks for.
#include "bambu_test_util.h"

namespace bambuddy::printer_bambu::test {
namespace fixtures_test {

TEST(BambuFixtures, X1cIdle) {
  json s = liveStatus(stateFrom({"x1c-pushall-idle.json"}));
  EXPECT_EQ(s["connected"], true);
  EXPECT_EQ(s["state"], "idle");
  EXPECT_EQ(s["progress"], 0);
  EXPECT_TRUE(s["remaining_time"].is_null());
  EXPECT_EQ(s["temperatures"],
            json({{"nozzle", 30.0}, {"nozzle_target", 0.0}, {"bed", 27.0}, {"bed_target", 0.0}}));
  EXPECT_EQ(s["layer"], 0);
  EXPECT_EQ(s["total_layers"], 0);
  EXPECT_TRUE(s["current_print"].is_null()); // no subtask_name, no gcode_file
  EXPECT_EQ(s["errors"], json::array());
  EXPECT_TRUE(s["end_reason"].is_null());
  EXPECT_TRUE(s["print_error"].is_null());
  EXPECT_TRUE(s["connection_error"].is_null());
  EXPECT_FALSE(s.contains("model"));
  EXPECT_FALSE(s.contains("firmware"));
}

TEST(BambuFixtures, X1cFinishWithVersion) {
  json s = liveStatus(stateFrom({"x1c-pushall-finish.json", "x1c-get-version.json"}));
  EXPECT_EQ(s["state"], "finished");
  EXPECT_EQ(s["progress"], 100);
  EXPECT_TRUE(s["remaining_time"].is_null());
  EXPECT_EQ(s["layer"], 480);
  EXPECT_EQ(s["total_layers"], 480);
  EXPECT_EQ(
      s["current_print"],
      json::parse(
          R"({"filename":"Garden Hose Healer: Male fitting.3mf","job_id":"702384465","name":"Garden Hose Healer: Male fitting","plate":1})"));
  EXPECT_TRUE(s["end_reason"].is_null());
  EXPECT_EQ(s["model"], "X1-Carbon");
  EXPECT_EQ(s["firmware"], "01.09.00.01");
  EXPECT_EQ(s["temperatures"]["nozzle"], 26.0);
  EXPECT_EQ(s["temperatures"]["bed"], 23.0);
}

TEST(BambuFixtures, P1pFailed) {
  json s = liveStatus(stateFrom({"p1p-pushall-failed.json"}));
  EXPECT_EQ(s["state"], "failed");
  EXPECT_EQ(s["end_reason"], "error");
  EXPECT_TRUE(s["print_error"].is_null());
  // FAILED keeps the job's 759 minutes; a job that ended has no time left.
  EXPECT_TRUE(s["remaining_time"].is_null());
  EXPECT_EQ(s["layer"], 1);
  EXPECT_EQ(s["total_layers"], 70);
  // Local print: every id is "0", so there is no job id.
  EXPECT_EQ(s["current_print"],
            json::parse(R"({"filename":"Fidget Collection.3mf","name":"Fidget Collection"})"));
  EXPECT_EQ(s["temperatures"]["nozzle"], 21.3); // 21.25 to a tenth
  EXPECT_EQ(s["temperatures"]["bed"], 19.8);    // 19.84375
  EXPECT_EQ(s["temperatures"]["chamber"], 5.0); // model unknown yet: reported as sent
}

TEST(BambuFixtures, P1sFinish) {
  json s = liveStatus(stateFrom({"p1s-pushall-finish.json"}));
  EXPECT_EQ(s["state"], "finished");
  EXPECT_EQ(s["progress"], 100);
  EXPECT_EQ(s["layer"], 260);
  EXPECT_EQ(s["total_layers"], 260);
  EXPECT_EQ(s["current_print"],
            json::parse(R"({"filename":"XXXXXXX.3mf","job_id":"XXXXX","name":"XXXXXXX"})"));
  EXPECT_EQ(s["temperatures"]["nozzle"], 15.1);
  EXPECT_EQ(s["temperatures"]["bed"], 12.0);
}

TEST(BambuFixtures, A1IdleKnowsModelAndHidesThePlaceholderChamber) {
  json before = liveStatus(stateFrom({"a1-pushall-idle.json"}));
  EXPECT_EQ(before["temperatures"]["chamber"], 5.0);
  json s = liveStatus(stateFrom({"a1-pushall-idle.json", "a1-get-version.json"}));
  EXPECT_EQ(s["state"], "idle");
  EXPECT_TRUE(s["current_print"].is_null());
  EXPECT_EQ(s["model"], "A1"); // project N2S: older firmware names no product
  EXPECT_EQ(s["firmware"], "01.05.00.00");
  // A1 and P1 printers have no chamber sensor and always send 5.
  EXPECT_FALSE(s["temperatures"].contains("chamber"));
  EXPECT_EQ(s["temperatures"]["nozzle"], 27.8);
  EXPECT_EQ(s["temperatures"]["bed"], 29.8);
}

TEST(BambuFixtures, A1MiniIdle) {
  json s = liveStatus(stateFrom({"a1mini-get-version.json", "a1mini-pushall-idle.json"}));
  EXPECT_EQ(s["state"], "idle");
  EXPECT_EQ(s["model"], "A1 mini");
  EXPECT_EQ(s["firmware"], "01.07.02.00");
  EXPECT_FALSE(s["temperatures"].contains("chamber"));
  EXPECT_EQ(s["layer"], 0);
}

TEST(BambuFixtures, H2dRunning) {
  json s = liveStatus(stateFrom({"h2d-pushall-running.json", "h2d-get-version.json"}));
  EXPECT_EQ(s["state"], "printing");
  EXPECT_EQ(s["progress"], 0);
  EXPECT_EQ(s["remaining_time"], 115 * 60);
  EXPECT_EQ(s["layer"], 0);
  EXPECT_EQ(s["total_layers"], 26);
  // subtask_id wins over task_id and project_id.
  EXPECT_EQ(
      s["current_print"],
      json::parse(
          R"({"filename":"Number 10 House Numbers_plate_1.3mf","job_id":"690732217","name":"Number 10 House Numbers_plate_1","plate":1})"));
  EXPECT_EQ(s["temperatures"], json({{"nozzle", 40.0},
                                     {"nozzle_target", 0.0},
                                     {"bed", 100.0},
                                     {"bed_target", 100.0},
                                     {"chamber", 49.0}}));
  EXPECT_EQ(s["model"], "H2D");
  EXPECT_EQ(s["firmware"], "01.01.02.07");
  EXPECT_TRUE(s["end_reason"].is_null());
}

TEST(BambuFixtures, H2cFailedAfterCancelSaysSoOnlyInFailReason) {
  json s = liveStatus(stateFrom({"h2c-pushall-failed.json"}));
  EXPECT_EQ(s["state"], "failed");
  EXPECT_EQ(s["end_reason"], "cancelled");
  EXPECT_EQ(s["print_error"], "0300_400C");
  EXPECT_EQ(
      s["current_print"],
      json::parse(
          R"({"filename":"► HEAVY - 55mm With Logo 100% infill.3mf","job_id":"576835111","name":"► HEAVY - 55mm With Logo 100% infill","plate":1})"));
  EXPECT_EQ(s["total_layers"], 332);
}

TEST(BambuFixtures, X2dRunningWithOneHmsEntry) {
  json s = liveStatus(stateFrom({"x2d-pushall-running-hms.json"}));
  EXPECT_EQ(s["state"], "printing");
  EXPECT_EQ(s["progress"], 98);
  EXPECT_EQ(s["remaining_time"], 120);
  EXPECT_EQ(s["layer"], 129);
  EXPECT_EQ(s["total_layers"], 140);
  EXPECT_EQ(
      s["current_print"],
      json::parse(
          R"({"filename":"Build Plate Cleaner Trays - A1 Mini.3mf","job_id":"904240393","name":"Build Plate Cleaner Trays - A1 Mini","plate":3})"));
  ASSERT_EQ(s["errors"].size(), 1u);
  EXPECT_EQ(s["errors"][0]["code"], "0500_0600_0002_0070");
  EXPECT_EQ(s["errors"][0]["severity"], "serious");
  EXPECT_EQ(s["errors"][0]["module"], "mainboard");
  // Bambu's list has no text for this code: the wiki page instead.
  EXPECT_EQ(s["errors"][0]["message"],
            "HMS 0500_0600_0002_0070 (mainboard, serious), see "
            "https://wiki.bambulab.com/en/x1/troubleshooting/hmscode/0500_0600_0002_0070");
  EXPECT_EQ(s["notices"], json::array());
}

TEST(BambuFixtures, P2sRunning) {
  json s = liveStatus(stateFrom({"p2s-pushall-running.json"}));
  EXPECT_EQ(s["state"], "printing");
  EXPECT_EQ(s["progress"], 64);
  EXPECT_EQ(s["remaining_time"], 62 * 60);
  EXPECT_EQ(s["layer"], 170);
  EXPECT_EQ(s["total_layers"], 305);
  // subtask_id is "" here, so task_id is the job id. The name keeps its trailing space.
  EXPECT_EQ(
      s["current_print"],
      json::parse(
          R"({"filename":"Rear Dry Pod AMS 2 PRO .3mf","job_id":"6456","name":"Rear Dry Pod AMS 2 PRO ","plate":1})"));
  EXPECT_EQ(s["temperatures"],
            json({{"nozzle", 254.0}, {"nozzle_target", 255.0}, {"bed", 70.0}, {"bed_target", 70.0}}));
  EXPECT_EQ(s["errors"], json::array());
}

TEST(BambuFixtures, P2sFinishWithTwoHmsEntries) {
  json s = liveStatus(stateFrom({"p2s-pushall-finish-hms.json"}));
  EXPECT_EQ(s["state"], "finished");
  EXPECT_EQ(s["progress"], 100);
  EXPECT_EQ(s["layer"], 750);
  EXPECT_EQ(s["total_layers"], 750);
  EXPECT_EQ(
      s["current_print"],
      json::parse(
          R"({"filename":"Tremendous Snaget-Gaaris.3mf","job_id":"SUBTASKID0","name":"Tremendous Snaget-Gaaris","plate":1})"));
  ASSERT_EQ(s["errors"].size(), 1u);
  EXPECT_EQ(s["errors"][0]["code"], "0500_0600_0002_0070");
  EXPECT_EQ(s["errors"][0]["severity"], "serious");
  ASSERT_EQ(s["notices"].size(), 1u); // common: below the default threshold
  EXPECT_EQ(s["notices"][0],
            json({{"code", "0501_0400_0003_0002"},
                  {"severity", "common"},
                  {"module", "mainboard"},
                  {"message", "Threaded rods need lubrication now. (HMS_0501_0400_0003_0002)"}}));
  EXPECT_TRUE(s["print_error"].is_null());
}

TEST(BambuFixtures, P2sPausedOnAnError) {
  json s = liveStatus(stateFrom({"p2s-pause-print-error.json"}));
  EXPECT_EQ(s["state"], "paused");
  EXPECT_EQ(s["print_error"], "0500_803C"); // 83918908
  EXPECT_EQ(s["remaining_time"], 0);
  EXPECT_TRUE(s["end_reason"].is_null());
  EXPECT_EQ(s["current_print"],
            json::parse(R"({"filename":"ams.3mf","name":"ams","plate":1})")); // no job ids in this projection
  EXPECT_EQ(s["errors"].size(), 2u); // the print_error and a serious HMS entry
  EXPECT_EQ(s["notices"].size(), 1u);
  EXPECT_EQ(s["total_layers"], 94);
}

TEST(BambuFixtures, P2sFailedWithTheCancelCode) {
  json s = liveStatus(stateFrom({"p2s-print-failed-cancelled.json"}));
  EXPECT_EQ(s["state"], "failed");
  EXPECT_EQ(s["end_reason"], "cancelled");
  EXPECT_EQ(s["print_error"], "0300_400C"); // 50348044
  ASSERT_EQ(s["errors"].size(), 1u);
  ASSERT_EQ(s["notices"].size(), 3u);
  EXPECT_EQ(s["notices"][0]["code"], "0300_400C"); // the user's own cancel: info
  EXPECT_EQ(s["notices"][2],
            json({{"code", "0500_0400_0003_0057"},
                  {"severity", "common"},
                  {"module", "mainboard"},
                  {"message", "The print job has been completed. Automatic air purification is in "
                              "progress. (HMS_0500_0400_0003_0057)"}}));
}

TEST(BambuFixtures, VersionRepliesAloneNeverMakeAPrinterLive) {
  PrinterState state = stateFrom({"x1c-get-version.json"});
  EXPECT_FALSE(state.knowsActivity());
  json s = state.status(true, "");
  EXPECT_EQ(s["connected"], false);
  EXPECT_EQ(s["state"], "offline");
  EXPECT_EQ(s["model"], "X1-Carbon");
  EXPECT_NE(s["connection_error"].get<std::string>().find("waiting"), std::string::npos);
}

TEST(BambuFixtures, OfflineStatusKeepsTheJobButNotTheLiveReadings) {
  PrinterState state = stateFrom({"p2s-pause-print-error.json", "h2d-get-version.json"});
  json s = state.status(false, "connection lost");
  EXPECT_EQ(s["connected"], false);
  EXPECT_EQ(s["state"], "offline");
  EXPECT_EQ(s["connection_error"], "connection lost");
  EXPECT_EQ(s["current_print"], json::parse(R"({"filename":"ams.3mf","name":"ams","plate":1})"));
  EXPECT_EQ(s["progress"], 0);
  EXPECT_EQ(s["total_layers"], 94);
  EXPECT_EQ(s["temperatures"], json::object());
  EXPECT_EQ(s["errors"], json::array());
  EXPECT_EQ(s["notices"], json::array());
  EXPECT_TRUE(s["remaining_time"].is_null());
  EXPECT_TRUE(s["print_error"].is_null());
  EXPECT_TRUE(s["end_reason"].is_null());
  EXPECT_EQ(s["model"], "H2D");
  // Connected again: everything is back.
  EXPECT_EQ(state.status(true, "")["print_error"], "0500_803C");
}

TEST(BambuFixtures, EveryStatusHasTheRequiredFieldsAndTypes) {
  for (const char* name :
       {"x1c-pushall-idle.json", "x1c-pushall-finish.json", "p1p-pushall-failed.json",
        "p1s-pushall-finish.json", "a1-pushall-idle.json", "a1mini-pushall-idle.json",
        "h2d-pushall-running.json", "h2c-pushall-failed.json", "x2d-pushall-running-hms.json",
        "p2s-pushall-running.json", "p2s-pushall-finish-hms.json", "p2s-pause-print-error.json",
        "p2s-print-failed-cancelled.json"}) {
    for (bool connected : {true, false}) {
      json s = stateFrom({name}).status(connected, "down");
      SCOPED_TRACE(std::string(name) + (connected ? " connected" : " offline"));
      EXPECT_TRUE(s["connected"].is_boolean());
      EXPECT_TRUE(s["state"].is_string());
      EXPECT_TRUE(s["temperatures"].is_object());
      EXPECT_TRUE(s["errors"].is_array());
      EXPECT_TRUE(s["notices"].is_array());
      for (const char* nullable : {"remaining_time", "layer", "total_layers"}) {
        EXPECT_TRUE(s[nullable].is_null() || s[nullable].is_number_integer()) << nullable;
      }
      for (const char* nullable : {"end_reason", "print_error", "connection_error"}) {
        EXPECT_TRUE(s[nullable].is_null() || s[nullable].is_string()) << nullable;
      }
      EXPECT_TRUE(s["current_print"].is_null() || s["current_print"]["filename"].is_string());
      EXPECT_EQ(s["connected"] == false, s["state"] == "offline");
      EXPECT_EQ(s["connected"] == true, s["connection_error"].is_null());
    }
  }
}

} // namespace fixtures_test
} // namespace bambuddy::printer_bambu::test
