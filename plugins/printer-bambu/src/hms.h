// Bambu Lab error codes: HMS ("health management system") entries and print_error words.
//
// An HMS entry is two 32-bit words, {"attr": A, "code": C}. Decoding (as ha-bambulab does it,
// see the README):
//   code string  "AAAA_BBBB_CCCC_DDDD" = A >> 16, A & 0xFFFF, C >> 16, C & 0xFFFF in hex
//   module       A >> 24: 0x03 mc, 0x05 mainboard, 0x07 ams, 0x08 toolhead, 0x0C xcam,
//                0x12 ams_lite, 0x18 ams_ht, anything else "module_XX" (two upper-case hex digits)
//   severity     C >> 16: 1 fatal, 2 serious, 3 common, 4 info, anything else unknown
// A print_error word W ("XXXX_XXXX") is the reason the printer gives for stopping, pausing or
// refusing a job; its severity comes from bits 12-15 (see printErrorSeverity).
#pragma once

#include "hms_table.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bambuddy::printer_bambu {

// Bambu's four HMS levels, most severe first; Unknown for a level outside 1-4.
enum class HmsSeverity : uint8_t { Fatal = 1, Serious = 2, Common = 3, Info = 4, Unknown = 5 };

const char* severityName(HmsSeverity severity);                  // "fatal", ..., "unknown"
std::optional<HmsSeverity> parseSeverity(std::string_view name); // the four levels only

// Whether an entry of `severity` is an error (and so fires printer_error) when the threshold is
// `error_min`: it is when it is at least as severe. An unknown level counts as an error, so a
// level Bambu adds later is shown rather than hidden.
bool reachesThreshold(HmsSeverity severity, HmsSeverity error_min);

struct HmsError {
  std::string code; // "0500_0500_0001_0007", or "0300_400C" for a print_error word
  HmsSeverity severity = HmsSeverity::Unknown;
  std::string module; // mc | mainboard | ams | toolhead | xcam | ams_lite | ams_ht | module_XX
  uint64_t key = 0;   // attr << 32 | code, or the print_error word: the table's key
  bool print_error = false;

  bool operator==(const HmsError& o) const { return key == o.key && print_error == o.print_error; }
  bool operator!=(const HmsError& o) const { return !(*this == o); }
};

HmsError decodeHms(uint32_t attr, uint32_t code);
HmsError decodePrintError(uint32_t print_error);

// What the status shows:
//   known code:   "<Bambu's text> (HMS_0500_0500_0001_0007)" / "<text> (print_error 0300_400C)"
//   unknown HMS:  "HMS 0500_0600_0002_0070 (mainboard, serious), see <wiki page of the code>"
//   unknown print_error: "print_error 0500_803C (mainboard, serious); no description known"
std::string errorMessage(const HmsError& error, const HmsTable& table, std::string_view model);

// Bits 12-15 of a print_error word. Bambu does not document them; in its own table (the plugin's
// hms_en.tsv) every code has 4, 8 or C there, and the texts say what they mean:
//   0x4 the job was stopped or refused ("... the task has been stopped", "Homing XY axis failed")
//       -> fatal
//   0x8 the job is paused until someone acts ("... so printing was paused", "click Retry") -> serious
//   0xC a prompt or notice; the printer waits for a confirmation or goes on by itself -> common
// The task-cancelled code 0x0300400C is info: it is the user's own stop (end_reason says so).
HmsSeverity printErrorSeverity(uint32_t print_error);

// A print_error word as "XXXX_XXXX" (upper-case hex), e.g. 50348044 -> "0300_400C".
std::string formatPrintError(uint32_t print_error);

// 0x0300400C: the printer's own "the task was canceled" code.
inline constexpr uint32_t kPrintErrorCancelled = 0x0300400Cu;

} // namespace bambuddy::printer_bambu
