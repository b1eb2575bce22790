// Bambu Lab error codes: HMS ("health management system") entries and print_error words.
//
// An HMS entry is two 32-bit words, {"attr": A, "code": C}. Decoding (as ha-bambulab does it,
// see the README):
//   code string  "AAAA_BBBB_CCCC_DDDD" = A >> 16, A & 0xFFFF, C >> 16, C & 0xFFFF in hex
//   module       A >> 24: 0x03 mc, 0x05 mainboard, 0x07 ams, 0x08 toolhead, 0x0C xcam,
//                anything else "module_XX" (two upper-case hex digits)
//   severity     C >> 16: 1 fatal, 2 serious, 3 common, 4 info, anything else unknown
#pragma once

#include <cstdint>
#include <string>

namespace bambuddy::printer_bambu {

struct HmsError {
  std::string code;     // "0500_0500_0001_0007"
  std::string severity; // fatal | serious | common | info | unknown
  std::string module;   // mc | mainboard | ams | toolhead | xcam | module_XX
  std::string message;

  bool operator==(const HmsError& o) const {
    return code == o.code && severity == o.severity && module == o.module && message == o.message;
  }
  bool operator!=(const HmsError& o) const { return !(*this == o); }
};

HmsError decodeHms(uint32_t attr, uint32_t code);

// A print_error word as "XXXX_XXXX" (upper-case hex), e.g. 50348044 -> "0300_400C".
std::string formatPrintError(uint32_t print_error);

// 0x0300400C: the printer's own "the task was canceled" code.
inline constexpr uint32_t kPrintErrorCancelled = 0x0300400Cu;

} // namespace bambuddy::printer_bambu
