#include "printing/print_file_fetcher.h"

#include "archives/archive_service.h"
#include "archives/three_mf.h"
#include "common/logger.h"
#include "printers/printer_registry.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace bambuddy::printing {

namespace {

constexpr const char* kComponent = "auto-archive";
constexpr std::size_t kMaxQueuedJobs = 1000; // prints starting faster than files arrive: drop, say so

// Removes the download when the job is done, whatever happened.
struct FileRemover {
  std::string path;
  ~FileRemover() { ::unlink(path.c_str()); }
};

} // namespace

PrintFileFetcher::PrintFileFetcher(printers::PrinterRegistry& printers, archives::ArchiveService& archives,
                                   Logger& logger, FetchOptions options)
    : printers_(printers), archives_(archives), logger_(logger), options_(std::move(options)) {}

PrintFileFetcher::~PrintFileFetcher() {
  stop();
}

void PrintFileFetcher::start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (thread_.joinable()) {
    return;
  }
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void PrintFileFetcher::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    jobs_.clear();
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void PrintFileFetcher::onPrint(const std::string& event_type, const archives::ArchiveRecord& record) {
  if (event_type != "print_started" || record.source_archive_id || record.file_key || !record.printer_id) {
    return; // started by the server from an archive it has, or already has its file
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ || jobs_.size() >= kMaxQueuedJobs) {
      return;
    }
    jobs_.push_back({*record.printer_id, record.id});
  }
  cv_.notify_one();
}

void PrintFileFetcher::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    if (stopping_) {
      return;
    }
    Job job = jobs_.front();
    jobs_.pop_front();
    lock.unlock();
    try {
      fetch(job);
    } catch (const std::exception& e) {
      logger_.warn(kComponent, "archive " + std::to_string(job.archive_id) + ": " + e.what());
      try {
        archives_.setFileReason(job.archive_id, e.what());
      } catch (const std::exception&) {
      }
    }
    lock.lock();
  }
}

void PrintFileFetcher::fetch(const Job& job) {
  if (options_.enabled && !options_.enabled()) {
    archives_.setFileReason(job.archive_id, "not fetched: the auto_archive setting is off");
    return;
  }
  nlohmann::json details;
  try {
    details = printers_.details(job.printer_id);
  } catch (const ServiceError&) {
    return; // the printer was removed meanwhile
  }
  if (details["capabilities"].value("fetch_print_file", false) != true) {
    archives_.setFileReason(job.archive_id, "the " + details.value("driver", std::string("printer's")) +
                                                " driver cannot fetch files from the printer");
    return;
  }
  archives::ArchiveRecord record = archives_.get(job.archive_id);
  ::mkdir(options_.temp_dir.c_str(), 0700);
  // Named like an interrupted upload, so a restart after a kill removes a leftover.
  FileRemover download{options_.temp_dir + "/upload-fetch-" + std::to_string(job.archive_id) + ".part"};
  nlohmann::json command = {{"action", "fetch_print_file"},
                            {"path", download.path},
                            {"max_bytes", options_.max_file_bytes},
                            {"filename", record.filename.value_or("")},
                            {"name", record.name}};
  if (record.job_id) {
    command["job_id"] = *record.job_id;
  }
  nlohmann::json result;
  try {
    result = printers_.command(job.printer_id, command);
  } catch (const ServiceError& e) {
    archives_.setFileReason(job.archive_id, std::string("not fetched from the printer: ") + e.what());
    logger_.info(kComponent, "archive " + std::to_string(job.archive_id) + ": no file: " + e.what());
    return;
  }
  archives::ThreeMfLimits limits;
  limits.max_file_bytes = options_.max_file_bytes;
  archives::ThreeMfMetadata metadata;
  try {
    metadata = archives::parseThreeMfFile(download.path, limits);
  } catch (const std::exception& e) {
    archives_.setFileReason(job.archive_id,
                            std::string("the printer's file is not a usable 3MF: ") + e.what());
    return;
  }
  std::string remote = result.value("remote_file", record.filename.value_or("print.3mf"));
  std::string name =
      remote.substr(remote.find_last_of('/') == std::string::npos ? 0 : remote.find_last_of('/') + 1);
  archives_.attachPrintFile(job.archive_id, name.empty() ? "print.3mf" : name, download.path,
                            archives::toJson(metadata), metadata.thumbnail_png);
  logger_.info(kComponent, "archive " + std::to_string(job.archive_id) + ": kept " + remote +
                               " from printer " + std::to_string(job.printer_id));
}

} // namespace bambuddy::printing
