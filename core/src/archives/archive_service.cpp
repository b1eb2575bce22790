#include "archives/archive_service.h"

#include "common/logger.h"
#include "plugins/plugin_host.h"
#include "plugins/plugin_instance.h"

#include <bambuddy/abi.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>

namespace bambuddy::archives {

namespace {

constexpr const char* kComponent = "archives";
// Names taken from a print job or a 3MF title are cut to this (PATCH allows 200 characters).
constexpr std::size_t kMaxNameBytes = 200;
// How long a start told by the queue or the start route waits for its print_started.
constexpr int64_t kExpectationMs = 5 * 60 * 1000;

// "PLA,PETG": the filament types of a 3MF's metadata; nullopt when it names none.
std::optional<std::string> filamentTypes(const nlohmann::json& metadata) {
  auto types = metadata.find("filament_types");
  if (types == metadata.end() || !types->is_array() || types->empty()) {
    return std::nullopt;
  }
  std::string joined;
  for (const auto& t : *types) {
    if (t.is_string()) {
      joined += (joined.empty() ? "" : ",") + t.get<std::string>();
    }
  }
  return joined;
}

// A value of one plate of a 3MF's metadata ("weight_g", "print_time_s"): the given plate, or the
// only plate when the print's plate is unknown. nullopt when the file does not say.
std::optional<double> plateValue(const nlohmann::json& metadata, const std::optional<int64_t>& plate,
                                 const char* key) {
  if (!metadata.is_object() || !metadata.contains("plates") || !metadata["plates"].is_array()) {
    return std::nullopt;
  }
  const nlohmann::json& plates = metadata["plates"];
  for (const nlohmann::json& p : plates) {
    if (!p.is_object() || !p.contains(key) || !p[key].is_number()) {
      continue;
    }
    if ((plate && p.value("index", int64_t{0}) == *plate) || (!plate && plates.size() == 1)) {
      return p[key].get<double>();
    }
  }
  return std::nullopt;
}

// Filament of a print the printer did not count: the printed plate's weight from the slicer, all
// of it for a finished print and the share of the progress reached for a failed or cancelled one
// (the printer lays filament down roughly in step with its progress). nullopt when unknown.
std::optional<double> estimatedFilament(const ArchiveRecord& record, const std::string& end_type) {
  std::optional<double> grams = plateValue(record.metadata, record.plate, "weight_g");
  if (!grams && record.metadata.is_object() && record.metadata.contains("plates") &&
      record.metadata["plates"].is_array() && record.metadata["plates"].size() <= 1) {
    auto total = record.metadata.find("total_filament_g");
    if (total != record.metadata.end() && total->is_number()) {
      grams = total->get<double>();
    }
  }
  if (!grams) {
    return std::nullopt;
  }
  if (end_type == "print_complete") {
    return grams;
  }
  if (!record.progress) {
    return std::nullopt;
  }
  const double share = std::min(100.0, std::max(0.0, *record.progress)) / 100.0;
  return std::round(*grams * share * 100.0) / 100.0;
}

std::optional<std::string> optString(const nlohmann::json& data, const char* key) {
  auto it = data.find(key);
  if (it != data.end() && it->is_string() && !it->get<std::string>().empty()) {
    return it->get<std::string>();
  }
  return std::nullopt;
}

std::optional<double> optNumber(const nlohmann::json& data, const char* key) {
  auto it = data.find(key);
  if (it != data.end() && it->is_number()) {
    return it->get<double>();
  }
  return std::nullopt;
}

// "benchy.gcode.3mf" -> "benchy"
std::string displayName(const std::string& filename) {
  std::string name =
      filename.substr(filename.find_last_of('/') == std::string::npos ? 0 : filename.find_last_of('/') + 1);
  for (const char* suffix : {".3mf", ".gcode"}) {
    std::size_t n = std::char_traits<char>::length(suffix);
    if (name.size() > n && name.compare(name.size() - n, n, suffix) == 0) {
      name.resize(name.size() - n);
    }
  }
  return name.empty() ? filename : name;
}

bool isEnd(const std::string& type) {
  return type == "print_complete" || type == "print_failed" || type == "print_cancelled";
}

// Keeps only [A-Za-z0-9._-] so an uploaded name is a valid storage key segment.
std::string safeSegment(const std::string& filename) {
  std::string out;
  for (char c : filename) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '-';
    out += ok ? c : '_';
  }
  while (!out.empty() && out.front() == '.') {
    out.erase(out.begin());
  }
  if (out.empty()) {
    out = "upload.3mf";
  }
  return out.substr(0, 120);
}

} // namespace

ArchiveService::ArchiveService(ArchiveStore& store, plugins::PluginHost& plugins, Logger& logger,
                               std::function<int64_t()> clock_ms)
    : store_(store), plugins_(plugins), logger_(logger), clock_ms_(std::move(clock_ms)) {}

void ArchiveService::expectPrint(int64_t printer_id, ExpectedPrint expected) {
  expected.at_ms = clock_ms_();
  std::lock_guard<std::mutex> lock(mutex_);
  expected_[printer_id] = expected;
}

std::optional<int64_t> ArchiveService::awaitPrintRecord(int64_t printer_id, int64_t source_archive_id,
                                                        int64_t since_ms, int64_t timeout_ms) {
  std::unique_lock<std::mutex> lock(mutex_);
  std::optional<int64_t> found;
  started_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] {
    auto it = last_started_.find(printer_id);
    if (it != last_started_.end() && it->second.source_archive_id == source_archive_id &&
        it->second.at_ms >= since_ms) {
      found = it->second.archive_id;
    }
    return found.has_value();
  });
  return found;
}

void ArchiveService::addPrintListener(PrintListener listener) {
  std::lock_guard<std::mutex> lock(mutex_);
  listeners_.push_back(std::move(listener));
}

std::optional<int64_t> ArchiveService::openArchiveId(int64_t printer_id) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = open_by_printer_.find(printer_id);
    if (it != open_by_printer_.end()) {
      return it->second;
    }
  }
  // After a restart the running print's record is found in the database.
  auto open = store_.openPrint(printer_id);
  if (!open) {
    return std::nullopt;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  open_by_printer_[printer_id] = open->id;
  return open->id;
}

void ArchiveService::onEvent(const std::string& event_id, const std::string& type, int64_t printer_id,
                             nlohmann::json& data,
                             const std::function<void(const nlohmann::json&)>& save_data) {
  std::lock_guard<std::mutex> records(records_mutex_);
  const int64_t now = clock_ms_();
  if (type == "print_started" && !event_id.empty()) {
    if (auto seen = store_.findByStartEvent(event_id)) {
      // Handled before a crash: the record exists; only the journal's copy may lack its id.
      data["archive_id"] = seen->id;
      if (save_data) {
        save_data(data);
      }
      return;
    }
  }
  if (type == "print_started") {
    ExpectedPrint expected;
    std::vector<PrintListener> listeners;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = expected_.find(printer_id);
      if (it != expected_.end()) {
        if (now - it->second.at_ms <= kExpectationMs) {
          expected = it->second;
        }
        expected_.erase(it);
      }
      listeners = listeners_;
    }
    // A print record still open on this printer never got its end: close it as failed.
    if (auto stale = openArchiveId(printer_id)) {
      if (auto record = store_.find(*stale); record && record->status == "printing") {
        record->status = "failed";
        record->ended_at_ms = now;
        record->error = {{"code", "no_end_reported"}, {"message", "the printer started another print"}};
        record->updated_at_ms = now;
        store_.update(*record);
      }
    }
    ArchiveRecord record;
    record.status = "printing";
    record.filename = optString(data, "filename");
    record.name = displayName(record.filename.value_or("print"));
    record.printer_id = printer_id;
    record.printer_name = optString(data, "printer");
    record.job_id = optString(data, "job_id");
    if (auto job_name = optString(data, "job_name"); job_name && !job_name->empty()) {
      record.name = job_name->substr(0, kMaxNameBytes);
    }
    if (auto plate = optNumber(data, "plate")) {
      record.plate = static_cast<int64_t>(*plate);
    }
    record.started_at_ms = now;
    record.start_event_id = event_id.empty() ? std::nullopt : std::optional<std::string>(event_id);
    record.progress = optNumber(data, "progress");
    record.created_at_ms = record.updated_at_ms = now;
    if (expected.source_archive_id > 0) {
      if (auto source = store_.find(expected.source_archive_id)) {
        record.source_archive_id = source->id;
        if (expected.queue_item_id > 0) {
          record.queue_item_id = expected.queue_item_id;
        }
        record.name = source->name;
        if (expected.plate) {
          record.plate = expected.plate;
        }
        record.estimated_time_s =
            plateValue(source->metadata, record.plate, "print_time_s")
                ? static_cast<int64_t>(*plateValue(source->metadata, record.plate, "print_time_s"))
                : source->estimated_time_s;
        record.filament_type = source->filament_type;
        record.metadata = source->metadata;
      }
    }
    record = store_.insert(std::move(record));
    {
      std::lock_guard<std::mutex> lock(mutex_);
      open_by_printer_[printer_id] = record.id;
      last_started_[printer_id] = {record.id, record.source_archive_id.value_or(0), now};
    }
    started_cv_.notify_all();
    data["archive_id"] = record.id;
    if (save_data) {
      save_data(data);
    }
    for (const auto& listener : listeners) {
      listener(type, record);
    }
    return;
  }

  if (type != "print_progress" && type != "print_paused" && type != "print_resumed" && !isEnd(type)) {
    return;
  }
  // A repeat of an end event already names its record (see onEvent in the header).
  std::optional<int64_t> id;
  if (auto named = optNumber(data, "archive_id")) {
    id = static_cast<int64_t>(*named);
  } else {
    id = openArchiveId(printer_id);
  }
  if (!id) {
    return;
  }
  auto record = store_.find(*id);
  if (!record || record->printer_id != printer_id) {
    return;
  }
  if (!data.contains("archive_id")) {
    data["archive_id"] = *id;
    if (save_data && isEnd(type)) {
      save_data(data);
    }
  }
  if (record->status != "printing") {
    // Closed already (this is a repeat), or not a print record: the event still says what it found.
    if (isEnd(type) && record->filament_used_g && !data.contains("filament_used")) {
      data["filament_used"] = *record->filament_used_g;
    }
    return;
  }
  if (auto progress = optNumber(data, "progress_exact")) {
    record->progress = progress;
  } else if (auto p = optNumber(data, "progress")) {
    record->progress = p;
  }
  record->updated_at_ms = now;
  if (!isEnd(type)) {
    if (type == "print_progress") {
      store_.update(*record);
    }
    return;
  }
  record->status = type == "print_complete" ? "success" : type == "print_failed" ? "failed" : "cancelled";
  record->ended_at_ms = now;
  if (auto duration = optNumber(data, "duration")) {
    record->duration_s = static_cast<int64_t>(*duration);
  } else if (record->started_at_ms) {
    record->duration_s = (now - *record->started_at_ms) / 1000;
  }
  if (auto grams = optNumber(data, "filament_used")) {
    record->filament_used_g = grams;
  } else {
    record->filament_used_g = estimatedFilament(*record, type);
  }
  if (record->filament_used_g) {
    data["filament_used"] = *record->filament_used_g;
  }
  if (data.contains("error") && data["error"].is_object()) {
    record->error = data["error"];
  }
  store_.update(*record);
  std::vector<PrintListener> listeners;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    open_by_printer_.erase(printer_id);
    listeners = listeners_;
  }
  for (const auto& listener : listeners) {
    listener(type, *record);
  }
}

ArchiveRecord ArchiveService::get(int64_t id) {
  auto record = store_.find(id);
  if (!record) {
    throw ArchiveError(404, "not_found", "no archive with id " + std::to_string(id));
  }
  return *record;
}

ArchiveRecord ArchiveService::patch(int64_t id, const nlohmann::json& body) {
  std::lock_guard<std::mutex> records(records_mutex_);
  ArchiveRecord record = get(id);
  // Keys, types and lengths were checked by the route's body schema (api/archive_routes.cpp).
  for (auto it = body.begin(); it != body.end(); ++it) {
    const std::string& key = it.key();
    const nlohmann::json& v = it.value();
    if (key == "name") {
      record.name = v.get<std::string>();
    } else if (key == "notes") {
      record.notes = v.get<std::string>();
    } else if (key == "tags") {
      std::vector<std::string> tags;
      for (const nlohmann::json& tag : v) {
        if (std::find(tags.begin(), tags.end(), tag.get<std::string>()) == tags.end()) {
          tags.push_back(tag.get<std::string>());
        }
      }
      record.tags = std::move(tags);
    } else if (key == "favourite") {
      record.favourite = v.get<bool>();
    }
  }
  record.updated_at_ms = clock_ms_();
  if (!store_.update(record)) {
    throw ArchiveError(404, "not_found", "no archive with id " + std::to_string(id));
  }
  return record;
}

void ArchiveService::remove(int64_t id) {
  ArchiveRecord record = get(id);
  if (record.status == "printing") {
    throw ArchiveError(409, "print_running", "this print is still running; delete it after it ends");
  }
  for (const auto& key : {record.file_key, record.thumbnail_key}) {
    if (key) {
      storageRemove(*key);
    }
  }
  store_.remove(id);
}

ArchiveRecord ArchiveService::createUpload(const std::string& filename, const std::string& bytes,
                                           const nlohmann::json& metadata,
                                           const std::optional<std::string>& thumbnail_png) {
  return createUploadWith(filename, bytes.size(), metadata, thumbnail_png,
                          [&](const std::string& key) { storagePut(key, bytes); });
}

ArchiveRecord ArchiveService::createUploadFromFile(const std::string& filename, const std::string& path,
                                                   const nlohmann::json& metadata,
                                                   const std::optional<std::string>& thumbnail_png) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw ArchiveError(500, "upload_failed", "the uploaded file could not be read back");
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    throw ArchiveError(500, "upload_failed", "the uploaded file could not be read back");
  }
  const auto size = static_cast<uint64_t>(st.st_size);
  return createUploadWith(filename, size, metadata, thumbnail_png, [&](const std::string& key) {
    auto stores = plugins_.instancesOfKind(BB_KIND_STORAGE);
    if (stores.empty()) {
      throw ArchiveError(503, "storage_unavailable", "no storage plugin is loaded; uploads cannot be kept");
    }
    stores.front()->storagePutFd(key, fd, size);
  });
}

ArchiveRecord ArchiveService::createUploadWith(const std::string& filename, uint64_t size,
                                               const nlohmann::json& metadata,
                                               const std::optional<std::string>& thumbnail_png,
                                               const std::function<void(const std::string& key)>& put_file) {
  const int64_t now = clock_ms_();
  ArchiveRecord record;
  record.status = "uploaded";
  record.filename = filename;
  record.name = displayName(filename);
  record.metadata = metadata;
  record.file_size = static_cast<int64_t>(size);
  if (metadata.is_object()) {
    if (auto t = metadata.find("total_print_time_s"); t != metadata.end() && t->is_number()) {
      record.estimated_time_s = t->get<int64_t>();
    }
    if (auto types = filamentTypes(metadata)) {
      record.filament_type = types;
    }
    if (auto title = metadata.find("title");
        title != metadata.end() && title->is_string() && !title->get<std::string>().empty()) {
      record.name = title->get<std::string>().substr(0, kMaxNameBytes);
    }
  }
  record.created_at_ms = record.updated_at_ms = now;
  record = store_.insert(std::move(record));
  // Files go under the id so two uploads of one name never collide.
  const std::string base = "archives/" + std::to_string(record.id) + "/";
  try {
    record.file_key = base + safeSegment(filename);
    put_file(*record.file_key);
    if (thumbnail_png) {
      record.thumbnail_key = base + "thumbnail.png";
      storagePut(*record.thumbnail_key, *thumbnail_png);
    }
    store_.update(record);
  } catch (...) {
    // Nothing half-stored: the record goes and so does any blob already written.
    for (const auto& key : {record.file_key, record.thumbnail_key}) {
      if (key) {
        try {
          storageRemove(*key);
        } catch (...) {
        }
      }
    }
    store_.remove(record.id);
    throw;
  }
  return record;
}

void ArchiveService::attachPrintFile(int64_t archive_id, const std::string& filename, const std::string& path,
                                     const nlohmann::json& metadata,
                                     const std::optional<std::string>& thumbnail_png) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw ArchiveError(500, "fetch_failed", "the file fetched from the printer could not be read back");
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    throw ArchiveError(500, "fetch_failed", "the file fetched from the printer could not be read back");
  }
  auto stores = plugins_.instancesOfKind(BB_KIND_STORAGE);
  if (stores.empty()) {
    throw ArchiveError(503, "storage_unavailable", "no storage plugin is loaded; the file cannot be kept");
  }
  const std::string base = "archives/" + std::to_string(archive_id) + "/";
  const std::string file_key = base + safeSegment(filename);
  stores.front()->storagePutFd(file_key, fd, static_cast<uint64_t>(st.st_size));
  std::optional<std::string> thumbnail_key;
  if (thumbnail_png) {
    thumbnail_key = base + "thumbnail.png";
    storagePut(*thumbnail_key, *thumbnail_png);
  }
  std::lock_guard<std::mutex> records(records_mutex_);
  auto record = store_.find(archive_id);
  if (!record) {
    // Deleted while the file was on its way: nothing to keep.
    storageRemove(file_key);
    if (thumbnail_key) {
      storageRemove(*thumbnail_key);
    }
    throw ArchiveError(404, "not_found", "archive " + std::to_string(archive_id) + " was deleted");
  }
  record->file_key = file_key;
  record->file_size = static_cast<int64_t>(st.st_size);
  record->thumbnail_key = thumbnail_key;
  record->metadata = metadata;
  record->file_reason.reset();
  if (auto seconds = plateValue(metadata, record->plate, "print_time_s")) {
    record->estimated_time_s = static_cast<int64_t>(*seconds);
  } else if (auto total = metadata.find("total_print_time_s");
             total != metadata.end() && total->is_number()) {
    record->estimated_time_s = total->get<int64_t>();
  }
  if (auto types = filamentTypes(metadata)) {
    record->filament_type = types;
  }
  if (!record->filament_used_g && record->status != "printing") {
    // The print ended before its file arrived: its filament comes from the file now.
    const std::string end_type = record->status == "success" ? "print_complete" : "print_failed";
    record->filament_used_g = estimatedFilament(*record, end_type);
  }
  record->updated_at_ms = clock_ms_();
  store_.update(*record);
}

void ArchiveService::setFileReason(int64_t archive_id, const std::string& reason) {
  std::lock_guard<std::mutex> records(records_mutex_);
  auto record = store_.find(archive_id);
  if (!record) {
    return;
  }
  record->file_reason = reason.substr(0, 500);
  record->updated_at_ms = clock_ms_();
  store_.update(*record);
}

std::string ArchiveService::blob(const std::string& key) {
  auto stores = plugins_.instancesOfKind(BB_KIND_STORAGE);
  if (stores.empty()) {
    throw ArchiveError(503, "storage_unavailable", "no storage plugin is loaded");
  }
  auto data = stores.front()->storageGet(key);
  if (!data) {
    throw ArchiveError(404, "file_missing", "the archive's file is not in storage");
  }
  return *data;
}

std::optional<ArchiveService::BlobFile> ArchiveService::openBlob(const std::string& key) {
  auto stores = plugins_.instancesOfKind(BB_KIND_STORAGE);
  if (stores.empty()) {
    throw ArchiveError(503, "storage_unavailable", "no storage plugin is loaded");
  }
  std::optional<plugins::PluginInstance::OpenedBlob> opened;
  try {
    opened = stores.front()->storageOpenRead(key);
  } catch (const plugins::PluginCallError& e) {
    if (e.code() == BB_ERR_UNSUPPORTED) {
      return std::nullopt;
    }
    throw;
  }
  if (!opened) {
    throw ArchiveError(404, "file_missing", "the archive's file is not in storage");
  }
  return BlobFile{opened->fd, opened->size};
}

void ArchiveService::storagePut(const std::string& key, const std::string& bytes) {
  auto stores = plugins_.instancesOfKind(BB_KIND_STORAGE);
  if (stores.empty()) {
    throw ArchiveError(503, "storage_unavailable", "no storage plugin is loaded; uploads cannot be kept");
  }
  stores.front()->storagePut(key, bytes);
}

void ArchiveService::storageRemove(const std::string& key) {
  auto stores = plugins_.instancesOfKind(BB_KIND_STORAGE);
  if (stores.empty()) {
    return;
  }
  try {
    stores.front()->storageRemove(key);
  } catch (const std::exception& e) {
    logger_.warn(kComponent, "could not delete " + key + " from storage: " + e.what());
  }
}

} // namespace bambuddy::archives
