// Archives the 3MF of prints the server did not start (sent from Bambu Studio, started on the
// printer's screen): when such a print starts, the printer's driver is asked for the file
// (`fetch_print_file`, docs/writing-a-plugin.md), it is parsed like an upload and attached to the
// print record with its thumbnail, plates, filament and estimate. When that cannot be done the
// record keeps the reason (`file_reason`).
//
// Threading: onPrint runs on the bus thread while the printer registry holds its lock, so it only
// queues. One worker thread does the downloads, one at a time; no HTTP worker, bus thread or
// driver loop waits for a file.
#pragma once

#include "archives/archive_record.h"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace bambuddy {
class Logger;
namespace archives {
class ArchiveService;
}
namespace printers {
class PrinterRegistry;
}
} // namespace bambuddy

namespace bambuddy::printing {

struct FetchOptions {
  std::string temp_dir;                           // where downloads land before storage takes them
  uint64_t max_file_bytes = 512ull * 1024 * 1024; // a printer's 3MF larger than this is not kept
  std::function<bool()> enabled;                  // the auto_archive setting; absent = on
};

class PrintFileFetcher {
public:
  PrintFileFetcher(printers::PrinterRegistry& printers, archives::ArchiveService& archives, Logger& logger,
                   FetchOptions options);
  ~PrintFileFetcher(); // stop()
  PrintFileFetcher(const PrintFileFetcher&) = delete;
  PrintFileFetcher& operator=(const PrintFileFetcher&) = delete;

  void start();
  // Drops what is still queued and joins the worker (a download in progress ends when the driver's
  // command returns; drivers stop theirs when they are destroyed).
  void stop();

  // Archive print listener: queues a fetch for a print_started record that has no file.
  void onPrint(const std::string& event_type, const archives::ArchiveRecord& record);

private:
  struct Job {
    int64_t printer_id = 0;
    int64_t archive_id = 0;
  };
  void loop();
  void fetch(const Job& job);

  printers::PrinterRegistry& printers_;
  archives::ArchiveService& archives_;
  Logger& logger_;
  FetchOptions options_;

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace bambuddy::printing
