// HMS and print_error decoding, checked value by value.
#include "bambu_test_util.h"

#include "hms.h"

namespace bambuddy::printer_bambu::test {
namespace {

TEST(BambuHms, DecodesTheCapturedEntriesExactly) {
  struct Case {
    uint32_t attr, code;
    const char* hms_code;
    const char* severity;
    const char* module;
  };
  // Entries seen on P2S and X2D printers (fixtures) plus ha-bambulab's documented example.
  const Case cases[] = {
      {83887616, 131184, "0500_0600_0002_0070", "serious", "mainboard"}, // 0x05000600 / 0x00020070
      {83952640, 196610, "0501_0400_0003_0002", "common", "mainboard"},  // "threaded rods need lubrication"
      {83887360, 65543, "0500_0500_0001_0007", "fatal", "mainboard"},    // "MQTT command verification failed"
      {83887104, 196695, "0500_0400_0003_0057", "common", "mainboard"},  // "air purification in progress"
      {50331904, 65543, "0300_0100_0001_0007", "fatal", "mc"}, // heatbed sensor, ha-bambulab comment
  };
  for (const Case& c : cases) {
    HmsError e = decodeHms(c.attr, c.code);
    EXPECT_EQ(e.code, c.hms_code);
    EXPECT_EQ(e.severity, c.severity) << c.hms_code;
    EXPECT_EQ(e.module, c.module) << c.hms_code;
    EXPECT_EQ(e.message, std::string("HMS ") + c.hms_code + " (" + c.module + ", " + c.severity +
                             "), see https://wiki.bambulab.com/en/x1/troubleshooting/hmscode/" + c.hms_code);
  }
}

TEST(BambuHms, ModuleComesFromTheTopByteOfAttr) {
  EXPECT_EQ(decodeHms(0x03000000u, 0x10000u).module, "mc");
  EXPECT_EQ(decodeHms(0x05000000u, 0x10000u).module, "mainboard");
  EXPECT_EQ(decodeHms(0x07010100u, 0x10000u).module, "ams");
  EXPECT_EQ(decodeHms(0x08000000u, 0x10000u).module, "toolhead");
  EXPECT_EQ(decodeHms(0x0C000300u, 0x10000u).module, "xcam");
  EXPECT_EQ(decodeHms(0x12000000u, 0x10000u).module, "module_12");
  EXPECT_EQ(decodeHms(0x00000000u, 0x10000u).module, "module_00");
  EXPECT_EQ(decodeHms(0xFF000000u, 0x10000u).module, "module_FF");
}

TEST(BambuHms, SeverityComesFromTheHighHalfOfCode) {
  EXPECT_EQ(decodeHms(0x05000000u, 0x00010000u).severity, "fatal");
  EXPECT_EQ(decodeHms(0x05000000u, 0x0002FFFFu).severity, "serious");
  EXPECT_EQ(decodeHms(0x05000000u, 0x00030001u).severity, "common");
  EXPECT_EQ(decodeHms(0x05000000u, 0x00040000u).severity, "info");
  EXPECT_EQ(decodeHms(0x05000000u, 0x00000007u).severity, "unknown");
  EXPECT_EQ(decodeHms(0x05000000u, 0x00050000u).severity, "unknown");
  EXPECT_EQ(decodeHms(0x05000000u, 0x10010000u).severity, "unknown"); // not 1: the whole high half counts
  // attr's own bits never change the severity (an older decoding read it from attr).
  EXPECT_EQ(decodeHms(0x05000100u, 0x00030000u).severity, "common");
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
  json errors = liveStatus(state)["errors"];
  ASSERT_EQ(errors.size(), 3u) << errors.dump();
  EXPECT_EQ(errors[0]["code"], "0701_0000_0002_0001"); // 0x07010000 / 0x00020001
  EXPECT_EQ(errors[0]["module"], "ams");
  EXPECT_EQ(errors[0]["severity"], "serious");
  // A negative attr is the signed reading of the same 32 bits.
  EXPECT_EQ(errors[1]["code"], "FFFF_FFFF_0001_0000");
  EXPECT_EQ(errors[1]["module"], "module_FF");
  EXPECT_EQ(errors[2]["code"], "0800_4000_0004_0001"); // 0x08004000 / 0x00040001
  EXPECT_EQ(errors[2]["module"], "toolhead");
  EXPECT_EQ(errors[2]["severity"], "info");
}

} // namespace
} // namespace bambuddy::printer_bambu::test
