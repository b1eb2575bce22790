#include "hms.h"

#include <cstdio>

namespace bambuddy::printer_bambu {
namespace {

std::string hex4(uint32_t value) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04X", value & 0xFFFFu);
  return buf;
}

// The top byte names the part, in HMS attr words and print_error words alike.
std::string moduleName(uint32_t word) {
  switch (word >> 24) {
  case 0x03:
    return "mc";
  case 0x05:
    return "mainboard";
  case 0x07:
    return "ams";
  case 0x08:
    return "toolhead";
  case 0x0C:
    return "xcam";
  case 0x12:
    return "ams_lite"; // Bambu's texts for 12xx codes all name "AMS Lite"
  case 0x18:
    return "ams_ht"; // and those for 18xx codes "AMS-HT"
  default: {
    char buf[16];
    std::snprintf(buf, sizeof buf, "module_%02X", word >> 24);
    return buf;
  }
  }
}

HmsSeverity hmsSeverity(uint32_t code) {
  switch (code >> 16) {
  case 1:
    return HmsSeverity::Fatal;
  case 2:
    return HmsSeverity::Serious;
  case 3:
    return HmsSeverity::Common;
  case 4:
    return HmsSeverity::Info;
  default:
    return HmsSeverity::Unknown;
  }
}

} // namespace

const char* severityName(HmsSeverity severity) {
  switch (severity) {
  case HmsSeverity::Fatal:
    return "fatal";
  case HmsSeverity::Serious:
    return "serious";
  case HmsSeverity::Common:
    return "common";
  case HmsSeverity::Info:
    return "info";
  case HmsSeverity::Unknown:
    break;
  }
  return "unknown";
}

std::optional<HmsSeverity> parseSeverity(std::string_view name) {
  for (HmsSeverity s : {HmsSeverity::Fatal, HmsSeverity::Serious, HmsSeverity::Common, HmsSeverity::Info}) {
    if (name == severityName(s)) {
      return s;
    }
  }
  return std::nullopt;
}

bool reachesThreshold(HmsSeverity severity, HmsSeverity error_min) {
  return severity == HmsSeverity::Unknown || static_cast<int>(severity) <= static_cast<int>(error_min);
}

HmsError decodeHms(uint32_t attr, uint32_t code) {
  HmsError e;
  e.code = hex4(attr >> 16) + "_" + hex4(attr) + "_" + hex4(code >> 16) + "_" + hex4(code);
  e.severity = hmsSeverity(code);
  e.module = moduleName(attr);
  e.key = static_cast<uint64_t>(attr) << 32 | code;
  return e;
}

HmsSeverity printErrorSeverity(uint32_t print_error) {
  if (print_error == kPrintErrorCancelled) {
    return HmsSeverity::Info;
  }
  switch ((print_error >> 12) & 0xFu) {
  case 0x4:
    return HmsSeverity::Fatal;
  case 0x8:
    return HmsSeverity::Serious;
  case 0xC:
    return HmsSeverity::Common;
  default:
    return HmsSeverity::Unknown;
  }
}

HmsError decodePrintError(uint32_t print_error) {
  HmsError e;
  e.code = formatPrintError(print_error);
  e.severity = printErrorSeverity(print_error);
  e.module = moduleName(print_error);
  e.key = print_error;
  e.print_error = true;
  return e;
}

std::string errorMessage(const HmsError& error, const HmsTable& table, std::string_view model) {
  if (error.print_error) {
    if (auto text = table.printErrorText(static_cast<uint32_t>(error.key), model)) {
      return std::string(*text) + " (print_error " + error.code + ")";
    }
    return "print_error " + error.code + " (" + error.module + ", " + severityName(error.severity) +
           "); no description known";
  }
  if (auto text =
          table.hmsText(static_cast<uint32_t>(error.key >> 32), static_cast<uint32_t>(error.key), model)) {
    return std::string(*text) + " (HMS_" + error.code + ")";
  }
  // Codes Bambu's table lacks (or has no text for) still get their page on Bambu's wiki.
  return "HMS " + error.code + " (" + error.module + ", " + severityName(error.severity) +
         "), see https://wiki.bambulab.com/en/x1/troubleshooting/hmscode/" + error.code;
}

std::string formatPrintError(uint32_t print_error) {
  return hex4(print_error >> 16) + "_" + hex4(print_error);
}

} // namespace bambuddy::printer_bambu
