#include "queue/queue_service.h"

#include "archives/archive_service.h"
#include "common/logger.h"
#include "common/time.h"
#include "journal/event_journal.h"
#include "printers/printer_registry.h"
#include "printing/print_starter.h"

#include <algorithm>
#include <chrono>
#include <set>

namespace bambuddy::queue {

namespace {

constexpr const char* kComponent = "queue";

// A printer id or null; its type was checked by the route's body schema.
std::optional<int64_t> optionalId(const nlohmann::json& body, const char* key) {
  const nlohmann::json& v = body.at(key);
  return v.is_number_integer() ? std::optional<int64_t>(v.get<int64_t>()) : std::nullopt;
}

std::optional<int64_t> optionalTime(const nlohmann::json& body, const char* key) {
  const nlohmann::json& v = body.at(key);
  if (v.is_null()) {
    return std::nullopt;
  }
  // The schema checks the date-time format; the time must also be one this server reads as UTC.
  std::string why = "not a string";
  std::optional<int64_t> ms = v.is_string() ? parseUtcTimestamp(v.get<std::string>(), why) : std::nullopt;
  if (!ms) {
    throw QueueError(400, "invalid_" + std::string(key),
                     std::string(key) + ": " + why + "; a UTC timestamp like 2024-01-15T14:30:00Z, or null");
  }
  return ms;
}

// plate and the options of print/start, which a queue item carries for its print.
bool isPrintField(const std::string& key) {
  if (key == "plate") {
    return true;
  }
  for (const char* const* name = printing::startOptionNames(); *name != nullptr; ++name) {
    if (key == *name) {
      return true;
    }
  }
  return false;
}

} // namespace

QueueService::QueueService(QueueStore& store, archives::ArchiveService& archives,
                           printers::PrinterRegistry& printers, printing::PrintStarter& starter,
                           journal::EventJournal& journal, Logger& logger, std::function<int64_t()> clock_ms,
                           QueueOptions options)
    : store_(store), archives_(archives), printers_(printers), starter_(starter), journal_(journal),
      logger_(logger), clock_ms_(std::move(clock_ms)), options_(options) {}

void QueueService::announce(const std::string& type, int64_t printer_id, const nlohmann::json& data) {
  std::vector<journal::JournalEntry> entries(1);
  entries[0].type = type;
  entries[0].printer_id = printer_id;
  entries[0].timestamp_ms = clock_ms_();
  entries[0].payload_json = data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  try {
    journal_.append(entries);
  } catch (const std::exception& e) {
    logger_.error(kComponent, "could not record " + type + ": " + e.what());
  }
}

QueueService::~QueueService() {
  stop();
}

void QueueService::start() {
  std::lock_guard<std::mutex> lock(wake_mutex_);
  if (thread_.joinable()) {
    return;
  }
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void QueueService::stop() {
  {
    std::lock_guard<std::mutex> lock(wake_mutex_);
    stopping_ = true;
  }
  wake_cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void QueueService::wake() {
  {
    std::lock_guard<std::mutex> lock(wake_mutex_);
    wake_ = true;
  }
  wake_cv_.notify_all();
}

void QueueService::loop() {
  std::unique_lock<std::mutex> lock(wake_mutex_);
  while (!stopping_) {
    wake_cv_.wait_for(lock, std::chrono::milliseconds(options_.dispatch_interval_ms),
                      [this] { return wake_ || stopping_; });
    if (stopping_) {
      break;
    }
    wake_ = false;
    lock.unlock();
    try {
      dispatchOnce();
    } catch (const std::exception& e) {
      logger_.warn(kComponent, std::string("dispatch failed: ") + e.what());
    }
    lock.lock();
  }
}

nlohmann::json QueueService::toJson(const QueueItem& item) {
  auto time = [](const std::optional<int64_t>& ms) {
    return ms ? nlohmann::json(formatUtcSeconds(*ms)) : nlohmann::json(nullptr);
  };
  auto id = [](const std::optional<int64_t>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  nlohmann::json out = {{"id", item.id},
                        {"archive_id", item.archive_id},
                        {"printer_id", id(item.printer_id)},
                        {"position", item.position},
                        {"scheduled_at", time(item.scheduled_at_ms)},
                        {"status", item.status},
                        {"reason", item.reason ? nlohmann::json(*item.reason) : nlohmann::json(nullptr)},
                        {"assigned_printer_id", id(item.assigned_printer_id)},
                        {"print_archive_id", id(item.print_archive_id)},
                        {"started_at", time(item.started_at_ms)},
                        {"ended_at", time(item.ended_at_ms)},
                        {"created_at", formatUtcSeconds(item.created_at_ms)},
                        {"updated_at", formatUtcSeconds(item.updated_at_ms)},
                        {"plate", item.plate ? nlohmann::json(*item.plate) : nlohmann::json(nullptr)},
                        {"options", item.print_options}};
  try {
    archives::ArchiveRecord archive = archives_.get(item.archive_id);
    out["name"] = archive.name;
    out["filename"] = archive.filename ? nlohmann::json(*archive.filename) : nlohmann::json(nullptr);
    out["estimated_time"] =
        archive.estimated_time_s ? nlohmann::json(*archive.estimated_time_s) : nlohmann::json(nullptr);
  } catch (const archives::ArchiveError&) {
    out["name"] = nullptr; // the archive was deleted after the item was queued
    out["filename"] = nullptr;
    out["estimated_time"] = nullptr;
  }
  return out;
}

std::vector<QueueItem> QueueService::list(const std::optional<std::string>& status) {
  return store_.list(status);
}

QueueItem QueueService::get(int64_t id) {
  auto item = store_.find(id);
  if (!item) {
    throw QueueError(404, "not_found", "no queue item with id " + std::to_string(id));
  }
  return *item;
}

QueueItem QueueService::add(const nlohmann::json& body) {
  QueueItem item;
  item.archive_id = body["archive_id"].get<int64_t>();
  archives::ArchiveRecord archive;
  try {
    archive = archives_.get(item.archive_id);
  } catch (const archives::ArchiveError&) {
    throw QueueError(400, "invalid_archive_id",
                     "archive_id: no archive with id " + std::to_string(item.archive_id));
  }
  if (!archive.file_key) {
    throw QueueError(400, "invalid_archive_id",
                     "archive_id: archive " + std::to_string(item.archive_id) +
                         " has no stored file to print (upload a 3MF with POST /api/v1/archives)");
  }
  if (body.contains("printer_id")) {
    item.printer_id = optionalId(body, "printer_id");
    if (item.printer_id && !printers_.exists(*item.printer_id)) {
      throw QueueError(400, "invalid_printer_id",
                       "printer_id: no printer with id " + std::to_string(*item.printer_id));
    }
  }
  if (body.contains("scheduled_at")) {
    item.scheduled_at_ms = optionalTime(body, "scheduled_at");
  }
  item.plate = printing::parsePlate(body);
  if (item.plate) {
    printing::choosePlate(archive.metadata, item.plate); // 400 naming the plates the file has
  }
  item.print_options = printing::parseOptions(body);
  item.created_at_ms = item.updated_at_ms = clock_ms_();
  item = store_.insert(std::move(item));
  announce("queue_item_added", item.printer_id.value_or(0),
           nlohmann::json{
               {"queue_item_id", item.id},
               {"archive_id", item.archive_id},
               {"name", archive.name},
               {"filename", archive.filename.value_or("")},
               {"printer_id", item.printer_id ? nlohmann::json(*item.printer_id) : nlohmann::json(nullptr)},
               {"position", item.position},
               {"status", item.status}});
  wake();
  return item;
}

QueueItem QueueService::patch(int64_t id, const nlohmann::json& body) {
  std::lock_guard<std::mutex> lock(dispatch_mutex_);
  QueueItem item = get(id);
  bool print_fields = false;
  for (auto it = body.begin(); it != body.end(); ++it) {
    print_fields = print_fields || isPrintField(it.key());
  }
  if ((body.contains("printer_id") || body.contains("scheduled_at") || print_fields) &&
      item.status != "pending" && item.status != "skipped") {
    throw QueueError(409, "not_pending", "only waiting items can be changed; this one is " + item.status);
  }
  if (body.contains("printer_id")) {
    item.printer_id = optionalId(body, "printer_id");
    if (item.printer_id && !printers_.exists(*item.printer_id)) {
      throw QueueError(400, "invalid_printer_id",
                       "printer_id: no printer with id " + std::to_string(*item.printer_id));
    }
  }
  if (body.contains("scheduled_at")) {
    item.scheduled_at_ms = optionalTime(body, "scheduled_at");
  }
  if (body.contains("plate")) {
    item.plate = printing::parsePlate(body);
    if (item.plate) {
      try {
        printing::choosePlate(archives_.get(item.archive_id).metadata, item.plate);
      } catch (const archives::ArchiveError& e) {
        if (e.httpStatus() != 404) {
          throw;
        }
      }
    }
  }
  if (print_fields) {
    // Options are replaced as given: a key set to null goes back to the printer's default.
    nlohmann::json options = item.print_options;
    nlohmann::json given = printing::parseOptions(body);
    for (const char* const* name = printing::startOptionNames(); *name != nullptr; ++name) {
      if (body.contains(*name)) {
        options.erase(*name);
        if (given.contains(*name)) {
          options[*name] = given[*name];
        }
      }
    }
    item.print_options = options;
  }
  if (body.contains("status")) {
    std::string to = body["status"].get<std::string>(); // pending, skipped or cancelled (the schema)
    bool allowed = (to == "skipped" && item.status == "pending") ||
                   (to == "pending" && item.status != "printing") ||
                   (to == "cancelled" && (item.status == "pending" || item.status == "skipped"));
    if (!allowed) {
      throw QueueError(409, "invalid_transition",
                       "cannot change a " + item.status + " item to " + to +
                           (item.status == "printing" ? " (stop the print on the printer instead)" : ""));
    }
    if (to == "pending" && item.status != "pending") {
      item.assigned_printer_id.reset();
      item.print_archive_id.reset();
      item.started_at_ms.reset();
      item.ended_at_ms.reset();
      item.reason.reset();
    }
    if (to == "cancelled") {
      item.ended_at_ms = clock_ms_();
    }
    item.status = to;
  }
  item.updated_at_ms = clock_ms_();
  store_.update(item);
  wake();
  return item;
}

void QueueService::remove(int64_t id) {
  std::lock_guard<std::mutex> lock(dispatch_mutex_);
  QueueItem item = get(id);
  if (item.status == "printing") {
    throw QueueError(409, "printing", "this item is printing; stop the print first");
  }
  store_.remove(id);
}

std::vector<QueueItem> QueueService::reorder(const nlohmann::json& body) {
  std::lock_guard<std::mutex> lock(dispatch_mutex_);
  // {"order": [unique integer ids]}: the shape is the route's body schema's.
  std::vector<int64_t> ids;
  std::vector<QueueItem> pending = store_.list(std::string("pending"));
  for (std::size_t i = 0; i < body["order"].size(); ++i) {
    int64_t id = body["order"][i].get<int64_t>();
    if (std::none_of(pending.begin(), pending.end(), [&](const QueueItem& p) { return p.id == id; })) {
      throw QueueError(400, "invalid_order",
                       "order[" + std::to_string(i) + "]: " + std::to_string(id) +
                           " is not a pending queue item");
    }
    ids.push_back(id);
  }
  store_.reorder(ids);
  wake();
  return store_.list(std::nullopt);
}

void QueueService::setReason(QueueItem& item, const std::string& reason) {
  if (item.reason && *item.reason == reason) {
    return;
  }
  item.reason = reason;
  item.updated_at_ms = clock_ms_();
  store_.update(item);
}

void QueueService::dispatchOnce() {
  std::lock_guard<std::mutex> lock(dispatch_mutex_);
  const int64_t now = clock_ms_();
  std::vector<QueueItem> items = store_.list(std::nullopt);
  std::set<int64_t> busy; // printers already running a queue item or claimed in this pass
  for (QueueItem& item : items) {
    if (item.status != "printing" || !item.assigned_printer_id) {
      continue;
    }
    busy.insert(*item.assigned_printer_id);
    if (!item.print_archive_id && item.started_at_ms &&
        now - *item.started_at_ms > options_.start_timeout_ms) {
      item.status = "failed";
      item.ended_at_ms = now;
      item.reason = "the printer accepted the job but never started printing it";
      item.updated_at_ms = now;
      store_.update(item);
      busy.erase(*item.assigned_printer_id);
    }
  }

  for (QueueItem& item : items) {
    if (item.status != "pending") {
      continue;
    }
    if (item.scheduled_at_ms && *item.scheduled_at_ms > now) {
      setReason(item, "scheduled for " + formatUtcSeconds(*item.scheduled_at_ms));
      continue;
    }
    archives::ArchiveRecord archive;
    try {
      archive = archives_.get(item.archive_id);
    } catch (const archives::ArchiveError&) {
      item.status = "failed";
      item.reason = "archive " + std::to_string(item.archive_id) + " was deleted";
      item.ended_at_ms = item.updated_at_ms = now;
      store_.update(item);
      continue;
    }
    std::vector<int64_t> candidates =
        item.printer_id ? std::vector<int64_t>{*item.printer_id} : printers_.ids();
    std::string why;
    bool started = false;
    for (int64_t printer_id : candidates) {
      if (busy.count(printer_id) > 0) {
        why = item.printer_id
                  ? "waiting for printer " + std::to_string(printer_id) + " to finish its queued print"
                  : "waiting for an idle printer";
        continue;
      }
      nlohmann::json details;
      try {
        details = printers_.details(printer_id);
      } catch (const printers::PrinterError&) {
        why = "printer " + std::to_string(printer_id) + " no longer exists";
        continue;
      }
      const nlohmann::json& status = details["status"];
      const std::string name = details["name"].get<std::string>();
      if (details["capabilities"].value("start_print", false) != true) {
        std::string reason = details["capabilities"].value("reason_start_print", std::string());
        why = "printer '" + name + "' cannot start prints" + (reason.empty() ? "" : ": " + reason);
        continue;
      }
      if (status["connected"] != true) {
        why = "printer '" + name + "' is not connected";
        continue;
      }
      const std::string state = status["state"].get<std::string>();
      if (state != "idle" && state != "finished") {
        why = "waiting for printer '" + name + "' (now " + state + ")";
        continue;
      }
      if (status.value("awaiting_plate_clear", false) == true) {
        why = "waiting for someone to confirm the bed of printer '" + name +
              "' is clear (POST /api/v1/printers/" + std::to_string(printer_id) + "/plate-cleared)";
        continue;
      }
      printing::StartRequest request;
      request.archive_id = archive.id;
      request.plate = item.plate;
      request.options = item.print_options;
      try {
        starter_.start(printer_id, request, item.id, nullptr, 0);
      } catch (const ServiceError& e) {
        why = "printer '" + name + "' refused the job: " + e.what();
        continue;
      }
      item.status = "printing";
      item.assigned_printer_id = printer_id;
      item.started_at_ms = now;
      item.reason.reset();
      item.updated_at_ms = now;
      store_.update(item);
      busy.insert(printer_id);
      started = true;
      logger_.info(kComponent, "queue item " + std::to_string(item.id) + " started on printer " +
                                   std::to_string(printer_id));
      announce("queue_item_started", printer_id,
               nlohmann::json{{"queue_item_id", item.id},
                              {"archive_id", archive.id},
                              {"name", archive.name},
                              {"filename", archive.filename.value_or("")},
                              {"printer_id", printer_id},
                              {"printer", name},
                              {"status", "printing"}});
      break;
    }
    if (!started) {
      setReason(item, why.empty() ? "no printer to print on" : why);
    }
  }
}

void QueueService::onPrintEvent(const std::string& type, const archives::ArchiveRecord& archive) {
  if (!archive.queue_item_id) {
    return;
  }
  {
    // The dispatcher holds this only for a pass (a start included): the journal waits that long.
    std::lock_guard<std::mutex> lock(dispatch_mutex_);
    auto item = store_.find(*archive.queue_item_id);
    if (!item || item->status != "printing") {
      return; // not ours any more, or handled before (a repeat after a restart)
    }
    const int64_t now = clock_ms_();
    if (type == "print_started") {
      item->print_archive_id = archive.id;
    } else if (type == "print_complete" || type == "print_failed" || type == "print_cancelled") {
      item->status = archive.status == "success"  ? "completed"
                     : archive.status == "failed" ? "failed"
                                                  : "cancelled";
      item->ended_at_ms = now;
      if (archive.status == "failed") {
        const std::string error =
            archive.error.is_object() ? archive.error.value("message", std::string()) : std::string();
        item->reason = error.empty() ? std::string("the print failed") : error;
      }
    } else {
      return;
    }
    item->updated_at_ms = now;
    store_.update(*item);
  }
  if (type != "print_started") {
    wake(); // the printer may take the next item
  }
}

} // namespace bambuddy::queue
