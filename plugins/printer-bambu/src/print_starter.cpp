#include "print_starter.h"

#include <openssl/evp.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace bambuddy::printer_bambu {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kProgressInterval{250}; // at most ~4 reports/s while bytes move
constexpr size_t kHashChunkBytes = 1024 * 1024;

// Closes the descriptor it owns.
class FileHandle {
public:
  explicit FileHandle(int fd) : fd_(fd) {}
  ~FileHandle() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  FileHandle(const FileHandle&) = delete;
  FileHandle& operator=(const FileHandle&) = delete;
  int get() const { return fd_; }

private:
  int fd_;
};

std::string hex(const unsigned char* bytes, unsigned int length) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 0xf];
  }
  return out;
}

struct DigestDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using Digest = std::unique_ptr<EVP_MD_CTX, DigestDeleter>;

} // namespace

struct PrintStarter::Job {
  Job(StartPrintRequest r, int fd) : request(std::move(r)), file(fd) {}
  StartPrintRequest request;
  FileHandle file;
  StartProgress progress;
  std::string md5;
  std::unique_ptr<StorageTransport> transport;
  bool uploading = false; // bytes may have reached the printer's storage
  bool published = false; // project_file went out
  Clock::time_point last_report{};
};

PrintStarter::PrintStarter(sdk::Host host, DriverConfig config, std::string serial, MqttSession& session,
                           TransportFactory transports)
    : host_(std::move(host)), config_(config), serial_(std::move(serial)), session_(session),
      transports_(std::move(transports)), where_("printer " + serial_) {}

PrintStarter::~PrintStarter() {
  shutdown();
}

std::string PrintStarter::uploadRecordKey(const std::string& serial, const std::string& remote_file) {
  return "uploads/" + serial + remote_file;
}

std::string PrintStarter::start(const StartPrintRequest& request) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_) {
    throw sdk::Error(BB_ERR_UNAVAILABLE, "printer_offline", "the driver is stopping");
  }
  if (running_) {
    throw sdk::Error(BB_ERR_CONFLICT, "start_running", "a print is being started on this printer already");
  }
  if (worker_.joinable()) {
    worker_.join(); // the previous job's thread, already finished
  }
  // The path is readable only during this call: keep the descriptor for the worker.
  int fd = ::open(request.file_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw sdk::Error(BB_ERR_INVALID_ARGUMENT, "file_unreadable",
                     "start_print: cannot open file.path: " + std::string(std::strerror(errno)));
  }
  auto job = std::make_unique<Job>(request, fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    throw sdk::Error(BB_ERR_INVALID_ARGUMENT, "file_unreadable",
                     "start_print: file.path is not a regular file");
  }
  if (static_cast<uint64_t>(st.st_size) != request.file_size) {
    throw sdk::Error(BB_ERR_INVALID_ARGUMENT, "file_unreadable",
                     "start_print: file.path holds " + std::to_string(st.st_size) +
                         " bytes, file.size says " + std::to_string(request.file_size));
  }
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  StartProgress& p = job->progress;
  p.job_id = "start-" + std::to_string(now_ms) + "-" + std::to_string(++jobs_);
  p.filename = request.filename;
  p.name = request.name;
  p.remote_file = request.remotePath();
  p.phase = "checking";
  p.total = request.file_size;
  p.estimated_time_s = request.estimated_time_s;
  session_.beginStart(p); // throws when offline, busy or starting already
  json answer = {{"job_id", p.job_id}, {"remote_file", p.remote_file}};
  cancelled_ = false;
  reported_ = false;
  running_ = true;
  host_.info(where_ + ": starting " + request.filename + " (plate " + std::to_string(request.plate) +
             ", job " + p.job_id + ")");
  worker_ = std::thread(&PrintStarter::run, this, std::move(job));
  return answer.dump();
}

bool PrintStarter::cancel() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!running_ || reported_) {
    return false;
  }
  cancelLocked();
  return true;
}

void PrintStarter::cancelLocked() {
  cancelled_ = true;
  if (transport_ != nullptr) {
    transport_->cancel();
  }
  if (wait_) {
    wait_->finish(ProjectFileOutcome::Cancelled, "the start was cancelled");
  }
}

void PrintStarter::shutdown() {
  std::thread worker;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    if (running_) {
      cancelLocked(); // also a clean-up in progress
    }
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    worker = std::move(worker_);
  }
  if (worker.joinable()) {
    worker.join();
  }
}

StartFailure PrintStarter::cancelledFailure() const {
  return {"cancelled",
          stopping_ ? "the driver stopped during the start" : "the start was cancelled by a stop", true};
}

std::unique_ptr<StorageTransport> PrintStarter::newTransport(bool for_cleanup) {
  std::unique_ptr<StorageTransport> t = transports_();
  std::lock_guard<std::mutex> lock(mutex_);
  transport_ = t.get();
  if (for_cleanup ? stopping_.load() : cancelled_.load()) {
    t->cancel(); // cancel() ran before this transport existed
  }
  return t;
}

void PrintStarter::run(std::unique_ptr<Job> job) {
  std::optional<StartFailure> failure;
  try {
    failure = transfer(*job);
  } catch (const std::exception& e) {
    failure =
        StartFailure{"internal_error", std::string("starting the print failed unexpectedly: ") + e.what()};
  }
  {
    // From here a stop is the printer's business again, not a cancel of this start.
    std::lock_guard<std::mutex> lock(mutex_);
    reported_ = true;
    if (cancelled_ && (!failure || !failure->cancelled)) {
      // A step that failed because of the cancel, or a stop that came as the printer began: the
      // stop wins (the printer is told to stop below).
      failure = cancelledFailure();
    }
  }
  if (failure) {
    host_.warn(where_ + ": starting " + job->request.filename + " failed: " + failure->reason + ": " +
               failure->message);
  } else {
    host_.info(where_ + ": printing " + job->request.filename + " (job " + job->progress.job_id + ")");
  }
  try {
    session_.endStart(failure);
    if (failure && failure->cancelled && job->published && !stopping_) {
      session_.sendStopBestEffort(); // project_file may have been taken: stop what it started
    }
    if (failure) {
      cleanUp(*job);
    }
  } catch (const std::exception& e) {
    host_.warn(where_ + ": ending the start failed: " + e.what());
  }
  std::lock_guard<std::mutex> lock(mutex_);
  transport_ = nullptr;
  wait_.reset();
  job->transport.reset();
  running_ = false;
}

std::optional<StartFailure> PrintStarter::transfer(Job& job) {
  if (std::optional<StartFailure> f = hashFile(job)) {
    return f;
  }
  const StartPrintRequest& r = job.request;
  const std::string key = uploadRecordKey(serial_, r.remotePath());
  std::string step = "listing the printer's storage";
  try {
    job.transport = newTransport();
    bool same_file = false;
    for (const RemoteEntry& entry : job.transport->list("/")) {
      if (!entry.is_directory && entry.name == r.filename && entry.size_bytes == r.file_size) {
        same_file = true;
      }
    }
    if (same_file) {
      // Only a file this driver uploaded with the same SHA-256 counts: the size alone proves little.
      std::optional<std::string> record;
      try {
        record = host_.kvGet(key);
      } catch (const sdk::Error& e) {
        host_.debug(where_ + ": reading the upload record failed: " + e.what());
      }
      json doc = record ? json::parse(*record, nullptr, false) : json();
      same_file = doc.is_object() && doc.value("sha256", "") == r.file_sha256 &&
                  doc.value("size", uint64_t{0}) == r.file_size;
    }
    if (same_file) {
      job.progress.skipped = true;
      job.progress.bytes = r.file_size;
    } else {
      try {
        host_.kvDelete(key); // the file there is about to change
      } catch (const sdk::Error& e) {
        host_.debug(where_ + ": deleting the upload record failed: " + e.what());
      }
      step = "uploading " + r.remotePath();
      job.uploading = true;
      job.progress.phase = "uploading";
      progress(job, true);
      job.transport->upload(job.file.get(), r.file_size, r.remotePath(), [&](uint64_t done, uint64_t) {
        job.progress.bytes = done;
        progress(job, false);
      });
      job.progress.bytes = r.file_size;
      try {
        host_.kvPut(key, json({{"sha256", r.file_sha256}, {"size", r.file_size}, {"md5", job.md5}}).dump());
      } catch (const sdk::Error& e) {
        host_.warn(where_ + ": recording the upload failed (the next start uploads again): " + e.what());
      }
    }
  } catch (const FtpsError& e) {
    if (cancelled_) {
      return cancelledFailure();
    }
    return StartFailure{e.reason(), step + " failed: " + e.what()};
  }
  if (cancelled_) {
    return cancelledFailure();
  }
  job.progress.phase = "starting";
  progress(job, true);
  return startOnPrinter(job);
}

std::optional<StartFailure> PrintStarter::hashFile(Job& job) {
  Digest md5(EVP_MD_CTX_new());
  Digest sha(EVP_MD_CTX_new());
  if (!md5 || !sha || EVP_DigestInit_ex(md5.get(), EVP_md5(), nullptr) != 1 ||
      EVP_DigestInit_ex(sha.get(), EVP_sha256(), nullptr) != 1) {
    return StartFailure{"internal_error", "cannot set up MD5/SHA-256"};
  }
  std::vector<unsigned char> buffer(kHashChunkBytes);
  uint64_t offset = 0;
  const uint64_t size = job.request.file_size;
  while (offset < size) {
    if (cancelled_) {
      return cancelledFailure();
    }
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buffer.size(), size - offset));
    const ssize_t got = ::pread(job.file.get(), buffer.data(), want, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got <= 0) {
      return StartFailure{"file_unreadable",
                          got < 0 ? "reading the file failed: " + std::string(std::strerror(errno))
                                  : "the file ended after " + std::to_string(offset) + " of " +
                                        std::to_string(size) + " bytes"};
    }
    EVP_DigestUpdate(md5.get(), buffer.data(), static_cast<size_t>(got));
    EVP_DigestUpdate(sha.get(), buffer.data(), static_cast<size_t>(got));
    offset += static_cast<uint64_t>(got);
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(md5.get(), digest, &length);
  job.md5 = hex(digest, length);
  EVP_DigestFinal_ex(sha.get(), digest, &length);
  const std::string sha256 = hex(digest, length);
  if (sha256 != job.request.file_sha256) {
    return StartFailure{"file_unreadable", "the file's SHA-256 is " + sha256 + ", the command says " +
                                               job.request.file_sha256 + " (changed since it was stored?)"};
  }
  return std::nullopt;
}

std::optional<StartFailure> PrintStarter::startOnPrinter(Job& job) {
  auto wait = std::make_shared<StartWait>();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (cancelled_) {
      return cancelledFailure();
    }
    wait_ = wait;
  }
  const StartPrintRequest& r = job.request;
  ProjectFileResult result = session_.sendProjectFile(
      [&](uint64_t sequence_id) { return projectFilePayload(r, job.md5, sequence_id); }, r.name,
      config_.start_timeout_ms, wait);
  job.published = result.sent;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    wait_.reset();
  }
  switch (result.outcome) {
  case ProjectFileOutcome::Started:
    return std::nullopt;
  case ProjectFileOutcome::Refused:
    return StartFailure{"project_file_failed",
                        "the printer refused to print " + r.filename + ": " + result.message};
  case ProjectFileOutcome::Busy:
    return StartFailure{"printer_busy", result.message};
  case ProjectFileOutcome::Timeout:
    return StartFailure{"project_file_timeout", result.message};
  case ProjectFileOutcome::Disconnected:
    return StartFailure{"printer_disconnected", result.message};
  case ProjectFileOutcome::Cancelled:
    break;
  }
  return cancelledFailure();
}

void PrintStarter::cleanUp(Job& job) {
  const std::string remote = job.request.remotePath();
  if (!job.uploading) {
    return; // nothing of this start is on the printer (or the file was there before, unchanged)
  }
  if (stopping_) {
    host_.info(where_ + ": left " + remote + " on the printer (the driver is stopping)");
    return;
  }
  if (!cancelled_ && config_.keep_failed_uploads) {
    host_.info(where_ + ": kept " + remote + " on the printer (keep_failed_uploads)");
    return;
  }
  // The record goes first: it must never vouch for a file that is gone or half there.
  try {
    host_.kvDelete(uploadRecordKey(serial_, remote));
  } catch (const sdk::Error& e) {
    host_.debug(where_ + ": deleting the upload record failed: " + e.what());
  }
  std::unique_ptr<StorageTransport> t = newTransport(true); // the job's may be cancelled for good
  std::string problem;
  try {
    t->remove(remote);
  } catch (const FtpsError& e) {
    if (e.failure() != FtpsFailure::NotFound) {
      problem = std::string(e.reason()) + ": " + e.what();
    }
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    transport_ = nullptr; // before the transport goes: cancel() must not reach a dead one
  }
  t.reset();
  if (problem.empty()) {
    host_.info(where_ + ": deleted " + remote + " after the failed start");
  } else {
    host_.warn(where_ + ": could not delete " + remote + " after the failed start: " + problem);
  }
}

void PrintStarter::progress(Job& job, bool force) {
  const Clock::time_point now = Clock::now();
  if (!force && now - job.last_report < kProgressInterval) {
    return;
  }
  job.last_report = now;
  session_.updateStart(job.progress);
}

} // namespace bambuddy::printer_bambu
