#include "hms.h"

#include <cstdio>

namespace bambuddy::printer_bambu {
namespace {

std::string hex4(uint32_t value) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04X", value & 0xFFFFu);
  return buf;
}

std::string moduleName(uint32_t attr) {
  switch (attr >> 24) {
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
  default: {
    char buf[16];
    std::snprintf(buf, sizeof buf, "module_%02X", attr >> 24);
    return buf;
  }
  }
}

std::string severityName(uint32_t code) {
  switch (code >> 16) {
  case 1:
    return "fatal";
  case 2:
    return "serious";
  case 3:
    return "common";
  case 4:
    return "info";
  default:
    return "unknown";
  }
}

} // namespace

HmsError decodeHms(uint32_t attr, uint32_t code) {
  HmsError e;
  e.code = hex4(attr >> 16) + "_" + hex4(attr) + "_" + hex4(code >> 16) + "_" + hex4(code);
  e.severity = severityName(code);
  e.module = moduleName(attr);
  // The driver ships no copy of Bambu's text tables; the wiki page per code has the description.
  e.message = "HMS " + e.code + " (" + e.module + ", " + e.severity +
              "), see https://wiki.bambulab.com/en/x1/troubleshooting/hmscode/" + e.code;
  return e;
}

std::string formatPrintError(uint32_t print_error) {
  return hex4(print_error >> 16) + "_" + hex4(print_error);
}

} // namespace bambuddy::printer_bambu
