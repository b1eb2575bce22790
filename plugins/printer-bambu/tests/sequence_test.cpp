// Reports in the order printers sent them: deltas merge, and only real changes count.
#include "bambu_test_util.h"

namespace bambuddy::printer_bambu::test {
namespace sequence_test {

// What one normalized status says about the job, for comparing sequences.
struct Snapshot {
  std::string state;
  json end_reason;
  json print_error;
  json filename;
  size_t errors;
  size_t notices;
  json progress;

  bool operator==(const Snapshot& o) const {
    return state == o.state && end_reason == o.end_reason && print_error == o.print_error &&
           filename == o.filename && errors == o.errors && notices == o.notices && progress == o.progress;
  }
};

std::ostream& operator<<(std::ostream& out, const Snapshot& s) {
  return out << "{" << s.state << ", end " << s.end_reason << ", error " << s.print_error << ", file "
             << s.filename << ", " << s.errors << " errors, " << s.notices << " notices, progress "
             << s.progress << "}";
}

Snapshot snapshot(const json& s) {
  return {s["state"].get<std::string>(),
          s["end_reason"],
          s["print_error"],
          s["current_print"].is_null() ? json() : s["current_print"]["filename"],
          s["errors"].size(),
          s["notices"].size(),
          s.value("progress", json())};
}

TEST(BambuSequence, P2sPrintStartPauseStopAndLateCancelCode) {
  std::vector<std::string> messages = fixtureLines("p2s-print-sequence.jsonl");
  ASSERT_EQ(messages.size(), 46u);
  PrinterState state;
  std::vector<Snapshot> reported;
  std::string last;
  int changed = 0, other = 0;
  for (const std::string& m : messages) {
    PrinterState::ApplyResult r = state.applyPayload(m);
    ASSERT_NE(r.kind, ParsedReport::Kind::Invalid) << m;
    EXPECT_EQ(r.skipped_fields, 0) << r.problem;
    other += r.kind == ParsedReport::Kind::Other ? 1 : 0; // command acks, ledctrl, ...
    std::string now = liveStatus(state).dump();
    // `changed` is exactly "the normalized status differs": the driver reports on it.
    EXPECT_EQ(r.changed, now != last) << m;
    if (r.changed) {
      ++changed;
      reported.push_back(snapshot(liveStatus(state)));
    }
    last = now;
  }
  EXPECT_EQ(other, 37);
  std::vector<Snapshot> expected = {
      // The old cloud job, still FINISH, with three HMS entries: a fatal one (an earlier MQTT
      // command refused) and a serious one are errors, "threaded rods need lubrication" a notice.
      {"finished", nullptr, nullptr, "Tremendous Snaget-Gaaris.3mf", 2, 1, 100},
      // project_file accepted: the printer names the new job and drops the fatal HMS entry.
      {"finished", nullptr, nullptr, "ams.3mf", 1, 1, 100},
      {"printing", nullptr, nullptr, "ams.3mf", 1, 1, 0},
      // Self-pause on a nozzle mismatch: the serious print_error is an error too.
      {"paused", nullptr, "0500_803C", "ams.3mf", 2, 1, 0},
      // After stop: FAILED with print_error 0 first ...
      {"failed", "error", nullptr, "ams.3mf", 1, 1, 0},
      // ... and the printer's "task canceled" code 5 s later, with a second common HMS entry:
      // both notices.
      {"failed", "cancelled", "0300_400C", "ams.3mf", 1, 3, 0},
  };
  EXPECT_EQ(reported, expected);
  EXPECT_EQ(changed, 6);
  json final_status = liveStatus(state);
  EXPECT_EQ(final_status["layer"], 0);
  EXPECT_EQ(final_status["total_layers"], 94);
  EXPECT_EQ(final_status["notices"][0]["code"], "0300_400C");
  EXPECT_EQ(final_status["notices"][2]["code"], "0500_0400_0003_0057");
}

TEST(BambuSequence, CancelStaysCancelledWhenTheCodeIsResetAndUntilTheStateMoves) {
  PrinterState state = stateFrom({"p2s-print-failed-cancelled.json"});
  ASSERT_EQ(liveStatus(state)["end_reason"], "cancelled");
  // ha-bambulab notes 50348044 goes back to 0 a few seconds later.
  state.applyPayload(R"({"print":{"command":"push_status","print_error":0}})");
  EXPECT_EQ(liveStatus(state)["end_reason"], "cancelled");
  EXPECT_TRUE(liveStatus(state)["print_error"].is_null());
  state.applyPayload(R"({"print":{"command":"push_status","gcode_state":"RUNNING"}})");
  EXPECT_TRUE(liveStatus(state)["end_reason"].is_null());
  state.applyPayload(R"({"print":{"command":"push_status","gcode_state":"FAILED"}})");
  EXPECT_EQ(liveStatus(state)["end_reason"], "error");
}

TEST(BambuSequence, IdleStraightAfterAJobIsACancel) {
  for (const char* active : {"RUNNING", "PAUSE", "PREPARE", "SLICING"}) {
    PrinterState state;
    state.applyPayload(std::string(R"({"print":{"command":"push_status","gcode_state":")") + active + "\"}}");
    EXPECT_TRUE(liveStatus(state)["end_reason"].is_null()) << active;
    state.applyPayload(R"({"print":{"command":"push_status","gcode_state":"IDLE"}})");
    EXPECT_EQ(liveStatus(state)["state"], "idle");
    EXPECT_EQ(liveStatus(state)["end_reason"], "cancelled") << active;
  }
  // IDLE after a finished or failed job, or as the first thing seen, is no cancel.
  for (const char* before : {"FINISH", "FAILED", "IDLE"}) {
    PrinterState state;
    state.applyPayload(std::string(R"({"print":{"command":"push_status","gcode_state":")") + before + "\"}}");
    state.applyPayload(R"({"print":{"command":"push_status","gcode_state":"IDLE"}})");
    EXPECT_TRUE(liveStatus(state)["end_reason"].is_null()) << before;
  }
}

TEST(BambuSequence, GcodeStatesMapToTheNormalizedStates) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"IDLE", "idle"},    {"PREPARE", "preparing"}, {"SLICING", "preparing"}, {"RUNNING", "printing"},
      {"PAUSE", "paused"}, {"FINISH", "finished"},   {"FAILED", "failed"}};
  for (const auto& [gcode, normalized] : cases) {
    PrinterState state;
    state.applyPayload(R"({"print":{"command":"push_status","gcode_state":")" + gcode + "\"}}");
    EXPECT_EQ(liveStatus(state)["state"], normalized) << gcode;
  }
}

TEST(BambuSequence, DeltasMergeIntoTheFullReport) {
  PrinterState state = stateFrom({"p2s-pushall-running.json"});
  json before = liveStatus(state);
  // A delta as P1/A1 firmware sends it: only what changed, plus command/msg/sequence_id.
  auto r = state.applyPayload(
      R"({"print":{"command":"push_status","msg":1,"sequence_id":"2022","mc_percent":65,"layer_num":171,"mc_remaining_time":60}})");
  EXPECT_TRUE(r.changed);
  json after = liveStatus(state);
  EXPECT_EQ(after["progress"], 65);
  EXPECT_EQ(after["layer"], 171);
  EXPECT_EQ(after["remaining_time"], 3600);
  // Everything the delta did not mention is preserved, total_layers above all.
  EXPECT_EQ(after["total_layers"], 305);
  EXPECT_EQ(after["state"], "printing");
  EXPECT_EQ(after["current_print"], before["current_print"]);
  EXPECT_EQ(after["temperatures"], before["temperatures"]);
  // A delta that changes nothing shown is not a change.
  EXPECT_FALSE(
      state.applyPayload(R"({"print":{"command":"push_status","msg":1,"wifi_signal":"-60dBm"}})").changed);
  EXPECT_EQ(liveStatus(state), after);
}

TEST(BambuSequence, P1sDeltaAfterFullReport) {
  PrinterState state = stateFrom({"p1s-pushall-finish.json"});
  json before = liveStatus(state);
  auto r = state.applyPayload(fixture("p1s-delta-bed-temp.json"));
  // 11.96875 °C is 12.0 to a tenth, which the full report already said.
  EXPECT_FALSE(r.changed);
  EXPECT_EQ(liveStatus(state), before);
  r = state.applyPayload(
      R"({"print":{"bed_temper":12.25,"command":"push_status","msg":1,"sequence_id":"40944"}})");
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(liveStatus(state)["temperatures"]["bed"], 12.3);
  EXPECT_EQ(liveStatus(state)["total_layers"], 260);
}

TEST(BambuSequence, P1sReportStream) {
  std::vector<std::string> messages = fixtureLines("p1s-report-stream.jsonl");
  ASSERT_EQ(messages.size(), 3u);
  PrinterState state;
  // Two deltas before any full report: temperatures only, no state yet.
  auto r1 = state.applyPayload(messages[0]);
  EXPECT_EQ(r1.kind, ParsedReport::Kind::PushStatus);
  EXPECT_TRUE(r1.changed);
  EXPECT_FALSE(state.knowsActivity());
  EXPECT_EQ(state.status(true, "")["state"], "offline"); // connected, but nothing to show yet
  auto r2 = state.applyPayload(messages[1]);
  EXPECT_FALSE(r2.changed); // 11.96875 -> 12: the same tenth
  auto r3 = state.applyPayload(messages[2]);
  EXPECT_TRUE(r3.changed);
  EXPECT_EQ(r3.skipped_fields, 0);
  json s = liveStatus(state);
  EXPECT_EQ(s["state"], "finished");
  EXPECT_EQ(s["temperatures"]["bed"], 12.0);
  EXPECT_EQ(s["temperatures"]["nozzle"], 15.1);
  EXPECT_EQ(s["layer"], 260);
  EXPECT_EQ(s["total_layers"], 260);
}

TEST(BambuSequence, HmsListIsReplacedNotAppended) {
  PrinterState state = stateFrom({"p2s-print-failed-cancelled.json"});
  ASSERT_EQ(liveStatus(state)["errors"].size(), 1u);
  ASSERT_EQ(liveStatus(state)["notices"].size(), 3u); // the cancel code and two HMS entries
  EXPECT_TRUE(state.applyPayload(R"({"print":{"command":"push_status","hms":[]}})").changed);
  EXPECT_EQ(liveStatus(state)["errors"], json::array());
  EXPECT_EQ(liveStatus(state)["notices"].size(), 1u); // the cancel code stays
  // Reports without "hms" leave the list alone.
  state.applyPayload(R"({"print":{"command":"push_status","hms":[{"attr":50331904,"code":65543}]}})");
  state.applyPayload(R"({"print":{"command":"push_status","mc_percent":3}})");
  ASSERT_EQ(liveStatus(state)["errors"].size(), 1u);
  EXPECT_EQ(liveStatus(state)["errors"][0]["code"], "0300_0100_0001_0007");
}

TEST(BambuSequence, NewJobReplacesNameAndId) {
  PrinterState state = stateFrom({"x1c-pushall-finish.json"});
  state.applyPayload(
      R"({"print":{"command":"push_status","gcode_state":"PREPARE","subtask_name":"benchy","subtask_id":"42","task_id":"41","gcode_file":"benchy.3mf"}})");
  json s = liveStatus(state);
  EXPECT_EQ(s["state"], "preparing");
  EXPECT_EQ(s["current_print"], json({{"filename", "benchy.3mf"}, {"name", "benchy"}, {"job_id", "42"}}));
  // Without a subtask name the G-code file's base name stands in.
  state.applyPayload(
      R"({"print":{"command":"push_status","subtask_name":"","gcode_file":"/sdcard/cube.gcode.3mf"}})");
  EXPECT_EQ(liveStatus(state)["current_print"]["filename"], "cube.gcode.3mf");
  // A 3MF printed from the card names its plate's G-code: the file is the job's 3MF, the plate known.
  state.applyPayload(
      R"({"print":{"command":"push_status","subtask_name":"cube","gcode_file":"/data/Metadata/plate_3.gcode"}})");
  EXPECT_EQ(liveStatus(state)["current_print"]["filename"], "cube.3mf");
  EXPECT_EQ(liveStatus(state)["current_print"]["name"], "cube");
  EXPECT_EQ(liveStatus(state)["current_print"]["plate"], 3);
  state.applyPayload(R"({"print":{"command":"push_status","gcode_file":"/data/Metadata/plate_x.gcode"}})");
  EXPECT_FALSE(liveStatus(state)["current_print"].contains("plate"));
}

} // namespace sequence_test
} // namespace bambuddy::printer_bambu::test
