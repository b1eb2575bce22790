// HMS and print_error decoding, the error threshold, and errors/notices in the status.
#include "bambu_test_util.h"

#include "hms.h"

namespace bambuddy::printer_bambu::test {
namespace hms_test {

const std::string kWiki = "https://wiki.bambulab.com/en/x1/troubleshooting/hmscode/";

std::string message(const HmsError& e, std::string_view model = {}) {
  return errorMessage(e, HmsTable::builtin(), model);
}

std::vector<std::string> codes(const json& list) {
  std::vector<std::string> out;
  for (const json& e : list) {
    out.push_back(e["code"]);
  }
  return out;
}

TEST(BambuHms, DecodesTheCapturedEntriesExactly) {
  struct Case {
    uint32_t attr, code;
    const char* hms_code;
    const char* severity;
    const char* module;
    const char* text; // nullptr: not in Bambu's table
  };
  // Entries seen on P2S and X2D printers (fixtures) plus ha-bambulab's documented example.
  const Case cases[] = {
      {83887616, 131184, "0500_0600_0002_0070", "serious", "mainboard", nullptr}, // 0x05000600 / 0x00020070
      {83952640, 196610, "0501_0400_0003_0002", "common", "mainboard", "Threaded rods need lubrication now."},
      {83887360, 65543, "0500_0500_0001_0007", "fatal", "mainboard",
       "MQTT Command verification failed. Please update Studio (including the network plugin) or Handy to "
       "the "
       "latest version, then restart the software and try again."},
      {83887104, 196695, "0500_0400_0003_0057", "common", "mainboard",
       "The print job has been completed. Automatic air purification is in progress."},
      {50331904, 65543, "0300_0100_0001_0007", "fatal", "mc",
       "The heatbed temperature is abnormal; the sensor may have an open circuit."},
  };
  for (const Case& c : cases) {
    HmsError e = decodeHms(c.attr, c.code);
    EXPECT_EQ(e.code, c.hms_code);
    EXPECT_EQ(severityName(e.severity), std::string(c.severity)) << c.hms_code;
    EXPECT_EQ(e.module, c.module) << c.hms_code;
    EXPECT_FALSE(e.print_error);
    const std::string expected = c.text ? std::string(c.text) + " (HMS_" + c.hms_code + ")"
                                        : std::string("HMS ") + c.hms_code + " (" + c.module + ", " +
                                              c.severity + "), see " + kWiki + c.hms_code;
    EXPECT_EQ(message(e), expected);
  }
}

// The attr/code pairs of the captured reports, decoded straight from the fixture files.
TEST(BambuHms, SeverityOfEveryEntryInTheCapturedReports) {
  struct Expected {
    const char* fixture;
    std::vector<std::pair<std::string, std::string>> entries; // code, severity
  };
  const Expected expected[] = {
      {"x2d-pushall-running-hms.json", {{"0500_0600_0002_0070", "serious"}}},
      {"p2s-pushall-finish-hms.json",
       {{"0500_0600_0002_0070", "serious"}, {"0501_0400_0003_0002", "common"}}},
      {"p2s-print-failed-cancelled.json",
       {{"0500_0600_0002_0070", "serious"},
        {"0501_0400_0003_0002", "common"},
        {"0500_0400_0003_0057", "common"}}},
  };
  for (const Expected& x : expected) {
    SCOPED_TRACE(x.fixture);
    json hms = json::parse(fixture(x.fixture))["print"]["hms"];
    std::vector<std::pair<std::string, std::string>> got;
    for (const json& entry : hms) {
      HmsError e = decodeHms(entry["attr"].get<uint32_t>(), entry["code"].get<uint32_t>());
      got.emplace_back(e.code, severityName(e.severity));
    }
    EXPECT_EQ(got, x.entries);
  }
}

TEST(BambuHms, ModuleComesFromTheTopByteOfAttr) {
  EXPECT_EQ(decodeHms(0x03000000u, 0x10000u).module, "mc");
  EXPECT_EQ(decodeHms(0x05000000u, 0x10000u).module, "mainboard");
  EXPECT_EQ(decodeHms(0x07010100u, 0x10000u).module, "ams");
  EXPECT_EQ(decodeHms(0x08000000u, 0x10000u).module, "toolhead");
  EXPECT_EQ(decodeHms(0x0C000300u, 0x10000u).module, "xcam");
  EXPECT_EQ(decodeHms(0x12000000u, 0x10000u).module, "ams_lite");
  EXPECT_EQ(decodeHms(0x18030000u, 0x10000u).module, "ams_ht");
  EXPECT_EQ(decodeHms(0x13000000u, 0x10000u).module, "module_13");
  EXPECT_EQ(decodeHms(0x00000000u, 0x10000u).module, "module_00");
  EXPECT_EQ(decodeHms(0xFF000000u, 0x10000u).module, "module_FF");
}

TEST(BambuHms, SeverityComesFromTheHighHalfOfCode) {
  EXPECT_EQ(decodeHms(0x05000000u, 0x00010000u).severity, HmsSeverity::Fatal);
  EXPECT_EQ(decodeHms(0x05000000u, 0x0002FFFFu).severity, HmsSeverity::Serious);
  EXPECT_EQ(decodeHms(0x05000000u, 0x00030001u).severity, HmsSeverity::Common);
  EXPECT_EQ(decodeHms(0x05000000u, 0x00040000u).severity, HmsSeverity::Info);
  EXPECT_EQ(decodeHms(0x05000000u, 0x00000007u).severity, HmsSeverity::Unknown);
  EXPECT_EQ(decodeHms(0x05000000u, 0x00050000u).severity, HmsSeverity::Unknown);
  EXPECT_EQ(decodeHms(0x05000000u, 0x10010000u).severity, HmsSeverity::Unknown); // the whole high half counts
  // attr's own bits never change the severity (an older decoding read it from attr).
  EXPECT_EQ(decodeHms(0x05000100u, 0x00030000u).severity, HmsSeverity::Common);
  EXPECT_EQ(decodeHms(0x05000600u, 0x00020070u).severity,
            HmsSeverity::Serious); // (attr >> 8) & 0xF would say 6
}

TEST(BambuHms, SeverityNamesAndTheThreshold) {
  for (const char* name : {"fatal", "serious", "common", "info"}) {
    ASSERT_TRUE(parseSeverity(name)) << name;
    EXPECT_EQ(severityName(*parseSeverity(name)), std::string(name));
  }
  EXPECT_EQ(parseSeverity("unknown"), std::nullopt); // not a level one can choose
  EXPECT_EQ(parseSeverity("Serious"), std::nullopt);
  EXPECT_EQ(parseSeverity(""), std::nullopt);
  EXPECT_EQ(severityName(HmsSeverity::Unknown), std::string("unknown"));

  using S = HmsSeverity;
  const S levels[] = {S::Fatal, S::Serious, S::Common, S::Info};
  for (int t = 0; t < 4; ++t) {
    for (int s = 0; s < 4; ++s) {
      EXPECT_EQ(reachesThreshold(levels[s], levels[t]), s <= t)
          << severityName(levels[s]) << " at threshold " << severityName(levels[t]);
    }
    EXPECT_TRUE(reachesThreshold(S::Unknown, levels[t])) << "an unknown level is never hidden";
  }
}

TEST(BambuHms, CodeStringIsFourGroupsOfFourUpperCaseHexDigits) {
  EXPECT_EQ(decodeHms(0u, 0u).code, "0000_0000_0000_0000");
  EXPECT_EQ(decodeHms(0xFFFFFFFFu, 0xFFFFFFFFu).code, "FFFF_FFFF_FFFF_FFFF");
  EXPECT_EQ(decodeHms(0x0C00ABCDu, 0x0004EF01u).code, "0C00_ABCD_0004_EF01");
}

TEST(BambuHms, PrintErrorIsTwoGroupsOfHex) {
  EXPECT_EQ(formatPrintError(50348044u), "0300_400C");
  EXPECT_EQ(formatPrintError(83918908u), "0500_803C");
  EXPECT_EQ(formatPrintError(117473284u), "0700_8004");
  EXPECT_EQ(formatPrintError(1u), "0000_0001");
  EXPECT_EQ(kPrintErrorCancelled, 50348044u);
}

TEST(BambuHms, PrintErrorSeverityComesFromBits12To15) {
  EXPECT_EQ(printErrorSeverity(0x03004006u), HmsSeverity::Fatal);   // "The nozzle is clogged." (job stopped)
  EXPECT_EQ(printErrorSeverity(0x0500803Cu), HmsSeverity::Serious); // P2S: paused, nozzle does not match
  EXPECT_EQ(printErrorSeverity(0x07008004u), HmsSeverity::Serious); // P1S: AMS failed to pull back
  EXPECT_EQ(printErrorSeverity(0x03008015u), HmsSeverity::Serious); // A1: filament ran out, paused
  EXPECT_EQ(printErrorSeverity(0x0500C010u), HmsSeverity::Common);  // SD card read/write prompt
  EXPECT_EQ(printErrorSeverity(0x0300400Cu), HmsSeverity::Info);    // the user's own cancel
  EXPECT_EQ(printErrorSeverity(0x03000001u), HmsSeverity::Unknown);
  EXPECT_EQ(printErrorSeverity(0x0300F000u), HmsSeverity::Unknown);

  HmsError e = decodePrintError(0x0500803Cu);
  EXPECT_TRUE(e.print_error);
  EXPECT_EQ(e.code, "0500_803C");
  EXPECT_EQ(e.module, "mainboard");
  EXPECT_EQ(
      message(e),
      "The current nozzle setting does not match the slicing file. Continuing to print may affect "
      "print quality. It is recommended to re-slice before starting the print. (print_error 0500_803C)");
  EXPECT_EQ(message(decodePrintError(0x0300400Cu)), "The task was canceled. (print_error 0300_400C)");
  EXPECT_EQ(message(decodePrintError(0x05008030u)), // in Bambu's list with an empty text
            "print_error 0500_8030 (mainboard, serious); no description known");
  // The same number as an HMS entry and as a print_error word are different things.
  EXPECT_NE(decodePrintError(0x0300400Cu), decodeHms(0u, 0x0300400Cu));
}

TEST(BambuHms, MessagesUseTheTextForThePrintersModel) {
  HmsError e = decodeHms(0x03000200u, 0x00010001u);
  EXPECT_EQ(
      message(e, "P1S"),
      "The nozzle temperature is abnormal; the heater may have a short circuit. (HMS_0300_0200_0001_0001)");
  EXPECT_EQ(message(e, "H2D"), "The right nozzle temperature is abnormal; the heater may have a short "
                               "circuit. (HMS_0300_0200_0001_0001)");
}

TEST(BambuHms, EntriesInReports) {
  PrinterState state;
  auto r = state.applyPayload(R"({"print":{"command":"push_status","gcode_state":"RUNNING","hms":[
      {"attr":117506048,"code":131073},
      {"attr":0,"code":0},
      {"attr":"83887616","code":131184},
      {"attr":83887616},
      "junk",
      {"attr":-1,"code":65536},
      {"attr":4294967296,"code":65536},
      {"attr":134234112,"code":262145,"ts_boot":1,"ts_unix":"20260101000000"}]}})");
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(r.skipped_fields, 4); // the string attr, the entry without code, "junk", 2^32
  json s = liveStatus(state);
  json errors = s["errors"];
  ASSERT_EQ(errors.size(), 2u) << errors.dump();
  EXPECT_EQ(errors[0]["code"], "0701_0000_0002_0001"); // 0x07010000 / 0x00020001
  EXPECT_EQ(errors[0]["module"], "ams");
  EXPECT_EQ(errors[0]["severity"], "serious");
  // A negative attr is the signed reading of the same 32 bits.
  EXPECT_EQ(errors[1]["code"], "FFFF_FFFF_0001_0000");
  EXPECT_EQ(errors[1]["module"], "module_FF");
  EXPECT_EQ(errors[1]["severity"], "fatal");
  // Below the default threshold: a notice, same shape.
  ASSERT_EQ(s["notices"].size(), 1u) << s.dump();
  EXPECT_EQ(s["notices"][0]["code"], "0800_4000_0004_0001"); // 0x08004000 / 0x00040001
  EXPECT_EQ(s["notices"][0]["module"], "toolhead");
  EXPECT_EQ(s["notices"][0]["severity"], "info");
  EXPECT_EQ(s["notices"][0]["message"],
            "HMS 0800_4000_0004_0001 (toolhead, info), see " + kWiki + "0800_4000_0004_0001");
}

// One report holding an entry of every level (and one of an unknown level), split at each threshold.
TEST(BambuHms, TheThresholdSplitsErrorsFromNotices) {
  const std::string report = R"({"print":{"command":"push_status","gcode_state":"RUNNING","hms":[
      {"attr":83887360,"code":65543},
      {"attr":83887616,"code":131184},
      {"attr":83952640,"code":196610},
      {"attr":83887104,"code":262145},
      {"attr":83887104,"code":327681}]}})";
  const std::string fatal = "0500_0500_0001_0007", serious = "0500_0600_0002_0070",
                    common = "0501_0400_0003_0002", info = "0500_0400_0004_0001",
                    unknown = "0500_0400_0005_0001";
  struct Case {
    std::optional<HmsSeverity> threshold; // nullopt: the default
    std::vector<std::string> errors, notices;
  };
  const Case cases[] = {
      {std::nullopt, {fatal, serious, unknown}, {common, info}},
      {HmsSeverity::Fatal, {fatal, unknown}, {serious, common, info}},
      {HmsSeverity::Serious, {fatal, serious, unknown}, {common, info}},
      {HmsSeverity::Common, {fatal, serious, common, unknown}, {info}},
      {HmsSeverity::Info, {fatal, serious, common, info, unknown}, {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.threshold ? severityName(*c.threshold) : "default");
    PrinterState state =
        c.threshold ? PrinterState(PrinterState::Options{*c.threshold, nullptr}) : PrinterState();
    ASSERT_TRUE(state.applyPayload(report).changed);
    json s = liveStatus(state);
    EXPECT_EQ(codes(s["errors"]), c.errors);
    EXPECT_EQ(codes(s["notices"]), c.notices);
    for (const json& list : {s["errors"], s["notices"]}) {
      for (const json& e : list) {
        EXPECT_EQ(e.size(), 4u) << e.dump(); // code, severity, module, message
        EXPECT_TRUE(e["message"].is_string() && !e["message"].get<std::string>().empty());
      }
    }
  }
}

TEST(BambuHms, ThePrintErrorComesFirstWithItsOwnSeverity) {
  // P2S paused by the printer: print_error 0x0500803C (serious) plus a serious and a common HMS.
  json s = liveStatus(stateFrom({"p2s-pause-print-error.json"}));
  EXPECT_EQ(s["print_error"], "0500_803C");
  ASSERT_EQ(codes(s["errors"]), (std::vector<std::string>{"0500_803C", "0500_0600_0002_0070"}));
  EXPECT_EQ(s["errors"][0],
            json({{"code", "0500_803C"},
                  {"severity", "serious"},
                  {"module", "mainboard"},
                  {"message", "The current nozzle setting does not match the slicing file. Continuing "
                              "to print may affect print quality. It is recommended to re-slice "
                              "before starting the print. (print_error 0500_803C)"}}));
  EXPECT_EQ(codes(s["notices"]), std::vector<std::string>{"0501_0400_0003_0002"});
  EXPECT_EQ(s["notices"][0]["message"], "Threaded rods need lubrication now. (HMS_0501_0400_0003_0002)");

  // The user's own cancel is a notice, never a printer error.
  json cancelled = liveStatus(stateFrom({"p2s-print-failed-cancelled.json"}));
  EXPECT_EQ(cancelled["end_reason"], "cancelled");
  EXPECT_EQ(codes(cancelled["errors"]), std::vector<std::string>{"0500_0600_0002_0070"});
  ASSERT_EQ(codes(cancelled["notices"]),
            (std::vector<std::string>{"0300_400C", "0501_0400_0003_0002", "0500_0400_0003_0057"}));
  EXPECT_EQ(cancelled["notices"][0]["severity"], "info");
  EXPECT_EQ(cancelled["notices"][0]["message"], "The task was canceled. (print_error 0300_400C)");

  // H2C: the cancel only in fail_reason while FAILED.
  json h2c = liveStatus(stateFrom({"h2c-pushall-failed.json"}));
  EXPECT_EQ(codes(h2c["notices"]), std::vector<std::string>{"0300_400C"});
  EXPECT_EQ(h2c["errors"], json::array());
}

TEST(BambuHms, MessagesFollowTheModelOnceGetVersionArrives) {
  PrinterState state;
  ASSERT_TRUE(state
                  .applyPayload(R"({"print":{"command":"push_status","gcode_state":"RUNNING",
      "hms":[{"attr":50332160,"code":65537}]}})")
                  .changed); // 0300_0200_0001_0001
  EXPECT_EQ(
      liveStatus(state)["errors"][0]["message"],
      "The nozzle temperature is abnormal; the heater may have a short circuit. (HMS_0300_0200_0001_0001)");
  ASSERT_TRUE(state.applyPayload(fixture("h2d-get-version.json")).changed);
  EXPECT_EQ(liveStatus(state)["errors"][0]["message"], "The right nozzle temperature is abnormal; the heater "
                                                       "may have a short circuit. (HMS_0300_0200_0001_0001)");
}

TEST(BambuHms, NothingIsClaimedWhileOffline) {
  PrinterState state = stateFrom({"p2s-pause-print-error.json"});
  json s = state.status(false, "down");
  EXPECT_EQ(s["errors"], json::array());
  EXPECT_EQ(s["notices"], json::array());
}

} // namespace hms_test
} // namespace bambuddy::printer_bambu::test
