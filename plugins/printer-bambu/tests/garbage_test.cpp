// Bad payloads never crash the parser and never damage the last good state.
#include "bambu_test_util.h"

#include "report_parser.h"

#include <random>

namespace bambuddy::printer_bambu::test {
namespace garbage_test {

class BambuGarbage : public ::testing::Test {
protected:
  void SetUp() override {
    state_ = stateFrom({"p2s-pushall-running.json", "x1c-get-version.json"});
    good_ = liveStatus(state_).dump();
  }

  // Applies `payload` and checks that the state shows exactly what it showed before.
  PrinterState::ApplyResult applyAndExpectUnchanged(const std::string& payload) {
    PrinterState::ApplyResult r = state_.applyPayload(payload);
    EXPECT_FALSE(r.changed);
    EXPECT_EQ(liveStatus(state_).dump(), good_);
    return r;
  }

  PrinterState state_;
  std::string good_;
};

TEST_F(BambuGarbage, NotJsonAtAll) {
  for (const std::string& payload :
       {std::string(), std::string("   \n"), std::string("garbage"), std::string("{"),
        std::string("{\"print\":"), std::string("{\"print\":{\"gcode_state\":\"IDLE\""),
        std::string("{'print':{}}"), std::string("{\"print\":{}}}"), std::string("\x00\x01\x02", 3),
        std::string("{\"a\":1}\x00{\"b\":2}", 15)}) {
    PrinterState::ApplyResult r = applyAndExpectUnchanged(payload);
    EXPECT_EQ(r.kind, ParsedReport::Kind::Invalid) << payload;
    EXPECT_FALSE(r.problem.empty());
  }
}

TEST_F(BambuGarbage, TruncatedRealReports) {
  std::string full = fixture("h2d-pushall-running.json");
  for (size_t cut : {size_t{1}, size_t{10}, full.size() / 3, full.size() / 2, full.size() - 2}) {
    PrinterState::ApplyResult r = applyAndExpectUnchanged(full.substr(0, cut));
    EXPECT_EQ(r.kind, ParsedReport::Kind::Invalid) << cut;
  }
}

TEST_F(BambuGarbage, JsonThatIsNotAnObject) {
  for (const char* payload :
       {"null", "[]", "[{\"print\":{\"gcode_state\":\"IDLE\"}}]", "42", "\"print\"", "true"}) {
    PrinterState::ApplyResult r = applyAndExpectUnchanged(payload);
    EXPECT_EQ(r.kind, ParsedReport::Kind::Invalid) << payload;
    EXPECT_EQ(r.problem, "not a JSON object");
  }
}

TEST_F(BambuGarbage, ObjectsOfNoInterest) {
  for (const char* payload :
       {"{}", R"({"print":[1,2]})", R"({"print":"IDLE"})",
        R"({"system":{"command":"ledctrl","result":"success"}})",
        R"({"print":{"command":"pause","result":"SUCCESS","sequence_id":"3","gcode_state":"IDLE"}})",
        R"({"info":{"command":"get_version_ack"}})", R"({"mc_print":{"command":"push_info","param":"x"}})"}) {
    PrinterState::ApplyResult r = applyAndExpectUnchanged(payload);
    EXPECT_EQ(r.kind, ParsedReport::Kind::Other) << payload;
  }
}

TEST_F(BambuGarbage, WrongTypesAndValuesAreSkippedOneByOne) {
  PrinterState::ApplyResult r = applyAndExpectUnchanged(R"({"print":{"command":"push_status",
      "gcode_state":5, "mc_percent":"50", "mc_remaining_time":-1, "layer_num":-3, "total_layer_num":1.5,
      "nozzle_temper":"hot", "bed_temper":null, "chamber_temper":5000,
      "subtask_name":12, "gcode_file":["a"], "task_id":{"x":1}, "hms":"none", "print_error":"abc",
      "fail_reason":-3000000000, "unknown_field":{"deep":[1,2,3]}}})");
  EXPECT_EQ(r.kind, ParsedReport::Kind::PushStatus);
  EXPECT_EQ(r.skipped_fields, 14);
  EXPECT_EQ(r.problem.rfind("skipped print.", 0), 0u) << r.problem; // the first one, named
  applyAndExpectUnchanged(R"({"print":{"command":"push_status","mc_percent":101}})");
  applyAndExpectUnchanged(R"({"print":{"command":"push_status","bed_temper":1e999}})"); // overflows a double
  applyAndExpectUnchanged(R"({"print":{"command":"push_status","gcode_state":"EXPLODED"}})");
  applyAndExpectUnchanged(R"({"print":{"command":"push_status","gcode_state":"running"}})");
  applyAndExpectUnchanged(R"({"info":{"command":"get_version","module":"ota"}})");
  applyAndExpectUnchanged(R"({"info":{"command":"get_version","module":[1,"x",{"name":5}]}})");
  // The valid fields of a partly bad report still apply.
  r = state_.applyPayload(R"({"print":{"command":"push_status","mc_percent":"65","layer_num":171}})");
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(r.skipped_fields, 1);
  EXPECT_EQ(liveStatus(state_)["layer"], 171);
  EXPECT_EQ(liveStatus(state_)["progress"], 64);
}

TEST_F(BambuGarbage, InvalidUtf8CostsOnlyTheDamagedStrings) {
  // ha-bambulab issue #138: a P1P sent binary bytes in gcode_file while preparing.
  std::string binary_name = "{\"print\":{\"wifi_signal\":\"-66dBm\",\"gcode_file_prepare_percent\":\"47\","
                            "\"gcode_file\":\"\xC3\x28\xA0\xA1\xFF\",\"command\":\"push_status\",\"msg\":1,"
                            "\"sequence_id\":\"36157\"}}";
  PrinterState::ApplyResult r = applyAndExpectUnchanged(binary_name);
  EXPECT_EQ(r.kind, ParsedReport::Kind::PushStatus);
  EXPECT_EQ(r.skipped_fields, 1);
  // The same damage next to a real change: the change applies, the name stays.
  r = state_.applyPayload("{\"print\":{\"command\":\"push_status\",\"mc_percent\":70,"
                          "\"subtask_name\":\"bad\xED\xA0\x80name\"}}"); // an encoded surrogate
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(liveStatus(state_)["progress"], 70);
  EXPECT_EQ(liveStatus(state_)["current_print"]["filename"], "Rear Dry Pod AMS 2 PRO .3mf");
  // Invalid UTF-8 that is not even JSON once repaired.
  r = state_.applyPayload("\xFF\xFE{\"print\"");
  EXPECT_EQ(r.kind, ParsedReport::Kind::Invalid);
}

TEST_F(BambuGarbage, TrailingNulAndWhitespaceAreTolerated) {
  // A slicer was seen sending its JSON as a C string, NUL included.
  std::string payload = R"({"print":{"command":"push_status","mc_percent":66}})";
  payload += std::string("\0\0", 2);
  payload += "\r\n";
  PrinterState::ApplyResult r = state_.applyPayload(payload);
  EXPECT_EQ(r.kind, ParsedReport::Kind::PushStatus);
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(liveStatus(state_)["progress"], 66);
  good_ = liveStatus(state_).dump();
  // A NUL anywhere else is not JSON (the parser would stop at it and ignore the rest).
  EXPECT_EQ(applyAndExpectUnchanged(R"({"print":{"command":"push_status","mc_percent":1}})" +
                                    std::string(1, '\0') +
                                    R"({"print":{"command":"push_status","mc_percent":2}})")
                .problem,
            "NUL byte inside the payload");
  applyAndExpectUnchanged(
      std::string("{\"print\":{\"command\":\"push_status\",\"subtask_name\":\"a\0b\"}}", 56));
}

TEST_F(BambuGarbage, HostileSizesAndNesting) {
  std::string deep(200000, '[');
  EXPECT_EQ(applyAndExpectUnchanged(deep).kind, ParsedReport::Kind::Invalid);
  // Past the SDK's depth limit (64) a report is refused whole, before it is parsed.
  std::string nested =
      R"({"print":{"command":"push_status","hms":)" + std::string(5000, '[') + std::string(5000, ']') + "}}";
  PrinterState::ApplyResult too_deep = applyAndExpectUnchanged(nested);
  EXPECT_EQ(too_deep.kind, ParsedReport::Kind::Invalid);
  EXPECT_EQ(too_deep.problem, "JSON nested deeper than 64 levels (at byte 102)");
  // At the limit it is parsed; the parser's filter drops what is nested deeper than it uses.
  std::string at_limit =
      R"({"print":{"command":"push_status","hms":)" + std::string(62, '[') + std::string(62, ']') + "}}";
  EXPECT_EQ(applyAndExpectUnchanged(at_limit).kind, ParsedReport::Kind::PushStatus);
  std::string huge =
      R"({"print":{"command":"push_status","subtask_name":")" + std::string(kMaxReportBytes, 'x') + "\"}}";
  PrinterState::ApplyResult r = applyAndExpectUnchanged(huge);
  EXPECT_EQ(r.kind, ParsedReport::Kind::Invalid);
  EXPECT_NE(r.problem.find("exceeds"), std::string::npos);
  std::string long_name =
      R"({"print":{"command":"push_status","subtask_name":")" + std::string(5000, 'x') + "\"}}";
  EXPECT_EQ(applyAndExpectUnchanged(long_name).skipped_fields, 1);
  std::string many_hms = R"({"print":{"command":"push_status","hms":[)";
  for (int i = 0; i < 500; ++i) {
    many_hms += std::string(i ? "," : "") + R"({"attr":83887616,"code":131184})";
  }
  many_hms += "]}}";
  state_.applyPayload(many_hms);
  EXPECT_EQ(liveStatus(state_)["errors"].size(), 64u); // capped
  EXPECT_EQ(liveStatus(state_)["notices"], json::array());
}

TEST_F(BambuGarbage, RandomMutationsOfRealReportsNeverCrash) {
  std::mt19937 random(20240115);
  const std::vector<std::string> sources = {fixture("x2d-pushall-running-hms.json"),
                                            fixture("p1s-pushall-finish.json"),
                                            fixture("a1-get-version.json")};
  for (int i = 0; i < 1500; ++i) {
    std::string payload = sources[static_cast<size_t>(i) % sources.size()];
    int edits = 1 + static_cast<int>(random() % 8);
    for (int e = 0; e < edits; ++e) {
      size_t at = random() % payload.size();
      switch (random() % 3) {
      case 0:
        payload[at] = static_cast<char>(random() & 0xFF);
        break;
      case 1:
        payload.erase(at, 1 + random() % 16);
        break;
      default:
        payload.insert(at, 1, "{}[]\",:0\\\x80"[random() % 11]);
        break;
      }
      if (payload.empty()) {
        payload = "{";
      }
    }
    PrinterState copy = state_;
    PrinterState::ApplyResult r = copy.applyPayload(payload);
    json s = liveStatus(copy);
    ASSERT_TRUE(s["state"].is_string());
    ASSERT_TRUE(s["errors"].is_array());
    ASSERT_TRUE(s["notices"].is_array());
    for (const json& e : s["notices"]) {
      ASSERT_TRUE(e["message"].is_string()); // texts are looked up for whatever code a mutation made
    }
    if (r.kind == ParsedReport::Kind::Invalid) {
      ASSERT_EQ(s.dump(), good_) << "an invalid payload changed the state";
    }
  }
}

} // namespace garbage_test
} // namespace bambuddy::printer_bambu::test
