#include "auth/audit_log.h"

#include "auth/address_bucket.h"

#include "bus/event_bus.h"
#include "common/logger.h"
#include "common/time.h"
#include "storage/database.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace bambuddy::auth {

namespace {

constexpr const char* kComponent = "audit";
constexpr std::size_t kBatchRows = 256;
constexpr int64_t kTrimEveryMs = 60 * 60 * 1000;
constexpr int64_t kDropLogEveryMs = 60 * 1000;
constexpr int64_t kMinuteMs = 60 * 1000;
constexpr std::size_t kMaxReasonsPerTally = 16;
constexpr std::size_t kMaxField = 512; // longer text (paths, reasons) is cut: rows stay small

std::string clip(std::string text) {
  if (text.size() > kMaxField) {
    text.resize(kMaxField);
  }
  return text;
}

// Only a key's display prefix may be stored, whatever a caller hands in.
std::string safePrefix(const std::string& prefix) {
  return prefix.substr(0, 8);
}

soci::indicator nullIfEmpty(const std::string& text) {
  return text.empty() ? soci::i_null : soci::i_ok;
}

} // namespace

bool isAuditKind(std::string_view kind) {
  return std::find(std::begin(kAuditKinds), std::end(kAuditKinds), kind) != std::end(kAuditKinds);
}

AuditLog::AuditLog(storage::Database& db, bus::EventBus& bus, Logger& logger, int64_t retention_ms,
                   std::size_t queue_capacity)
    : db_(db), bus_(bus), logger_(logger), retention_ms_(retention_ms),
      queue_capacity_(std::max<std::size_t>(1, queue_capacity)) {
  if (retention_ms < 1) {
    throw std::invalid_argument("audit retention must be positive");
  }
  writer_ = std::thread([this] { writerLoop(); });
  subscription_ = bus_.subscribe(
      "audit_event", [this](const bus::Event& event) { onBusEvent(event.payload_json); }, this);
}

AuditLog::~AuditLog() {
  bus_.unsubscribe(subscription_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_cv_.notify_all();
  writer_.join();
}

void AuditLog::noteDrop(bool& log_drop, uint64_t& dropped_now) {
  ++dropped_;
  ++dropped_since_log_;
  const int64_t now = monotonicMs();
  if (last_drop_log_ms_ == 0 || now - last_drop_log_ms_ >= kDropLogEveryMs) {
    log_drop = true;
    dropped_now = dropped_since_log_;
    dropped_since_log_ = 0;
    last_drop_log_ms_ = now;
  }
}

void AuditLog::record(AuditEntry entry) {
  if (!isAuditKind(entry.kind)) {
    logger_.warn(kComponent, "ignoring audit entry of unknown kind '" + clip(entry.kind) + "'");
    return;
  }
  if (entry.at_ms == 0) {
    entry.at_ms = nowUtcMs();
  }
  entry.key_prefix = safePrefix(entry.key_prefix);
  const bool failure = entry.kind == "auth_failed";
  bool log_drop = false;
  uint64_t dropped_now = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) {
      noteDrop(log_drop, dropped_now);
    } else if (failure) {
      if (!tallyFailure(entry)) {
        noteDrop(log_drop, dropped_now);
      }
    } else if (queue_.size() >= queue_capacity_) {
      noteDrop(log_drop, dropped_now);
    } else {
      queue_.push_back(std::move(entry));
    }
  }
  if (log_drop) {
    logger_.warn(kComponent, "audit queue full: dropped " + std::to_string(dropped_now) + " entr" +
                                 (dropped_now == 1 ? "y" : "ies") + " since the last warning");
    return;
  }
  wake_cv_.notify_one();
}

bool AuditLog::tallyFailure(AuditEntry& entry) {
  const int64_t minute = entry.at_ms / kMinuteMs;
  newest_failure_minute_ = std::max(newest_failure_minute_, minute);
  const std::string bucket = addressBucket(entry.client_ip);
  std::string key = bucket;
  key.append("\x1f").append(std::to_string(minute));
  auto it = tallies_.find(key);
  if (it == tallies_.end()) {
    if (tallies_.size() >= kMaxFailureTallies) {
      pruneTallies(false); // finished minutes make room
      if (tallies_.size() >= kMaxFailureTallies) {
        return false;
      }
    }
    FailureTally tally;
    tally.minute = minute;
    tally.first = std::move(entry);
    tally.first.detail_json.clear();
    if (bucket.find('/') != std::string::npos) {
      tally.network = bucket;
    }
    it = tallies_.emplace(std::move(key), std::move(tally)).first;
  }
  FailureTally& tally = it->second;
  if (tally.count == tally.stored_count) {
    dirty_keys_.push_back(it->first);
  }
  const AuditEntry& source = tally.count == 0 ? tally.first : entry;
  const std::string reason = source.reason.empty() ? std::string("unknown") : clip(source.reason);
  auto r = std::find_if(tally.reasons.begin(), tally.reasons.end(),
                        [&reason](const auto& pair) { return pair.first == reason; });
  if (r != tally.reasons.end()) {
    ++r->second;
  } else if (tally.reasons.size() < kMaxReasonsPerTally) {
    tally.reasons.emplace_back(reason, 1);
  } else {
    tally.reasons.back().second += 1; // the last slot absorbs the rest
  }
  ++tally.count;
  if (source.throttled) {
    ++tally.throttled;
  }
  tallies_dirty_ = true;
  return true;
}

std::vector<AuditLog::TallyWrite> AuditLog::takeDirtyTallies() {
  std::vector<TallyWrite> writes;
  while (!dirty_keys_.empty() && writes.size() < kBatchRows) {
    std::string key = std::move(dirty_keys_.back());
    dirty_keys_.pop_back();
    auto it = tallies_.find(key);
    if (it == tallies_.end() || it->second.count == it->second.stored_count) {
      continue;
    }
    const FailureTally& tally = it->second;
    TallyWrite w;
    w.key = std::move(key);
    w.first = tally.first;
    w.count = tally.count;
    w.stored_before = tally.stored_count;
    w.throttled = tally.throttled;
    w.reasons = tally.reasons;
    w.network = tally.network;
    w.row_id = tally.row_id;
    writes.push_back(std::move(w));
  }
  tallies_dirty_ = !dirty_keys_.empty();
  return writes;
}

void AuditLog::settleTallies(const std::vector<TallyWrite>& writes) {
  for (const TallyWrite& w : writes) {
    auto it = tallies_.find(w.key);
    if (it != tallies_.end()) {
      it->second.stored_count = w.count;
      if (w.row_id != 0) {
        it->second.row_id = w.row_id;
      }
      if (it->second.count != it->second.stored_count) {
        // More arrived while this was written (record() saw it in flight and did not list it).
        dirty_keys_.push_back(it->first);
        tallies_dirty_ = true;
      }
    }
  }
  pruneTallies(tallies_.size() >= kMaxFailureTallies);
}

void AuditLog::pruneTallies(bool force) {
  // A minute before the newest one seen takes no more failures: once stored, it is forgotten.
  // Scanned when a new minute began (or, from the writer, when the table is full).
  if (newest_failure_minute_ == pruned_minute_ && !force) {
    return;
  }
  pruned_minute_ = newest_failure_minute_;
  for (auto it = tallies_.begin(); it != tallies_.end();) {
    if (it->second.minute < newest_failure_minute_ && it->second.stored_count == it->second.count) {
      it = tallies_.erase(it);
    } else {
      ++it;
    }
  }
}

void AuditLog::onBusEvent(const std::string& payload_json) {
  nlohmann::json p = nlohmann::json::parse(payload_json, nullptr, false);
  if (!p.is_object()) {
    logger_.warn(kComponent, "audit_event payload is not a JSON object; ignored");
    return;
  }
  auto text = [&p](const char* key) {
    auto it = p.find(key);
    return it != p.end() && it->is_string() ? clip(it->get<std::string>()) : std::string();
  };
  AuditEntry entry;
  entry.kind = text("kind");
  if (entry.kind.rfind("key_", 0) != 0 || !isAuditKind(entry.kind)) {
    logger_.warn(kComponent, "audit_event of kind '" + entry.kind +
                                 "' ignored: plugins may record key_created, key_changed, key_rotated "
                                 "and key_deleted only");
    return;
  }
  entry.principal_id = text("principal_id");
  entry.principal_name = text("principal_name");
  entry.key_prefix = text("key_prefix");
  entry.client_ip = text("client_ip");
  entry.path = text("path");
  entry.reason = text("reason");
  auto detail = p.find("detail");
  if (detail != p.end() && detail->is_object()) {
    entry.detail_json = clip(detail->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    if (!nlohmann::json::accept(entry.detail_json)) {
      entry.detail_json = "{\"truncated\":true}";
    }
  }
  record(std::move(entry));
}

void AuditLog::writerLoop() {
  int64_t next_trim_ms = 0; // trim at once, then hourly
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    const int64_t now = monotonicMs();
    if (now >= next_trim_ms) {
      lock.unlock();
      try {
        trim(nowUtcMs());
      } catch (const std::exception& e) {
        logger_.error(kComponent, std::string("trimming the audit log failed: ") + e.what());
      }
      next_trim_ms = now + kTrimEveryMs;
      lock.lock();
      if (!trimmed_once_) {
        trimmed_once_ = true;
        if (queue_.empty() && !tallies_dirty_) {
          idle_cv_.notify_all();
        }
      }
    }
    wake_cv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(1, next_trim_ms - monotonicMs())),
                      [this] { return stopping_ || !queue_.empty() || tallies_dirty_; });
    if (queue_.empty() && !tallies_dirty_) {
      if (stopping_) {
        return;
      }
      continue;
    }
    std::vector<AuditEntry> batch;
    const std::size_t take = std::min(queue_.size(), kBatchRows);
    batch.reserve(take);
    for (std::size_t i = 0; i < take; ++i) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    std::vector<TallyWrite> tallies = takeDirtyTallies();
    writing_ = true;
    lock.unlock();
    if (!batch.empty()) {
      store(batch);
    }
    if (!tallies.empty()) {
      storeTallies(tallies);
    }
    lock.lock();
    settleTallies(tallies);
    writing_ = false;
    if (queue_.empty() && !tallies_dirty_) {
      idle_cv_.notify_all();
    }
  }
}

void AuditLog::storeTallies(std::vector<TallyWrite>& writes) {
  uint64_t failures = 0;
  for (const TallyWrite& w : writes) {
    failures += w.count - w.stored_before;
  }
  std::vector<bool> inserted(writes.size(), false);
  std::vector<std::string> details;
  details.reserve(writes.size());
  for (const TallyWrite& w : writes) {
    nlohmann::ordered_json detail = nlohmann::ordered_json::object();
    detail["count"] = w.count;
    nlohmann::ordered_json reasons = nlohmann::ordered_json::object();
    for (const auto& [reason, n] : w.reasons) {
      reasons[reason] = n;
    }
    detail["reasons"] = std::move(reasons);
    if (w.throttled > 0) {
      detail["throttled"] = w.throttled;
    }
    detail["window_s"] = 60;
    if (!w.network.empty()) {
      detail["network"] = w.network;
    }
    details.push_back(detail.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
  }
  try {
    db_.write([&](soci::session& session) {
      for (std::size_t i = 0; i < writes.size(); ++i) {
        TallyWrite& w = writes[i];
        if (w.row_id != 0) {
          long long id = w.row_id;
          session << "UPDATE audit_log SET detail = :detail WHERE id = :id", soci::use(details[i]),
              soci::use(id);
          continue;
        }
        AuditEntry& e = w.first;
        const std::string at = formatUtcMs(e.at_ms);
        const long long at_ms = e.at_ms;
        std::string client_ip = clip(e.client_ip), method = clip(e.method), path = clip(e.path),
                    reason = clip(e.reason);
        soci::indicator i_prefix = nullIfEmpty(e.key_prefix), i_ip = nullIfEmpty(client_ip),
                        i_method = nullIfEmpty(method), i_path = nullIfEmpty(path),
                        i_reason = nullIfEmpty(reason);
        long long id = 0;
        // RETURNING: the row's id on SQLite (3.35+) and PostgreSQL alike.
        session << "INSERT INTO audit_log (at, at_ms, kind, key_prefix, client_ip, method, path, reason, "
                   "detail) VALUES (:at, :at_ms, :kind, :prefix, :ip, :method, :path, :reason, :detail) "
                   "RETURNING id",
            soci::use(at), soci::use(at_ms), soci::use(e.kind), soci::use(e.key_prefix, i_prefix),
            soci::use(client_ip, i_ip), soci::use(method, i_method), soci::use(path, i_path),
            soci::use(reason, i_reason), soci::use(details[i]), soci::into(id);
        w.row_id = id;
        inserted[i] = true;
      }
    });
  } catch (const std::exception& e) {
    // Lost like a failed batch: the rows inserted in the rolled-back transaction do not exist.
    for (std::size_t i = 0; i < writes.size(); ++i) {
      if (inserted[i]) {
        writes[i].row_id = 0;
      }
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      dropped_ += failures;
    }
    logger_.error(kComponent, "could not store " + std::to_string(writes.size()) +
                                  " aggregated authentication failure rows: " + e.what());
    return;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  recorded_ += failures;
}

void AuditLog::store(std::vector<AuditEntry>& batch) {
  try {
    db_.write([&](soci::session& session) {
      for (AuditEntry& e : batch) {
        const std::string at = formatUtcMs(e.at_ms);
        const long long at_ms = e.at_ms;
        std::string principal_id = clip(e.principal_id), principal_name = clip(e.principal_name),
                    client_ip = clip(e.client_ip), method = clip(e.method), path = clip(e.path),
                    reason = clip(e.reason);
        soci::indicator i_pid = nullIfEmpty(principal_id), i_pname = nullIfEmpty(principal_name),
                        i_prefix = nullIfEmpty(e.key_prefix), i_ip = nullIfEmpty(client_ip),
                        i_method = nullIfEmpty(method), i_path = nullIfEmpty(path),
                        i_reason = nullIfEmpty(reason), i_detail = nullIfEmpty(e.detail_json);
        session << "INSERT INTO audit_log (at, at_ms, kind, principal_id, principal_name, key_prefix, "
                   "client_ip, method, path, reason, detail) VALUES (:at, :at_ms, :kind, :pid, :pname, "
                   ":prefix, :ip, :method, :path, :reason, :detail)",
            soci::use(at), soci::use(at_ms), soci::use(e.kind), soci::use(principal_id, i_pid),
            soci::use(principal_name, i_pname), soci::use(e.key_prefix, i_prefix), soci::use(client_ip, i_ip),
            soci::use(method, i_method), soci::use(path, i_path), soci::use(reason, i_reason),
            soci::use(e.detail_json, i_detail);
      }
    });
    std::lock_guard<std::mutex> lock(mutex_);
    recorded_ += batch.size();
  } catch (const std::exception& e) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      dropped_ += batch.size();
    }
    logger_.error(kComponent,
                  "could not store " + std::to_string(batch.size()) + " audit entries: " + e.what());
  }
}

AuditPage AuditLog::list(const AuditFilter& filter) const {
  std::string where = " WHERE 1=1";
  long long since = filter.since_ms.value_or(0), until = filter.until_ms.value_or(0);
  if (filter.kind) {
    where += " AND kind = :kind";
  }
  if (filter.since_ms) {
    where += " AND at_ms >= :since";
  }
  if (filter.until_ms) {
    where += " AND at_ms < :until";
  }
  if (filter.principal_id) {
    where += " AND principal_id = :pid";
  }
  if (filter.client_ip) {
    where += " AND client_ip = :ip";
  }
  // Binds the filter values in the order their placeholders appear.
  auto bindFilters = [&](soci::statement& st) {
    if (filter.kind) {
      st.exchange(soci::use(*filter.kind));
    }
    if (filter.since_ms) {
      st.exchange(soci::use(since));
    }
    if (filter.until_ms) {
      st.exchange(soci::use(until));
    }
    if (filter.principal_id) {
      st.exchange(soci::use(*filter.principal_id));
    }
    if (filter.client_ip) {
      st.exchange(soci::use(*filter.client_ip));
    }
  };

  AuditPage page;
  db_.read([&](soci::session& session) {
    long long total = 0;
    {
      soci::statement st(session);
      st.exchange(soci::into(total));
      bindFilters(st);
      st.alloc();
      st.prepare("SELECT COUNT(*) FROM audit_log" + where);
      st.define_and_bind();
      st.execute(true);
    }
    page.total = total;

    long long id = 0, at_ms = 0;
    std::string kind, pid, pname, prefix, ip, method, path, reason, detail;
    soci::indicator i_pid, i_pname, i_prefix, i_ip, i_method, i_path, i_reason, i_detail;
    soci::statement st(session);
    st.exchange(soci::into(id));
    st.exchange(soci::into(at_ms));
    st.exchange(soci::into(kind));
    st.exchange(soci::into(pid, i_pid));
    st.exchange(soci::into(pname, i_pname));
    st.exchange(soci::into(prefix, i_prefix));
    st.exchange(soci::into(ip, i_ip));
    st.exchange(soci::into(method, i_method));
    st.exchange(soci::into(path, i_path));
    st.exchange(soci::into(reason, i_reason));
    st.exchange(soci::into(detail, i_detail));
    bindFilters(st);
    st.alloc();
    st.prepare("SELECT id, at_ms, kind, principal_id, principal_name, key_prefix, client_ip, method, path, "
               "reason, detail FROM audit_log" +
               where + " ORDER BY at_ms DESC, id DESC LIMIT " + std::to_string(filter.limit) + " OFFSET " +
               std::to_string(filter.offset));
    st.define_and_bind();
    st.execute();
    auto value = [](const std::string& text, soci::indicator ind) {
      return ind == soci::i_ok ? text : std::string();
    };
    while (st.fetch()) {
      AuditEntry e;
      e.id = id;
      e.at_ms = at_ms;
      e.kind = kind;
      e.principal_id = value(pid, i_pid);
      e.principal_name = value(pname, i_pname);
      e.key_prefix = value(prefix, i_prefix);
      e.client_ip = value(ip, i_ip);
      e.method = value(method, i_method);
      e.path = value(path, i_path);
      e.reason = value(reason, i_reason);
      e.detail_json = value(detail, i_detail);
      page.items.push_back(std::move(e));
    }
  });
  return page;
}

std::size_t AuditLog::trim(int64_t now_ms) {
  const long long cutoff = now_ms - retention_ms_;
  const std::size_t removed = db_.write([&](soci::session& session) {
    soci::statement st =
        (session.prepare << "DELETE FROM audit_log WHERE at_ms < :cutoff", soci::use(cutoff));
    st.execute(true);
    return static_cast<std::size_t>(st.get_affected_rows());
  });
  if (removed > 0) {
    logger_.info(kComponent, "trimmed " + std::to_string(removed) + " audit entries older than " +
                                 formatUtcSeconds(cutoff));
  }
  return removed;
}

bool AuditLog::flush(int64_t timeout_ms) {
  std::unique_lock<std::mutex> lock(mutex_);
  wake_cv_.notify_one();
  return idle_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [this] {
    return trimmed_once_ && queue_.empty() && !writing_ && !tallies_dirty_;
  });
}

AuditStats AuditLog::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return AuditStats{recorded_, dropped_};
}

} // namespace bambuddy::auth
