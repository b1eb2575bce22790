// The `notification_deliveries` table: the durable outbox and the delivery log in one. The router
// writes one row per (event, provider) before anything is sent; workers record each attempt on
// it; pending rows survive a crash and are picked up again at start.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace bambuddy::storage {
class Database;
}

namespace bambuddy::notifications {

namespace status {
inline constexpr const char* kPending = "pending";       // waiting for its first attempt
inline constexpr const char* kRetrying = "retrying";     // failed, next attempt at next_attempt_at_ms
inline constexpr const char* kDelivered = "delivered";   // a 2xx (or the plugin's success)
inline constexpr const char* kFailed = "failed";         // permanent failure or schedule used up
inline constexpr const char* kSuppressed = "suppressed"; // quiet hours: logged, never sent
inline constexpr const char* kCancelled = "cancelled";   // the provider was disabled before it went out
} // namespace status

bool isFinalStatus(const std::string& status);

struct DeliveryRow {
  int64_t id = 0;
  int64_t provider_id = 0;
  std::string event_id;
  std::string event_type;
  std::string notification; // the JSON body handed to the plugin, the same for every attempt
  std::string status = status::kPending;
  int attempts = 0;
  int64_t next_attempt_at_ms = 0;                   // 0 unless pending or retrying
  int http_status = 0;                              // of the last attempt; 0 = none
  std::string error;                                // of the last attempt
  std::string response_snippet;                     // of the last attempt
  nlohmann::json history = nlohmann::json::array(); // one entry per attempt (and notes such as a disable)
  int64_t redelivery_of = 0; // the delivery this one repeats (POST .../redeliver); 0 = none
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  int64_t delivered_at_ms = 0;
  // Deliveries about one printer go to a provider in journal order: seq is the event's journal
  // position (0 = no order: tests, redeliveries), printer_id 0 = not about one printer.
  int64_t printer_id = 0;
  int64_t seq = 0;
  // The delivering instance's claim on an open row: no other instance sends it before
  // claim_until_ms (its own clock, kept by renewals while the row is queued or in flight). ""
  // = unclaimed; storing an attempt's outcome ends the claim.
  std::string claimed_by;
  int64_t claim_until_ms = 0;
};

// (printer_id, seq) of an open ordered delivery.
struct OrderKey {
  int64_t printer_id = 0;
  int64_t seq = 0;
};

struct DeliveryPage {
  std::vector<DeliveryRow> items; // newest first
  int64_t total = 0;
};

class OutboxStore {
public:
  explicit OutboxStore(storage::Database& db) : db_(db) {}

  // Inserts the rows in one transaction (never-reused ids). `before_commit` sees each row with its
  // id while the transaction is still open, so a caller can claim the ids before any other reader
  // can see them.
  std::vector<DeliveryRow> insert(std::vector<DeliveryRow> rows,
                                  const std::function<void(const DeliveryRow&)>& before_commit = nullptr);
  std::optional<DeliveryRow> find(int64_t id);
  // Stores the outcome of an attempt: every mutable column.
  void save(const DeliveryRow& row);
  // The same for several rows in one transaction (the delivery workers' batches).
  void saveMany(const std::vector<DeliveryRow>& rows);

  // Ids of `provider_id`'s pending/retrying rows due at `now_ms`, oldest due first.
  std::vector<int64_t> due(int64_t provider_id, int64_t now_ms, size_t limit);
  // Claims up to `limit` of `provider_id`'s rows due at `now_ms` that nobody else holds (unclaimed,
  // or their claim expired) for `owner` until `until_ms`, oldest due first, and returns their ids;
  // `owner`'s own claimed rows come along (renewed) after the others.
  // One transaction; on PostgreSQL the rows are locked FOR UPDATE SKIP LOCKED, so two instances
  // claiming at once never get the same row and never wait for each other.
  std::vector<int64_t> claimDue(int64_t provider_id, int64_t now_ms, size_t limit, const std::string& owner,
                                int64_t until_ms);
  // Extends `owner`'s claims on these open rows to `until_ms`.
  void renewClaims(const std::string& owner, const std::vector<int64_t>& ids, int64_t until_ms);
  // Gives up `owner`'s claims on its open rows except `keep` (the next deliverer takes them at
  // once); `owner` "" gives up everybody's (a server alone, at start: no one else delivers).
  // Returns how many.
  int64_t releaseClaims(const std::string& owner, const std::set<int64_t>& keep = {});
  // Providers that have a (non-redelivery) row for this event already.
  std::set<int64_t> providersWithEvent(const std::string& event_id);
  // The provider's pending/retrying rows that take part in ordering.
  std::vector<OrderKey> openOrdered(int64_t provider_id);
  // The earliest next_attempt_at_ms of a pending/retrying row after `now_ms`, if any.
  std::optional<int64_t> nextDueAfter(int64_t now_ms);
  // Marks the provider's pending/retrying rows cancelled with `error`; returns how many.
  int64_t cancelPending(int64_t provider_id, const std::string& error, int64_t now_ms);
  DeliveryPage list(int64_t provider_id, const std::optional<std::string>& status, size_t limit,
                    size_t offset);
  // Deletes finished rows created before `cutoff_ms` and rows of providers that no longer exist;
  // returns how many.
  int64_t trim(int64_t cutoff_ms);
  // Deliveries still to be sent (pending or retrying), per provider: the outbox's depth.
  std::map<int64_t, int64_t> openCounts();

private:
  storage::Database& db_;
};

// The delivery as the API shows it (notification parsed, times as UTC text).
nlohmann::json deliveryJson(const DeliveryRow& row);

} // namespace bambuddy::notifications
