// The print queue: items that refer to an uploaded archive, optionally a printer and a time,
// in an explicit order. A dispatcher starts the first due item on an idle printer whose driver can
// start prints; a waiting item shows why it waits. An item ends with the print it started (the
// archives tell the queue when a print record is created and when it ends).
#pragma once

#include "common/service_error.h"
#include "queue/queue_store.h"

#include <nlohmann/json.hpp>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace bambuddy {
class Logger;
namespace journal {
class EventJournal;
}
namespace printers {
class PrinterRegistry;
}
namespace printing {
class PrintStarter;
}
namespace archives {
class ArchiveService;
struct ArchiveRecord;
} // namespace archives
} // namespace bambuddy

namespace bambuddy::queue {

using QueueError = ServiceError;

struct QueueOptions {
  int64_t dispatch_interval_ms = 1000;
  int64_t start_timeout_ms = 180000; // a started item whose print never shows up fails after this
};

class QueueService {
public:
  QueueService(QueueStore& store, archives::ArchiveService& archives, printers::PrinterRegistry& printers,
               printing::PrintStarter& starter, journal::EventJournal& journal, Logger& logger,
               std::function<int64_t()> clock_ms, QueueOptions options = {});
  ~QueueService(); // stop()

  void start(); // dispatcher thread
  void stop();

  std::vector<QueueItem> list(const std::optional<std::string>& status);
  QueueItem get(int64_t id);
  QueueItem add(const nlohmann::json& body);
  QueueItem patch(int64_t id, const nlohmann::json& body);
  void remove(int64_t id);
  std::vector<QueueItem> reorder(const nlohmann::json& body);

  nlohmann::json toJson(const QueueItem& item);

  // One dispatch pass (the thread runs it on its own; tests may call it).
  void dispatchOnce();
  // Runs a dispatch pass soon (after something outside the queue changed, e.g. a plate cleared).
  void wake();

  // The queue's journal consumer (after the archives): a queued print started or ended. Safe to
  // call twice for one event.
  void onPrintEvent(const std::string& event_type, const archives::ArchiveRecord& archive);

private:
  // Records a queue event in the journal (notifications and other consumers read it there).
  void announce(const std::string& type, int64_t printer_id, const nlohmann::json& data);
  void setReason(QueueItem& item, const std::string& reason);
  void loop();

  QueueStore& store_;
  archives::ArchiveService& archives_;
  printers::PrinterRegistry& printers_;
  printing::PrintStarter& starter_;
  journal::EventJournal& journal_;
  Logger& logger_;
  std::function<int64_t()> clock_ms_;
  QueueOptions options_;

  std::mutex dispatch_mutex_; // one dispatch pass at a time, and item updates against it
  std::mutex wake_mutex_;
  std::condition_variable wake_cv_;
  bool wake_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace bambuddy::queue
