#include "printing/print_starter.h"

#include "archives/archive_service.h"
#include "common/logger.h"
#include "printers/printer_registry.h"

#include <openssl/evp.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <set>
#include <vector>

namespace bambuddy::printing {

namespace {

constexpr const char* kComponent = "print-start";

// Closes the descriptor handed to the driver once the command returned (the driver opened its own).
class FdGuard {
public:
  explicit FdGuard(int fd) : fd_(fd) {}
  ~FdGuard() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  int get() const { return fd_; }

private:
  int fd_;
};

ServiceError ioError(const std::string& message) {
  return ServiceError(ServiceError::Kind::Unavailable, "archive_file_unreadable", message);
}

// A store that offers no descriptor (a remote one) gives the bytes; an anonymous memory file
// then gives the driver a path all the same.
int memoryFile(const std::string& bytes) {
  int fd = ::memfd_create("bambuddy-print", MFD_CLOEXEC);
  if (fd < 0) {
    throw ioError(std::string("cannot hold the archive's file for the printer: ") + std::strerror(errno));
  }
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      int saved = errno;
      ::close(fd);
      throw ioError(std::string("cannot hold the archive's file for the printer: ") + std::strerror(saved));
    }
    done += static_cast<std::size_t>(n);
  }
  return fd;
}

std::string sha256Of(int fd, uint64_t size) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    throw ioError("cannot compute the file's SHA-256");
  }
  std::vector<char> buffer(1 << 16);
  uint64_t offset = 0;
  while (offset < size) {
    ssize_t n = ::pread(fd, buffer.data(), std::min<uint64_t>(buffer.size(), size - offset),
                        static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      throw ioError("the archive's file ended or failed while it was read: " +
                    std::string(n < 0 ? std::strerror(errno) : "shorter than recorded"));
    }
    EVP_DigestUpdate(ctx.get(), buffer.data(), static_cast<std::size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &length);
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xF];
  }
  return hex;
}

// The plates the 3MF has (indices from its slice info); empty when the file says nothing.
std::set<int> platesOf(const nlohmann::json& metadata) {
  std::set<int> plates;
  if (!metadata.is_object() || !metadata.contains("plates") || !metadata["plates"].is_array()) {
    return plates;
  }
  for (const nlohmann::json& plate : metadata["plates"]) {
    if (plate.is_object() && plate.contains("index") && plate["index"].is_number_integer()) {
      plates.insert(plate["index"].get<int>());
    }
  }
  return plates;
}

std::optional<int64_t> plateTimeS(const nlohmann::json& metadata, int plate) {
  if (!metadata.is_object() || !metadata.contains("plates") || !metadata["plates"].is_array()) {
    return std::nullopt;
  }
  for (const nlohmann::json& p : metadata["plates"]) {
    if (p.is_object() && p.value("index", 0) == plate && p.contains("print_time_s") &&
        p["print_time_s"].is_number()) {
      return p["print_time_s"].get<int64_t>();
    }
  }
  return std::nullopt;
}

std::string listOf(const std::set<int>& plates) {
  std::string out;
  for (int p : plates) {
    out += (out.empty() ? "" : ", ") + std::to_string(p);
  }
  return out;
}

} // namespace

std::string printerFileName(const std::string& name) {
  std::string base = name;
  if (base.size() >= 4 &&
      (base.compare(base.size() - 4, 4, ".3mf") == 0 || base.compare(base.size() - 4, 4, ".3MF") == 0)) {
    base.resize(base.size() - 4);
  }
  if (base.size() >= 6 && base.compare(base.size() - 6, 6, ".gcode") == 0) {
    base.resize(base.size() - 6);
  }
  std::string out;
  for (unsigned char c : base) {
    bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                c == '_' || c == '-' || c == '(' || c == ')';
    out += keep ? static_cast<char>(c) : '_';
  }
  while (!out.empty() && out.front() == '.') {
    out.erase(out.begin()); // no hidden files
  }
  if (out.size() > 92) {
    out.resize(92);
  }
  if (out.empty()) {
    out = "print";
  }
  return out + ".3mf";
}

int choosePlate(const nlohmann::json& metadata, std::optional<int> plate) {
  const std::set<int> plates = platesOf(metadata);
  if (!plate) {
    return plates.empty() ? 1 : *plates.begin();
  }
  if (!plates.empty() && plates.count(*plate) == 0) {
    throw ServiceError(ServiceError::Kind::Invalid, "invalid_plate",
                       "plate " + std::to_string(*plate) + ": this file has plate" +
                           (plates.size() == 1 ? " " : "s ") + listOf(plates),
                       {{"plates", std::vector<int>(plates.begin(), plates.end())}});
  }
  return *plate;
}

PrintStarter::PrintStarter(printers::PrinterRegistry& printers, archives::ArchiveService& archives,
                           Logger& logger)
    : printers_(printers), archives_(archives), logger_(logger) {}

StartOutcome PrintStarter::start(int64_t printer_id, const StartRequest& request,
                                 std::optional<int64_t> queue_item_id,
                                 const std::function<bool(std::optional<int64_t>)>& archive_visible,
                                 int64_t wait_for_record_ms) {
  printers_.requireStartSupport(printer_id); // 422 before looking at the archive
  archives::ArchiveRecord archive;
  try {
    archive = archives_.get(request.archive_id);
  } catch (const ServiceError& e) {
    if (e.httpStatus() != 404) {
      throw;
    }
    archive.id = 0;
  }
  if (archive.id == 0 || (archive_visible && !archive_visible(archive.printer_id))) {
    throw ServiceError(ServiceError::Kind::NotFound, "archive_not_found",
                       "no archive with id " + std::to_string(request.archive_id));
  }
  if (!archive.file_key) {
    throw ServiceError(ServiceError::Kind::Invalid, "archive_has_no_file",
                       "archive " + std::to_string(archive.id) + " has no stored file to print");
  }
  StartOutcome outcome;
  outcome.plate = choosePlate(archive.metadata, request.plate);

  int raw_fd = -1;
  uint64_t size = 0;
  if (auto opened = archives_.openBlob(*archive.file_key)) {
    raw_fd = opened->fd;
    size = opened->size;
  } else {
    std::string bytes = archives_.blob(*archive.file_key);
    size = bytes.size();
    raw_fd = memoryFile(bytes);
  }
  FdGuard fd(raw_fd);

  nlohmann::json command = {{"action", "start_print"},
                            {"archive_id", archive.id},
                            {"filename", printerFileName(archive.filename.value_or(archive.name))},
                            {"name", archive.name},
                            {"plate", outcome.plate},
                            {"file",
                             {{"path", "/proc/self/fd/" + std::to_string(fd.get())},
                              {"size", size},
                              {"sha256", sha256Of(fd.get(), size)}}},
                            {"options", request.options}};
  if (auto seconds = plateTimeS(archive.metadata, outcome.plate)) {
    command["estimated_time_s"] = *seconds;
  } else if (archive.estimated_time_s) {
    command["estimated_time_s"] = *archive.estimated_time_s;
  }

  // The print record made at print_started links back to this archive (and queue item).
  const int64_t since_ms = archives_.nowMs();
  archives_.expectPrint(printer_id, {queue_item_id.value_or(0), archive.id, outcome.plate});
  try {
    outcome.driver_result = printers_.command(printer_id, command);
  } catch (...) {
    archives_.expectPrint(printer_id, {});
    throw;
  }
  logger_.info(kComponent, "printer " + std::to_string(printer_id) + ": starting archive " +
                               std::to_string(archive.id) + " plate " + std::to_string(outcome.plate));
  if (wait_for_record_ms > 0) {
    outcome.print_archive_id =
        archives_.awaitPrintRecord(printer_id, archive.id, since_ms, wait_for_record_ms);
  }
  return outcome;
}

nlohmann::json PrintStarter::printRecord(const StartOutcome& outcome) {
  if (!outcome.print_archive_id) {
    return nullptr;
  }
  try {
    return archives_.get(*outcome.print_archive_id).toJson();
  } catch (const ServiceError&) {
    return nullptr; // deleted in the meantime
  }
}

} // namespace bambuddy::printing
