// printer.bambu's report parser and state merge on payloads from device/<serial>/report. The input
// is one or more payloads separated by a 0xFF byte (never valid in UTF-8 JSON), merged in order
// into one printer's state as the driver does, and the normalized status built after each.
#include "printer_state.h"
#include "report_parser.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

using namespace bambuddy::printer_bambu;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  PrinterState state;
  size_t start = 0;
  int payloads = 0;
  while (start <= input.size() && payloads < 16) {
    size_t end = input.find('\xff', start);
    if (end == std::string_view::npos) {
      end = input.size();
    }
    std::string_view payload = input.substr(start, end - start);
    ParsedReport parsed = parseReport(payload);
    (void)parsed.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    state.applyPayload(payload);
    (void)state.status(true, "").dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    (void)state.status(false, "connection lost")
        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    ++payloads;
    start = end + 1;
  }
  return 0;
}
