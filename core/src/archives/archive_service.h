// Archives: one record per print, plus uploaded 3MF files waiting to be printed.
//
// Print records follow the printer lifecycle events: the archives are the first consumer of the
// event journal (onEvent), so a record is created at print_started and completed at
// print_complete / print_failed / print_cancelled, and every event (and so every webhook, read by
// consumers after this one) carries its archive_id. Files (3MF, thumbnail) live in the storage plugin under
// archives/<id>/.
#pragma once

#include "archives/archive_store.h"
#include "common/service_error.h"

#include <nlohmann/json.hpp>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace bambuddy {
class Logger;
namespace plugins {
class PluginHost;
}
} // namespace bambuddy

namespace bambuddy::archives {

using ArchiveError = ServiceError;

// What the queue tells the archives before it starts a print: the next print_started on that
// printer is this queue item's print of that uploaded archive.
// An expectation older than a few minutes is ignored (the start was refused or never happened).
struct ExpectedPrint {
  int64_t queue_item_id = 0;
  int64_t source_archive_id = 0;
  std::optional<int64_t> plate; // the plate being printed
  int64_t at_ms = 0;            // set by expectPrint
};

class ArchiveService {
public:
  // Called after a print record is created or finished (on the journal's thread; must be quick).
  using PrintListener = std::function<void(const std::string& event_type, const ArchiveRecord& archive)>;

  ArchiveService(ArchiveStore& store, plugins::PluginHost& plugins, Logger& logger,
                 std::function<int64_t()> clock_ms);

  // Journal consumer: keeps print records in step and adds archive_id to the event data. Safe to
  // run again for an event (after a crash before the journal cursors were stored): a print_started
  // opens at most one record (found again by `event_id`), and an end event names its record in
  // `data` (through `save_data`, which stores the enriched data in the journal) before it closes
  // it, so a repeat finds it closed and changes nothing.
  void onEvent(const std::string& event_id, const std::string& type, int64_t printer_id, nlohmann::json& data,
               const std::function<void(const nlohmann::json&)>& save_data);
  void expectPrint(int64_t printer_id, ExpectedPrint expected);
  // Waits up to `timeout_ms` for the print record of `source_archive_id` on that printer created
  // at or after `since_ms` (by a print_started on the bus thread); its id, or nullopt.
  std::optional<int64_t> awaitPrintRecord(int64_t printer_id, int64_t source_archive_id, int64_t since_ms,
                                          int64_t timeout_ms);
  int64_t nowMs() const { return clock_ms_(); }
  void addPrintListener(PrintListener listener);

  ArchivePage list(const ArchiveFilter& filter) { return store_.list(filter); }
  // See ArchiveStore::generation().
  uint64_t generation() const { return store_.generation(); }
  ArchiveRecord get(int64_t id);
  // name, notes, tags, favourite, as admitted by the route's body schema. Throws ArchiveError (404).
  ArchiveRecord patch(int64_t id, const nlohmann::json& body);
  // Deletes the record and its files. 409 while the print is running.
  void remove(int64_t id);

  // Stores an uploaded file's blobs and creates an `uploaded` record (metadata already parsed).
  ArchiveRecord createUpload(const std::string& filename, const std::string& bytes,
                             const nlohmann::json& metadata, const std::optional<std::string>& thumbnail_png);
  // The same from a file on disk (an upload streamed to a temporary file), copied into storage
  // without being read into memory when the store supports it.
  ArchiveRecord createUploadFromFile(const std::string& filename, const std::string& path,
                                     const nlohmann::json& metadata,
                                     const std::optional<std::string>& thumbnail_png);
  // Attaches the 3MF of a print (fetched from the printer) to its print record: the file and
  // thumbnail go to storage, the parsed metadata, estimate and filament types to the record, and a
  // print that already ended gets its filament estimate. Throws ArchiveError (404, storage).
  void attachPrintFile(int64_t archive_id, const std::string& filename, const std::string& path,
                       const nlohmann::json& metadata, const std::optional<std::string>& thumbnail_png);
  // Records why a print's 3MF could not be archived.
  void setFileReason(int64_t archive_id, const std::string& reason);

  // The bytes of a stored blob (file or thumbnail); 404 when absent.
  std::string blob(const std::string& key);
  // A read-only descriptor of a stored blob, which the caller closes, and its size; 404 when
  // absent; nullopt when the store cannot offer one (then use blob()).
  struct BlobFile {
    int fd = -1;
    uint64_t size = 0;
  };
  std::optional<BlobFile> openBlob(const std::string& key);

private:
  std::optional<int64_t> openArchiveId(int64_t printer_id);
  ArchiveRecord createUploadWith(const std::string& filename, uint64_t size, const nlohmann::json& metadata,
                                 const std::optional<std::string>& thumbnail_png,
                                 const std::function<void(const std::string& key)>& put_file);
  void storagePut(const std::string& key, const std::string& bytes);
  void storageRemove(const std::string& key);

  ArchiveStore& store_;
  plugins::PluginHost& plugins_;
  Logger& logger_;
  std::function<int64_t()> clock_ms_;

  std::mutex mutex_;
  // Serializes read-modify-write of records (the lifecycle on the bus thread, file attachment on
  // the fetcher's thread, edits on HTTP workers). Taken before mutex_ when both are needed.
  std::mutex records_mutex_;
  std::map<int64_t, int64_t> open_by_printer_; // printer id -> archive id of the running print
  std::map<int64_t, ExpectedPrint> expected_;  // printer id -> what the queue just started
  struct StartedPrint {
    int64_t archive_id = 0;
    int64_t source_archive_id = 0;
    int64_t at_ms = 0;
  };
  std::map<int64_t, StartedPrint> last_started_; // printer id -> its latest print record
  std::condition_variable started_cv_;
  std::vector<PrintListener> listeners_;
};

} // namespace bambuddy::archives
