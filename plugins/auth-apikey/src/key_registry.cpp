#include "key_registry.h"

#include <bambuddy/cidr.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>

namespace bambuddy::auth_apikey {
namespace {

constexpr std::string_view kMetaKey = "meta";
// 1: the first documents; 2: every key document carries printer_ids (null = every printer).
constexpr int64_t kSchemaVersion = 2;

std::optional<int64_t> idFromKvKey(std::string_view key) {
  constexpr std::string_view kPrefix = "key/";
  if (key.substr(0, kPrefix.size()) != kPrefix || key.size() == kPrefix.size() || key.size() > 22) {
    return std::nullopt;
  }
  int64_t id = 0;
  for (char c : key.substr(kPrefix.size())) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    id = id * 10 + (c - '0');
  }
  return id;
}

std::vector<sdk::Cidr> parseRanges(const std::vector<std::string>& texts) {
  std::vector<sdk::Cidr> out;
  for (const std::string& t : texts) {
    if (auto c = sdk::Cidr::parse(t)) {
      out.push_back(*c);
    }
  }
  return out;
}

// An admin key can mint itself an unlimited key, so a printer list on it would be a false promise.
void requireUnlimitedAdmin(const KeyRecord& r) {
  if ((r.permissions & BB_PERM_ADMIN) != 0 && r.printer_ids) {
    throw sdk::Error(
        BB_ERR_INVALID_ARGUMENT, "invalid_printer_ids",
        "an admin key sees every printer: printer_ids must be null when permissions include admin");
  }
}

} // namespace

static_assert(kMaxPrinterIds == BB_MAX_PRINCIPAL_PRINTERS, "a key's printer list must fit in a principal");

// The parsed allow-list lives beside the record so the hot path never parses CIDR text.
struct KeyRegistry::Ranges {
  std::vector<sdk::Cidr> cidrs;
};

KeyRegistry::Entry::Entry(KeyRecord r) : record(std::move(r)) {
  principal_id = "key:" + std::to_string(record.id);
  request_count = record.request_count;
  persisted_count = record.request_count;
  last_used_ms = record.last_used_at_ms.value_or(-1);
  sdk::detail::copyText(last_ip, sizeof last_ip, record.last_used_ip);
  ranges = std::make_shared<Ranges>(Ranges{parseRanges(record.allowed_ips)});
}

KeyRegistry::KeyRegistry(sdk::Host host) : host_(std::move(host)) {
  int64_t max_id = 0;
  for (const auto& [kv_key, doc] : host_.kvScan("key/")) {
    auto id = idFromKvKey(kv_key);
    try {
      if (!id) {
        throw std::runtime_error("unexpected document name");
      }
      KeyRecord record = recordFromDocument(doc);
      if (record.id != *id) {
        throw std::runtime_error("id does not match the document name");
      }
      auto entry = std::make_shared<Entry>(std::move(record));
      if (by_digest_.count(entry->record.digest) != 0) {
        throw std::runtime_error("duplicate digest");
      }
      by_digest_.emplace(entry->record.digest, entry);
      if (entry->record.previous_digest && by_digest_.count(*entry->record.previous_digest) == 0) {
        by_digest_.emplace(*entry->record.previous_digest, entry);
      }
      by_id_.emplace(*id, entry);
      max_id = std::max(max_id, *id);
    } catch (const std::exception& e) {
      // Never echo the document: it is ours, but a damaged one could hold anything.
      host_.warn("skipping unreadable API key document '" + kv_key.substr(0, 40) + "': " + e.what());
    }
  }
  next_id_ = max_id + 1;
  int64_t schema = 1;
  if (auto meta = host_.kvGet(kMetaKey)) {
    auto doc = nlohmann::json::parse(*meta, nullptr, false);
    if (doc.is_object() && doc.contains("next_id") && doc["next_id"].is_number_integer()) {
      next_id_ = std::max(next_id_, doc["next_id"].get<int64_t>());
    }
    if (doc.is_object() && doc.contains("schema") && doc["schema"].is_number_integer()) {
      schema = doc["schema"].get<int64_t>();
    }
  } else if (by_id_.empty()) {
    schema = kSchemaVersion; // a new store: nothing to migrate
  }
  if (schema < kSchemaVersion) {
    migrate(schema);
  }
}

void KeyRegistry::reload() {
  std::lock_guard<std::mutex> mutation(mutation_mutex_);
  std::map<int64_t, KeyRecord> stored;
  for (const auto& [kv_key, doc] : host_.kvScan("key/")) {
    const auto id = idFromKvKey(kv_key);
    if (!id) {
      continue;
    }
    try {
      KeyRecord record = recordFromDocument(doc);
      if (record.id == *id) {
        stored.emplace(*id, std::move(record));
      }
    } catch (const std::exception& e) {
      host_.warn("skipping unreadable API key document '" + kv_key.substr(0, 40) + "': " + e.what());
    }
  }
  int64_t next_id = next_id_;
  if (auto meta = host_.kvGet(kMetaKey)) {
    auto doc = nlohmann::json::parse(*meta, nullptr, false);
    if (doc.is_object() && doc.contains("next_id") && doc["next_id"].is_number_integer()) {
      next_id = std::max(next_id, doc["next_id"].get<int64_t>());
    }
  }
  {
    std::unique_lock<std::shared_mutex> lock(index_mutex_);
    for (auto it = by_id_.begin(); it != by_id_.end();) {
      if (stored.count(it->first) != 0) {
        ++it;
        continue;
      }
      by_digest_.erase(it->second->record.digest);
      if (it->second->record.previous_digest) {
        by_digest_.erase(*it->second->record.previous_digest);
      }
      it = by_id_.erase(it);
    }
  }
  for (auto& [id, record] : stored) {
    next_id = std::max(next_id, id + 1);
    std::shared_ptr<Entry> existing;
    {
      std::shared_lock<std::shared_mutex> lock(index_mutex_);
      auto it = by_id_.find(id);
      if (it != by_id_.end()) {
        existing = it->second;
      }
    }
    if (existing) {
      record.request_count = existing->persisted_count; // this instance's count goes on from its own
      reindex(existing, std::move(record));
      continue;
    }
    auto entry = std::make_shared<Entry>(record);
    std::unique_lock<std::shared_mutex> lock(index_mutex_);
    by_digest_[entry->record.digest] = entry;
    if (entry->record.previous_digest) {
      by_digest_[*entry->record.previous_digest] = entry;
    }
    by_id_[id] = entry;
  }
  next_id_ = next_id;
}

void KeyRegistry::migrate(int64_t from_schema) {
  // Schema 1 -> 2: write printer_ids: null (every printer, as before) into every document. Reading
  // already treats an absent field that way, so a failed write leaves the keys working and the
  // migration is tried again at the next start.
  try {
    for (const auto& [id, e] : by_id_) {
      persist(e->record);
    }
    persistMeta(next_id_);
    host_.info("API key store migrated from schema " + std::to_string(from_schema) + " to " +
               std::to_string(kSchemaVersion) + " (" + std::to_string(by_id_.size()) + " key(s))");
  } catch (const std::exception& e) {
    host_.warn(std::string("API key store migration to schema ") + std::to_string(kSchemaVersion) +
               " not finished, will retry at the next start: " + e.what());
  }
}

KeyCheck KeyRegistry::check(const Digest& digest, std::string_view client_ip, int64_t now_ms,
                            sdk::Principal& out) {
  std::shared_lock<std::shared_mutex> lock(index_mutex_);
  auto it = by_digest_.find(digest);
  if (it == by_digest_.end()) {
    return KeyCheck::Unknown;
  }
  Entry& e = *it->second;
  const KeyRecord& r = e.record;
  if (!digestEquals(r.digest, digest)) {
    // The key's previous secret: valid only during the rotation's grace period.
    if (!r.previous_digest || !digestEquals(*r.previous_digest, digest) ||
        now_ms >= r.previous_valid_until_ms) {
      return KeyCheck::Unknown;
    }
  }
  if (!r.enabled) {
    return KeyCheck::Disabled;
  }
  if (r.expires_at_ms && now_ms >= *r.expires_at_ms) {
    return KeyCheck::Expired;
  }
  if (!e.ranges->cidrs.empty()) {
    bool allowed = false;
    for (const sdk::Cidr& c : e.ranges->cidrs) {
      if (c.contains(client_ip)) {
        allowed = true;
        break;
      }
    }
    if (!allowed) {
      return KeyCheck::IpNotAllowed;
    }
  }
  e.request_count.fetch_add(1, std::memory_order_relaxed);
  e.last_used_ms.store(now_ms, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> ip_lock(e.ip_mutex);
    sdk::detail::copyText(e.last_ip, sizeof e.last_ip, client_ip);
  }
  out.id = e.principal_id;
  out.display_name = r.name;
  out.permissions = r.permissions;
  out.rate_limit_read = r.rate_limits.read;
  out.rate_limit_write = r.rate_limits.write;
  out.rate_limit_control = r.rate_limits.control;
  if (r.printer_ids) {
    out.printer_ids = *r.printer_ids; // never empty: empty would mean every printer
  } else {
    out.printer_ids.clear();
  }
  return KeyCheck::Ok;
}

KeyRecord KeyRegistry::snapshot(const Entry& e, int64_t now_ms) const {
  KeyRecord r = e.record;
  r.request_count = e.request_count.load(std::memory_order_relaxed);
  int64_t last = e.last_used_ms.load(std::memory_order_relaxed);
  r.last_used_at_ms = last >= 0 ? std::optional<int64_t>(last) : std::nullopt;
  {
    std::lock_guard<std::mutex> ip_lock(e.ip_mutex);
    r.last_used_ip = e.last_ip;
  }
  if (r.previous_digest && now_ms >= r.previous_valid_until_ms) {
    r.previous_digest.reset(); // the grace period is over
    r.previous_valid_until_ms = 0;
  }
  return r;
}

std::vector<KeyRecord> KeyRegistry::list(int64_t now_ms) const {
  std::shared_lock<std::shared_mutex> lock(index_mutex_);
  std::vector<KeyRecord> out;
  out.reserve(by_id_.size());
  for (const auto& [id, e] : by_id_) {
    out.push_back(snapshot(*e, now_ms));
  }
  return out;
}

std::optional<KeyRecord> KeyRegistry::get(int64_t id, int64_t now_ms) const {
  std::shared_lock<std::shared_mutex> lock(index_mutex_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) {
    return std::nullopt;
  }
  return snapshot(*it->second, now_ms);
}

std::optional<KeyRecord> KeyRegistry::findByDigest(const Digest& digest, int64_t now_ms) const {
  std::shared_lock<std::shared_mutex> lock(index_mutex_);
  auto it = by_digest_.find(digest);
  if (it == by_digest_.end() || !digestEquals(it->second->record.digest, digest)) {
    return std::nullopt;
  }
  return snapshot(*it->second, now_ms);
}

bool KeyRegistry::hasUsableAdmin(int64_t now_ms) const {
  std::shared_lock<std::shared_mutex> lock(index_mutex_);
  for (const auto& [id, e] : by_id_) {
    const KeyRecord& r = e->record;
    if (r.enabled && (r.permissions & BB_PERM_ADMIN) != 0 &&
        (!r.expires_at_ms || now_ms < *r.expires_at_ms)) {
      return true;
    }
  }
  return false;
}

size_t KeyRegistry::size() const {
  std::shared_lock<std::shared_mutex> lock(index_mutex_);
  return by_id_.size();
}

void KeyRegistry::persist(const KeyRecord& record) const {
  host_.kvPut(recordKvKey(record.id), storedDocument(record));
}

void KeyRegistry::persistMeta(int64_t next_id) const {
  host_.kvPut(kMetaKey, nlohmann::json{{"next_id", next_id}, {"schema", kSchemaVersion}}.dump());
}

std::shared_ptr<KeyRegistry::Entry> KeyRegistry::entryOrThrow(int64_t id) const {
  std::shared_lock<std::shared_mutex> lock(index_mutex_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) {
    throw sdk::Error(BB_ERR_NOT_FOUND, "not_found", "API key " + std::to_string(id) + " not found");
  }
  return it->second;
}

void KeyRegistry::reindex(const std::shared_ptr<Entry>& e, KeyRecord updated) {
  // Caller holds mutation_mutex_; the exclusive lock makes the switch atomic for readers.
  auto ranges = std::make_shared<Ranges>(Ranges{parseRanges(updated.allowed_ips)});
  std::unique_lock<std::shared_mutex> lock(index_mutex_);
  const KeyRecord& old = e->record;
  by_digest_.erase(old.digest);
  if (old.previous_digest) {
    by_digest_.erase(*old.previous_digest);
  }
  by_digest_[updated.digest] = e;
  if (updated.previous_digest) {
    by_digest_[*updated.previous_digest] = e;
  }
  e->persisted_count = updated.request_count;
  e->record = std::move(updated);
  e->ranges = std::move(ranges);
}

KeyRecord KeyRegistry::insertNew(const std::string& key, KeyRecord record) {
  // Caller holds mutation_mutex_.
  record.digest = digestOf(key);
  record.prefix = key.substr(0, kDisplayPrefixLength);
  record.last4 = key.substr(key.size() - kLast4Length);
  {
    std::shared_lock<std::shared_mutex> lock(index_mutex_);
    if (by_digest_.count(record.digest) != 0) {
      throw sdk::Error(BB_ERR_CONFLICT, "duplicate_key", "an API key with the same secret already exists");
    }
  }
  // Several server instances share the store: another may have numbered a key since this one last
  // reloaded, so the stored counter and the stored keys have the last word. (Two instances creating
  // a key within the same few milliseconds could still pick one id: the kv calls have no
  // compare-and-set. Documented in docs/scaling.md.)
  int64_t id = next_id_;
  if (auto meta = host_.kvGet(kMetaKey)) {
    auto doc = nlohmann::json::parse(*meta, nullptr, false);
    if (doc.is_object() && doc.contains("next_id") && doc["next_id"].is_number_integer()) {
      id = std::max(id, doc["next_id"].get<int64_t>());
    }
  }
  while (host_.kvGet(recordKvKey(id))) {
    ++id;
  }
  record.id = id;
  persistMeta(id + 1);
  next_id_ = id + 1;
  persist(record);
  auto entry = std::make_shared<Entry>(record);
  std::unique_lock<std::shared_mutex> lock(index_mutex_);
  by_digest_.emplace(record.digest, entry);
  by_id_.emplace(record.id, entry);
  return record;
}

KeyRegistry::Created KeyRegistry::create(const KeyInput& input, int64_t now_ms) {
  std::lock_guard<std::mutex> mutation(mutation_mutex_);
  KeyRecord r;
  r.name = input.name.value_or("");
  r.permissions = input.permissions.value_or(0);
  r.enabled = input.enabled.value_or(true);
  r.created_at_ms = now_ms;
  r.updated_at_ms = now_ms;
  r.expires_at_ms = input.expires_at_ms.value_or(std::nullopt);
  r.allowed_ips = input.allowed_ips.value_or(std::vector<std::string>{});
  r.rate_limits = input.rate_limits.value_or(RateLimits{});
  r.printer_ids = input.printer_ids.value_or(std::nullopt);
  requireUnlimitedAdmin(r);
  Created out;
  out.key = generateKey();
  out.record = insertNew(out.key, std::move(r));
  return out;
}

KeyRecord KeyRegistry::createWithKey(const std::string& key, const std::string& name, uint64_t permissions,
                                     int64_t now_ms) {
  std::lock_guard<std::mutex> mutation(mutation_mutex_);
  KeyRecord r;
  r.name = name;
  r.permissions = permissions;
  r.created_at_ms = now_ms;
  r.updated_at_ms = now_ms;
  return insertNew(key, std::move(r));
}

KeyRecord KeyRegistry::update(int64_t id, const KeyInput& in, int64_t now_ms,
                              std::vector<std::string>& changes) {
  std::lock_guard<std::mutex> mutation(mutation_mutex_);
  auto e = entryOrThrow(id);
  KeyRecord current;
  {
    std::shared_lock<std::shared_mutex> lock(index_mutex_);
    current = snapshot(*e, now_ms);
  }
  KeyRecord next = current;
  auto apply = [&changes](const char* field, auto& slot, const auto& value) {
    if (!(slot == value)) {
      slot = value;
      changes.emplace_back(field);
    }
  };
  if (in.name) {
    apply("name", next.name, *in.name);
  }
  if (in.permissions) {
    apply("permissions", next.permissions, *in.permissions);
  }
  if (in.enabled) {
    apply("enabled", next.enabled, *in.enabled);
  }
  if (in.expires_at_ms) {
    apply("expires_at", next.expires_at_ms, *in.expires_at_ms);
  }
  if (in.allowed_ips) {
    apply("allowed_ips", next.allowed_ips, *in.allowed_ips);
  }
  if (in.rate_limits) {
    apply("rate_limits", next.rate_limits, *in.rate_limits);
  }
  if (in.printer_ids) {
    apply("printer_ids", next.printer_ids, *in.printer_ids);
  }
  requireUnlimitedAdmin(next);
  if (changes.empty()) {
    return current;
  }
  next.updated_at_ms = now_ms;
  persist(next);
  reindex(e, next);
  return next;
}

KeyRecord KeyRegistry::remove(int64_t id, int64_t now_ms) {
  std::lock_guard<std::mutex> mutation(mutation_mutex_);
  auto e = entryOrThrow(id);
  KeyRecord last;
  {
    std::shared_lock<std::shared_mutex> lock(index_mutex_);
    last = snapshot(*e, now_ms);
  }
  host_.kvDelete(recordKvKey(id)); // false (already gone) is fine: the goal is that it is gone
  std::unique_lock<std::shared_mutex> lock(index_mutex_);
  by_digest_.erase(e->record.digest);
  if (e->record.previous_digest) {
    by_digest_.erase(*e->record.previous_digest);
  }
  by_id_.erase(id);
  return last;
}

KeyRegistry::Created KeyRegistry::rotate(int64_t id, int64_t grace_s, int64_t now_ms) {
  std::lock_guard<std::mutex> mutation(mutation_mutex_);
  auto e = entryOrThrow(id);
  KeyRecord next;
  {
    std::shared_lock<std::shared_mutex> lock(index_mutex_);
    next = snapshot(*e, now_ms);
  }
  Created out;
  out.key = generateKey();
  Digest old_digest = next.digest;
  next.digest = digestOf(out.key);
  next.prefix = out.key.substr(0, kDisplayPrefixLength);
  next.last4 = out.key.substr(out.key.size() - kLast4Length);
  if (grace_s > 0) {
    next.previous_digest = old_digest;
    next.previous_valid_until_ms = now_ms + grace_s * 1000;
  } else {
    next.previous_digest.reset();
    next.previous_valid_until_ms = 0;
  }
  next.updated_at_ms = now_ms;
  persist(next);
  reindex(e, next);
  out.record = std::move(next);
  return out;
}

void KeyRegistry::flushUsage(int64_t now_ms) {
  std::lock_guard<std::mutex> mutation(mutation_mutex_);
  std::vector<std::shared_ptr<Entry>> entries;
  {
    std::shared_lock<std::shared_mutex> lock(index_mutex_);
    for (const auto& [id, e] : by_id_) {
      entries.push_back(e);
    }
  }
  size_t failed = 0;
  for (const auto& e : entries) {
    KeyRecord snap;
    bool grace_over = false;
    {
      std::shared_lock<std::shared_mutex> lock(index_mutex_);
      bool used = e->request_count.load(std::memory_order_relaxed) != e->persisted_count;
      grace_over = e->record.previous_digest.has_value() && now_ms >= e->record.previous_valid_until_ms;
      if (!used && !grace_over) {
        continue;
      }
      snap = snapshot(*e, now_ms);
    }
    try {
      persist(snap);
    } catch (const std::exception&) {
      ++failed;
      continue;
    }
    if (grace_over) {
      reindex(e, snap);
    } else {
      std::shared_lock<std::shared_mutex> lock(index_mutex_);
      e->persisted_count = snap.request_count; // only ever touched under mutation_mutex_
    }
  }
  if (failed > 0) {
    host_.warn("could not save the usage of " + std::to_string(failed) + " API key(s); will retry");
  }
}

} // namespace bambuddy::auth_apikey
