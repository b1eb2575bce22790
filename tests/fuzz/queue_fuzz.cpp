// Queue input through the real routes and QueueService on a temp SQLite database: POST
// /api/v1/queue, PATCH /api/v1/queue/{id} and POST /api/v1/queue/reorder with the same body, over
// one stored archive and two pending items. Whatever an input changed is put back afterwards.
#include "api/queue_routes.h"
#include "archives/archive_service.h"
#include "archives/archive_store.h"
#include "printers/printer_registry.h"
#include "printers/printer_store.h"
#include "printing/print_starter.h"
#include "queue/queue_service.h"
#include "queue/queue_store.h"
#include "support/fuzz_core.h"

#include <cstddef>
#include <cstdint>
#include <string>

using namespace bambuddy;

namespace {

struct Target {
  fuzz::FuzzCore core;
  printers::PrinterStore printer_store{core.database()};
  printers::PrinterRegistry registry{printer_store, core.plugins(),    core.journal(),
                                     core.logger(), fuzz::wallClockMs, printers::LifecycleSettings{}};
  archives::ArchiveStore archive_store{core.database()};
  archives::ArchiveService archives{archive_store, core.plugins(), core.logger(), fuzz::wallClockMs};
  queue::QueueStore queue_store{core.database()};
  printing::PrintStarter starter{registry, archives, core.logger()};
  queue::QueueService queue{queue_store,    archives,      registry,         starter,
                            core.journal(), core.logger(), fuzz::wallClockMs};
  int64_t archive_id = 0;

  Target() {
    archives::ArchiveRecord archive;
    archive.status = "uploaded";
    archive.name = "benchy";
    archive.filename = "benchy.3mf";
    archive.file_key = "archives/1.3mf";
    archive.file_size = 1000;
    archive.created_at_ms = archive.updated_at_ms = fuzz::wallClockMs();
    archive_id = archive_store.insert(archive).id;
    reset();
    api::addQueueRoutes(core.router(), queue, archives);
  }

  // Two pending items, nothing else.
  void reset() {
    for (const queue::QueueItem& item : queue_store.list()) {
      queue_store.remove(item.id);
    }
    for (int i = 0; i < 2; ++i) {
      queue::QueueItem item;
      item.archive_id = archive_id;
      item.created_at_ms = item.updated_at_ms = fuzz::wallClockMs();
      queue_store.insert(item);
    }
  }
};

bool answer(const http::Response& response, const char* what) {
  if (response.status >= 500) {
    std::fprintf(stderr, "%s answered %d: %s\n", what, response.status, response.body.c_str());
    std::abort();
  }
  return response.status < 300;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Target* target = new Target(); // lives as long as the process, like the server's
  const std::string body(reinterpret_cast<const char*>(data), size);
  http::Router& router = target->core.router();
  const std::string first = "/api/v1/queue/" + std::to_string(target->queue_store.list().front().id);
  bool changed =
      answer(fuzz::callRoute(router, http::Method::Post, "/api/v1/queue", body), "POST /api/v1/queue");
  changed |= answer(fuzz::callRoute(router, http::Method::Patch, first, body), "PATCH /api/v1/queue/{id}");
  changed |= answer(fuzz::callRoute(router, http::Method::Post, "/api/v1/queue/reorder", body),
                    "POST /api/v1/queue/reorder");
  if (changed) {
    target->reset();
  }
  return 0;
}
