// Printer input through the real registry on a temp SQLite database: POST /api/v1/printers and
// PATCH /api/v1/printers/{id} (name, driver, settings merge) on a REST printer whose driver is not
// loaded, and the same bytes as a normalized status report through the lifecycle detector that
// turns driver reports into print events.
#include "api/printer_routes.h"
#include "config/core_config.h"
#include "printers/lifecycle_detector.h"
#include "printers/printer_registry.h"
#include "printers/printer_store.h"
#include "support/fuzz_core.h"

#include <cstddef>
#include <cstdint>
#include <string>

using namespace bambuddy;

namespace {

struct Target {
  fuzz::FuzzCore core;
  printers::PrinterStore store{core.database()};
  printers::PrinterRegistry registry{store,         core.plugins(),    core.journal(),
                                     core.logger(), fuzz::wallClockMs, printers::LifecycleSettings{}};
  std::string patch_path;

  Target() {
    printers::PrinterRecord record;
    record.name = "X1C";
    record.plugin = "printer.bambu";
    record.instance_id = "printer-1";
    record.source = "api";
    record.settings = {{"host", "192.0.2.1"}, {"serial", "01S00A000000001"}, {"access_code", "12345678"}};
    record = store.insert(record);
    patch_path = "/api/v1/printers/" + std::to_string(record.id);
    registry.start(config::CoreConfig{});
    api::addPrinterRoutes(core.router(), registry);
  }
};

void expectClientAnswer(const http::Response& response, const char* what) {
  if (response.status >= 500) {
    std::fprintf(stderr, "%s answered %d: %s\n", what, response.status, response.body.c_str());
    std::abort();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Target* target = new Target(); // lives as long as the process, like the server's
  const std::string body(reinterpret_cast<const char*>(data), size);
  expectClientAnswer(fuzz::callRoute(target->core.router(), http::Method::Post, "/api/v1/printers", body),
                     "POST /api/v1/printers");
  expectClientAnswer(fuzz::callRoute(target->core.router(), http::Method::Patch, target->patch_path, body),
                     "PATCH /api/v1/printers/{id}");

  nlohmann::json status = nlohmann::json::parse(body, nullptr, false);
  if (!status.is_discarded()) {
    const int64_t t0 = 1700000000000;
    printers::LifecycleDetector detector(printers::LifecycleSettings{}, printers::LifecycleMemory{}, t0);
    detector.onReport(status, t0 + 1000);
    detector.onReport(nlohmann::json{{"state", "printing"}, {"progress", 10}}, t0 + 2000);
    detector.onReport(status, t0 + 3000);
    detector.onTick(t0 + 10 * 60 * 1000);
    (void)detector.memory().toJson();
    (void)printers::LifecycleMemory::fromJson(status);
  }
  return 0;
}
