// Delivery workers: every provider has its own lane (a queue and its own worker threads), so a
// slow or dead receiver only ever holds up its own notifications. New deliveries are handed to the
// lane straight from the router (no database polling on the hot path); a scheduler thread scans
// the outbox for due retries and for what a crash or restart left pending, waking exactly when the
// next retry is due.
//
// Outcomes are stored by one writer thread in batches (one transaction for everything that finished
// meanwhile), so ten busy providers do not queue up behind ten separate commits.
//
// Order: deliveries about one printer go to one provider in journal order (DeliveryRow::seq). A
// delivery waiting for a retry holds back that printer's later deliveries to that provider only
// (other printers and other providers go on); they follow once it is delivered or given up.
//
// At-least-once: a row stays pending/retrying in the database until an attempt's outcome is
// stored, and a delivery stays claimed (never picked up twice) until then, so work that was queued
// or in flight when the process died is sent after the restart (the same notification body, so
// the same webhook-id).
//
// Claims are kept twice: in memory (owned_: queued, held or in flight here) and in the row
// (claimed_by/claim_until_ms, renewed every claim_ms / 3 while owned), so that with several server
// instances on one database a row is sent by one of them only. When the farm's deliveries move to
// another instance, the rows the old one still held are taken over once their claims run out; a
// server alone takes every claim over at start.
#pragma once

#include "notifications/notification_images.h"
#include "notifications/outbox_store.h"
#include "notifications/retry_policy.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

namespace bambuddy {
class Logger;
namespace plugins {
class PluginHost;
}
} // namespace bambuddy

namespace bambuddy::notifications {

struct EngineSettings {
  RetryPolicy retry;
  int64_t attempt_timeout_ms = 30000;                    // the deadline handed to the plugin for one attempt
  int workers_per_provider = 1;                          // 1 keeps a provider's notifications in event order
  size_t max_queued_per_provider = 1000;                 // more waits in the database until the lane has room
  int64_t retention_ms = int64_t{30} * 24 * 3600 * 1000; // finished rows older than this are deleted
  int64_t rescan_interval_ms = 60000;                    // safety net: scan the outbox at least this often
  int64_t trim_interval_ms = 3600000;
  int64_t max_attachment_bytes = int64_t{2} * 1024 * 1024; // larger images stay out; 0 = none at all
  std::string owner = "local"; // whose claims this engine's are: the server instance's id
  int64_t claim_ms = 60000;    // a claim outlives its last renewal by this much
  bool exclusive = true;       // no other instance sends: start() takes over everybody's claims
};

// What a lane knows of its provider. The service owns the instance; the lane only calls it.
struct ProviderSlot {
  ProviderSlot(int64_t provider_id, std::string plugin_name, std::string instance)
      : id(provider_id), plugin(std::move(plugin_name)), instance_id(std::move(instance)) {}
  const int64_t id;
  const std::string plugin;
  const std::string instance_id;
  // Shared while an attempt calls the plugin instance, exclusive while the service re-creates or
  // destroys it: the instance is never freed under a running attempt.
  std::shared_mutex instance_mutex;
  std::atomic<bool> enabled{true};
};

// Told about every finished attempt (on a worker thread, without engine locks held).
class ProviderHealth {
public:
  virtual ~ProviderHealth() = default;
  // Returns the reason when the provider must be disabled because of this attempt (410 Gone, or
  // failing for too long); the engine then cancels its pending deliveries.
  virtual std::optional<std::string> attemptFinished(int64_t provider_id, int64_t delivery_id, bool delivered,
                                                     int http_status, const std::string& error,
                                                     int64_t now_ms) = 0;
};

class DeliveryEngine {
public:
  DeliveryEngine(OutboxStore& outbox, plugins::PluginHost& plugins, Logger& logger,
                 std::function<int64_t()> clock_ms, EngineSettings settings, ProviderHealth& health);
  ~DeliveryEngine(); // stop()
  DeliveryEngine(const DeliveryEngine&) = delete;
  DeliveryEngine& operator=(const DeliveryEngine&) = delete;

  // Where the images of a notification come from (none without it). Before start().
  void setImageSource(ImageSource source) { image_source_ = std::move(source); }
  // Starts the scheduler; its first pass picks up what an earlier run left pending. Reads each
  // provider's open ordered deliveries first (another instance may have sent some meanwhile).
  void start();
  // Between start() and stop().
  bool delivering() const;
  // Marks a new row as this engine's (its claim) when it is delivering, before the row is inserted.
  void stampClaim(DeliveryRow& row) const;
  // The same for a row attempted at once on the calling thread (a test), delivering or not: the
  // claim lasts the attempt's deadline besides, as no scheduler renews it.
  void stampAttemptClaim(DeliveryRow& row) const;
  // Lanes finish the attempt in flight (bounded by the attempt timeout); queued work stays
  // pending in the database for the next start. Idempotent.
  void stop();

  // Loads the provider's open ordered deliveries from the outbox (so a retry left by an earlier
  // run still holds back what follows it).
  void addProvider(std::shared_ptr<ProviderSlot> slot);
  // Drops the lane's queue and waits for its attempts in flight.
  void removeProvider(int64_t provider_id);

  // Hot path. claim() a new row's id while its insert transaction is still open (so the scheduler
  // can never pick it up as well), then submit() it once committed, or release() it on failure.
  void claim(int64_t delivery_id);
  void release(int64_t delivery_id);
  void submit(const DeliveryRow& row);
  // A new open delivery that takes part in ordering (submit() does this itself; call it for rows
  // whose first attempt is delayed).
  void track(const DeliveryRow& row);

  // Runs one attempt of a claimed row on the calling thread and releases it (the test endpoint).
  // `ignore_disabled` sends even when the provider is disabled. Returns the row as stored after it.
  DeliveryRow attemptNow(DeliveryRow row, bool ignore_disabled);

  // Cancels the provider's queued and pending deliveries (it was disabled); returns how many rows.
  int64_t cancelPending(int64_t provider_id, const std::string& error);

  // Something became due at `at_ms` (a retry stored elsewhere, a delayed first attempt).
  void wakeAt(int64_t at_ms);

  // For tests: one scheduler pass now (due rows to lanes, trimming when due).
  void scanNow();

  // Attempts made since start, per provider and outcome ("delivered", "retryable", "permanent").
  std::map<std::pair<int64_t, std::string>, uint64_t> attemptCounts() const;

private:
  struct Job {
    int64_t id = 0;
    std::optional<DeliveryRow> row; // set on the hot path, loaded from the database otherwise
  };
  struct Lane {
    std::shared_ptr<ProviderSlot> slot;
    std::deque<Job> queue;
    int in_flight = 0;
    bool stopping = false;
    bool starved = false; // the scheduler left due rows behind because the queue was full
    std::map<int64_t, std::set<int64_t>> open;      // printer -> seqs of unfinished ordered rows
    std::map<int64_t, std::map<int64_t, Job>> held; // printer -> seq -> job waiting for earlier ones
    // While refreshOrder() reads the open rows: (printer, seq) opened and finished meanwhile.
    bool refreshing = false;
    std::set<std::pair<int64_t, int64_t>> opened_meanwhile, finished_meanwhile;
    std::condition_variable cv;
    std::vector<std::thread> threads;
  };

  struct Write {
    DeliveryRow row;
    std::function<void()> after; // runs once the row is committed (or the write failed)
  };

  mutable std::mutex counts_mutex_;
  std::map<std::pair<int64_t, std::string>, uint64_t> attempt_counts_;

  void workerLoop(const std::shared_ptr<Lane>& lane);
  enum class JobResult { Idle, HandedOver, Held };
  // HandedOver: the row went to the writer (which then releases it); Held: it waits in the lane
  // for an earlier delivery about the same printer; Idle: there was nothing to do.
  JobResult runJob(const std::shared_ptr<Lane>& lane, Job& job);
  // A stored outcome: a final one lets the next held delivery of that printer go.
  void orderedOutcome(int64_t provider_id, int64_t printer_id, int64_t seq, bool final);
  // Makes one attempt and hands the outcome to the writer; once it is stored the claim on the row
  // is released, a retry scheduled or the provider's other deliveries cancelled, then `done` runs.
  DeliveryRow attempt(ProviderSlot& slot, DeliveryRow row, bool ignore_disabled, std::function<void()> done);
  // The images to send with a notification (ImageSource); none when there is no source or on error.
  std::vector<NotificationImage> imagesOf(const std::string& notification_json);
  // Queues a row for the writer; waits while the writer is far behind (back-pressure).
  void persist(DeliveryRow row, std::function<void()> after);
  void writerLoop();
  // Empties the provider's queue (the rows stay in the database for cancelPending or a later scan).
  void dropQueued(int64_t provider_id);
  void schedulerLoop();
  void scanOnce();
  // Replaces the lane's open ordered deliveries with the outbox's (others may have finished some
  // elsewhere) and lets go the held delivery that no longer waits for anything.
  void refreshOrder(const std::shared_ptr<Lane>& lane);
  void noteOpen(Lane& lane, int64_t printer_id, int64_t seq); // mutex_ held
  void releaseHeld(Lane& lane, int64_t printer_id);           // mutex_ held
  // Extends the claims of what is queued, held or in flight here.
  void renewClaims();
  void maybeTrim(int64_t now_ms);
  void startLaneThreads(const std::shared_ptr<Lane>& lane); // mutex_ held
  double unitRandom();

  OutboxStore& outbox_;
  plugins::PluginHost& plugins_;
  Logger& logger_;
  std::function<int64_t()> clock_ms_;
  const EngineSettings settings_;
  ProviderHealth& health_;
  ImageSource image_source_;

  mutable std::mutex mutex_;
  std::map<int64_t, std::shared_ptr<Lane>> lanes_;
  std::set<int64_t> owned_; // delivery ids queued or being attempted right now
  bool running_ = false;
  bool stopping_ = false;
  bool wake_requested_ = false;
  int64_t hinted_wake_ms_ =
      std::numeric_limits<int64_t>::max();                   // lowest due time announced since the last scan
  int64_t db_wake_ms_ = std::numeric_limits<int64_t>::max(); // next due time the last scan found
  int64_t last_trim_ms_ = 0;
  int64_t last_renewal_ms_ = 0;
  std::condition_variable scheduler_cv_;
  std::thread scheduler_;

  std::mutex random_mutex_;
  std::mt19937_64 random_;

  std::mutex write_mutex_;
  std::condition_variable write_cv_;   // the writer: rows queued, or stop
  std::condition_variable written_cv_; // persist(): room in the queue again
  std::deque<Write> writes_;
  bool writer_running_ = false;
  bool writer_stopping_ = false;
  std::thread writer_;
};

} // namespace bambuddy::notifications
