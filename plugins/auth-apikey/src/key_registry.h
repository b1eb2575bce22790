// The API keys of one plugin instance: the kv documents ("key/<id>", "meta") and an in-memory
// index by SHA-256 digest that authenticate() reads under a shared lock.
#pragma once

#include "key_codec.h"
#include "key_input.h"
#include "key_record.h"

#include <bambuddy/sdk.hpp>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace bambuddy::auth_apikey {

// Why a presented key was refused, or Ok.
enum class KeyCheck { Ok, Unknown, Disabled, Expired, IpNotAllowed };

// Every mutation writes kv first and changes memory only after the write succeeded, so a failed
// write changes nothing; a delete or rotation is visible to the very next authenticate() call.
// Mutations are serialized by one mutex that authenticate() never takes, so slow kv I/O does not
// stall the hot path. Usage (last use, count) is counted in memory and written by flushUsage().
class KeyRegistry {
  struct Ranges;

public:
  // Loads every stored key. Malformed documents are skipped with a warning.
  explicit KeyRegistry(sdk::Host host);

  KeyRegistry(const KeyRegistry&) = delete;
  KeyRegistry& operator=(const KeyRegistry&) = delete;

  // The hot path: looks `digest` up, checks the key and, when it is accepted, counts the use and
  // fills `out` (principal id "key:<id>"). No I/O, no lock other than the shared index lock.
  KeyCheck check(const Digest& digest, std::string_view client_ip, int64_t now_ms, sdk::Principal& out);

  // Snapshots (with live usage), ordered by id.
  std::vector<KeyRecord> list(int64_t now_ms) const;
  std::optional<KeyRecord> get(int64_t id, int64_t now_ms) const;
  std::optional<KeyRecord> findByDigest(const Digest& digest, int64_t now_ms) const;
  // True when an enabled, unexpired key with the admin permission exists.
  bool hasUsableAdmin(int64_t now_ms) const;

  struct Created {
    KeyRecord record;
    std::string key; // the only copy of the full key: hand it to the caller once, then drop it
  };
  // Stores a new key from validated input (name required). Throws sdk::Error on kv failure.
  Created create(const KeyInput& input, int64_t now_ms);
  // Stores `key` (already well formed) as a new record; for the bootstrap.
  KeyRecord createWithKey(const std::string& key, const std::string& name, uint64_t permissions,
                          int64_t now_ms);

  // Applies the present fields; `changes` gets the names of fields whose value changed.
  // Throws sdk::Error(BB_ERR_NOT_FOUND) for an unknown id.
  KeyRecord update(int64_t id, const KeyInput& input, int64_t now_ms, std::vector<std::string>& changes);
  // Removes the key; returns its last state. Throws sdk::Error(BB_ERR_NOT_FOUND).
  KeyRecord remove(int64_t id, int64_t now_ms);
  // Gives the key a new secret; the old one stays valid for `grace_s` seconds (0 = revoked now).
  // A second rotation during a grace period ends the first one's grace at once.
  Created rotate(int64_t id, int64_t grace_s, int64_t now_ms);

  // Writes the usage of every key used since its last write (one kv put per such key) and drops
  // previous digests whose grace period is over. Safe to call from a background thread.
  void flushUsage(int64_t now_ms);

  size_t size() const;

  // Several server instances share the store (the host's kv_changed event): the index follows
  // the documents as another instance left them. A key deleted there stops working here at once,
  // a changed one takes its stored settings and digests (a rotation's new secret, a revocation),
  // a new one appears. Usage counted here and not yet written stays counted. Throws sdk::Error on
  // a kv failure (the index is then as before).
  void reload();

private:
  struct Entry {
    explicit Entry(KeyRecord r);
    KeyRecord record; // settings; its usage fields are refreshed from the counters below
    std::string principal_id;
    // Usage, updated on the hot path without the exclusive lock.
    std::atomic<uint64_t> request_count{0};
    std::atomic<int64_t> last_used_ms{-1}; // -1 = never
    mutable std::mutex ip_mutex;
    char last_ip[64] = {};
    // Last request_count written to kv; touched only under mutation_mutex_.
    uint64_t persisted_count = 0;
    std::shared_ptr<const Ranges> ranges; // parsed allowed_ips, replaced with the record
  };

  // A copy of the record with live usage. Caller holds index_mutex_ (shared is enough).
  KeyRecord snapshot(const Entry& e, int64_t now_ms) const;
  void persist(const KeyRecord& record) const;
  void persistMeta(int64_t next_id) const;
  // Rewrites the loaded documents in the current schema (called by the constructor).
  void migrate(int64_t from_schema);
  // Fills digest, prefix, last4 and id from `key`, stores and indexes the record. Caller holds
  // mutation_mutex_.
  KeyRecord insertNew(const std::string& key, KeyRecord record);
  // Swaps in an updated record and its digests. Caller holds mutation_mutex_.
  void reindex(const std::shared_ptr<Entry>& e, KeyRecord updated);
  std::shared_ptr<Entry> entryOrThrow(int64_t id) const;

  sdk::Host host_;
  std::mutex mutation_mutex_;             // serializes every change, kv write included
  mutable std::shared_mutex index_mutex_; // guards the two maps and every Entry::record
  std::map<int64_t, std::shared_ptr<Entry>> by_id_;
  std::unordered_map<Digest, std::shared_ptr<Entry>, DigestHash, DigestEqual> by_digest_;
  int64_t next_id_ = 1; // under mutation_mutex_
};

} // namespace bambuddy::auth_apikey
