#include "notifications/delivery_engine.h"

#include "common/logger.h"
#include "common/time.h"
#include "plugins/plugin_host.h"

#include <algorithm>
#include <chrono>
#include <future>

namespace bambuddy::notifications {

namespace {

constexpr const char* kComponent = "notifications";
constexpr size_t kMaxHistory = 50;        // attempts kept per delivery (the default schedule makes 11)
constexpr size_t kMaxWriteBatch = 500;    // outcomes stored per transaction
constexpr size_t kMaxQueuedWrites = 5000; // beyond this the workers wait for the writer

struct Outcome {
  int32_t code = BB_DELIVERY_RETRYABLE;
  int http_status = 0;
  int64_t retry_after_ms = 0;
  std::string snippet;
  std::string error;
};

const char* outcomeName(int32_t code) {
  switch (code) {
  case BB_DELIVERY_DELIVERED:
    return "delivered";
  case BB_DELIVERY_PERMANENT:
    return "permanent";
  default:
    return "retryable";
  }
}

} // namespace

DeliveryEngine::DeliveryEngine(OutboxStore& outbox, plugins::PluginHost& plugins, Logger& logger,
                               std::function<int64_t()> clock_ms, EngineSettings settings,
                               ProviderHealth& health)
    : outbox_(outbox), plugins_(plugins), logger_(logger), clock_ms_(std::move(clock_ms)),
      settings_(std::move(settings)), health_(health), random_(std::random_device{}()) {}

DeliveryEngine::~DeliveryEngine() {
  stop();
}

void DeliveryEngine::start() {
  if (delivering()) {
    return;
  }
  if (settings_.exclusive) {
    // Alone: rows a crashed earlier run claimed are nobody's now.
    try {
      outbox_.releaseClaims("");
    } catch (const std::exception& e) {
      logger_.error(kComponent, std::string("releasing earlier claims failed: ") + e.what());
    }
  }
  std::vector<std::shared_ptr<Lane>> lanes;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [id, lane] : lanes_) {
      lanes.push_back(lane);
    }
  }
  for (const std::shared_ptr<Lane>& lane : lanes) {
    try {
      refreshOrder(lane);
    } catch (const std::exception& e) {
      logger_.error(kComponent, "provider " + std::to_string(lane->slot->id) +
                                    ": reading its open deliveries failed: " + e.what());
    }
  }
  {
    std::lock_guard<std::mutex> lock(write_mutex_);
    if (!writer_running_) {
      writer_running_ = true;
      writer_stopping_ = false;
      writer_ = std::thread([this] { writerLoop(); });
    }
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (running_) {
    return;
  }
  running_ = true;
  stopping_ = false;
  last_renewal_ms_ = clock_ms_();
  wake_requested_ = true; // first pass at once: what the last run left pending
  for (auto& [id, lane] : lanes_) {
    startLaneThreads(lane);
  }
  scheduler_ = std::thread([this] { schedulerLoop(); });
}

void DeliveryEngine::stop() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    running_ = false;
    for (auto& [id, lane] : lanes_) {
      lane->stopping = true;
      for (Job& job : lane->queue) {
        owned_.erase(job.id); // still pending in the database: the next start sends it
      }
      lane->queue.clear();
      for (auto& [printer, jobs] : lane->held) {
        for (auto& [seq, job] : jobs) {
          owned_.erase(job.id);
        }
      }
      lane->held.clear();
      lane->open.clear(); // whoever delivers next may finish some; start() reads them again
      lane->cv.notify_all();
      for (std::thread& t : lane->threads) {
        threads.push_back(std::move(t));
      }
      lane->threads.clear();
    }
    scheduler_cv_.notify_all();
  }
  if (scheduler_.joinable()) {
    scheduler_.join();
  }
  for (std::thread& t : threads) {
    t.join();
  }
  // Last: the outcomes of the attempts that just finished are stored before the writer ends.
  {
    std::lock_guard<std::mutex> lock(write_mutex_);
    writer_stopping_ = true;
    write_cv_.notify_all();
    written_cv_.notify_all();
  }
  if (writer_.joinable()) {
    writer_.join();
  }
  {
    std::lock_guard<std::mutex> lock(write_mutex_);
    writer_running_ = false;
  }
  // What was claimed but not sent goes to the next deliverer at once, not when the claims run
  // out; a test still being attempted on the test threads keeps its claim.
  std::set<int64_t> keep;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    keep = owned_;
  }
  try {
    outbox_.releaseClaims(settings_.owner, keep);
  } catch (const std::exception& e) {
    logger_.warn(kComponent,
                 std::string("releasing this instance's claims failed (they run out instead): ") + e.what());
  }
}

bool DeliveryEngine::delivering() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return running_;
}

void DeliveryEngine::stampClaim(DeliveryRow& row) const {
  if (delivering()) {
    row.claimed_by = settings_.owner;
    row.claim_until_ms = clock_ms_() + settings_.claim_ms;
  }
}

void DeliveryEngine::stampAttemptClaim(DeliveryRow& row) const {
  row.claimed_by = settings_.owner;
  row.claim_until_ms = clock_ms_() + settings_.attempt_timeout_ms + settings_.claim_ms;
}

void DeliveryEngine::startLaneThreads(const std::shared_ptr<Lane>& lane) {
  lane->stopping = false;
  for (int i = 0; i < std::max(1, settings_.workers_per_provider); ++i) {
    lane->threads.emplace_back([this, lane] { workerLoop(lane); });
  }
}

void DeliveryEngine::addProvider(std::shared_ptr<ProviderSlot> slot) {
  std::vector<OrderKey> open;
  try {
    open = outbox_.openOrdered(slot->id);
  } catch (const std::exception& e) {
    logger_.error(kComponent, "provider " + std::to_string(slot->id) +
                                  ": reading its open deliveries failed: " + e.what());
  }
  std::lock_guard<std::mutex> lock(mutex_);
  auto lane = std::make_shared<Lane>();
  lane->slot = std::move(slot);
  for (const OrderKey& k : open) {
    lane->open[k.printer_id].insert(k.seq);
  }
  lanes_[lane->slot->id] = lane;
  if (running_) {
    startLaneThreads(lane);
    wake_requested_ = true; // it may have rows waiting (a provider re-added at start)
    scheduler_cv_.notify_all();
  }
}

void DeliveryEngine::removeProvider(int64_t provider_id) {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = lanes_.find(provider_id);
    if (it == lanes_.end()) {
      return;
    }
    std::shared_ptr<Lane> lane = it->second;
    lanes_.erase(it);
    lane->stopping = true;
    for (Job& job : lane->queue) {
      owned_.erase(job.id);
    }
    lane->queue.clear();
    lane->cv.notify_all();
    threads = std::move(lane->threads);
    lane->threads.clear();
  }
  for (std::thread& t : threads) {
    t.join();
  }
}

void DeliveryEngine::claim(int64_t delivery_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  owned_.insert(delivery_id);
}

void DeliveryEngine::release(int64_t delivery_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  owned_.erase(delivery_id);
}

void DeliveryEngine::track(const DeliveryRow& row) {
  if (row.printer_id <= 0 || row.seq <= 0) {
    return;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = lanes_.find(row.provider_id);
  if (it != lanes_.end()) {
    noteOpen(*it->second, row.printer_id, row.seq);
  }
}

void DeliveryEngine::orderedOutcome(int64_t provider_id, int64_t printer_id, int64_t seq, bool final) {
  if (!final || printer_id <= 0 || seq <= 0) {
    return;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = lanes_.find(provider_id);
  if (it == lanes_.end()) {
    return;
  }
  Lane& lane = *it->second;
  if (lane.refreshing) {
    lane.finished_meanwhile.insert({printer_id, seq});
  }
  auto open = lane.open.find(printer_id);
  if (open != lane.open.end()) {
    open->second.erase(seq);
    if (open->second.empty()) {
      lane.open.erase(open);
    }
  }
  releaseHeld(lane, printer_id);
}

void DeliveryEngine::noteOpen(Lane& lane, int64_t printer_id, int64_t seq) {
  lane.open[printer_id].insert(seq);
  if (lane.refreshing) {
    lane.opened_meanwhile.insert({printer_id, seq});
  }
}

void DeliveryEngine::releaseHeld(Lane& lane, int64_t printer_id) {
  auto held = lane.held.find(printer_id);
  if (held == lane.held.end() || held->second.empty()) {
    return;
  }
  // The earliest held delivery goes next, unless something before it is still open.
  auto first = held->second.begin();
  auto open = lane.open.find(printer_id);
  if (open != lane.open.end() && !open->second.empty() && *open->second.begin() < first->first) {
    return;
  }
  lane.queue.push_front(std::move(first->second));
  held->second.erase(first);
  if (held->second.empty()) {
    lane.held.erase(held);
  }
  lane.cv.notify_one();
}

void DeliveryEngine::submit(const DeliveryRow& row) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = lanes_.find(row.provider_id);
  if (it != lanes_.end() && row.printer_id > 0 && row.seq > 0) {
    noteOpen(*it->second, row.printer_id, row.seq);
  }
  if (it == lanes_.end() || !running_ ||
      it->second->queue.size() + static_cast<size_t>(it->second->in_flight) >=
          settings_.max_queued_per_provider) {
    // No room (or not running): the row waits in the database for the scheduler.
    owned_.erase(row.id);
    if (it != lanes_.end()) {
      it->second->starved = true;
    }
    return;
  }
  it->second->queue.push_back(Job{row.id, row});
  it->second->cv.notify_one();
}

void DeliveryEngine::wakeAt(int64_t at_ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (at_ms < hinted_wake_ms_) {
    hinted_wake_ms_ = at_ms;
    scheduler_cv_.notify_all();
  }
}

int64_t DeliveryEngine::cancelPending(int64_t provider_id, const std::string& error) {
  dropQueued(provider_id);
  return outbox_.cancelPending(provider_id, error, clock_ms_());
}

void DeliveryEngine::dropQueued(int64_t provider_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = lanes_.find(provider_id);
  if (it != lanes_.end()) {
    for (Job& job : it->second->queue) {
      owned_.erase(job.id); // a disabled provider's rows are skipped by the scheduler
    }
    it->second->queue.clear();
    for (auto& [printer, jobs] : it->second->held) {
      for (auto& [seq, job] : jobs) {
        owned_.erase(job.id);
      }
    }
    it->second->held.clear();
    it->second->open.clear(); // its open rows are being cancelled; re-read when it is enabled again
  }
}

void DeliveryEngine::workerLoop(const std::shared_ptr<Lane>& lane) {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    lane->cv.wait(lock, [&] { return lane->stopping || !lane->queue.empty(); });
    if (lane->stopping) {
      return;
    }
    Job job = std::move(lane->queue.front());
    lane->queue.pop_front();
    ++lane->in_flight;
    lock.unlock();
    JobResult result = JobResult::Idle;
    try {
      result = runJob(lane, job);
    } catch (const std::exception& e) {
      // The row stays pending/retrying; the scheduler tries it again.
      logger_.error(kComponent, "delivery " + std::to_string(job.id) + ": " + e.what());
    }
    lock.lock();
    --lane->in_flight;
    if (result == JobResult::Idle) {
      owned_.erase(job.id); // otherwise the writer releases it once the outcome is stored
    }
    if (lane->starved && lane->queue.size() * 2 < settings_.max_queued_per_provider) {
      lane->starved = false;
      wake_requested_ = true; // room again: fetch what waits in the database
      scheduler_cv_.notify_all();
    }
  }
}

DeliveryEngine::JobResult DeliveryEngine::runJob(const std::shared_ptr<Lane>& lane, Job& job) {
  const bool scanned = !job.row;
  std::optional<DeliveryRow> row = scanned ? outbox_.find(job.id) : std::move(job.row);
  if (!row || (row->status != status::kPending && row->status != status::kRetrying)) {
    return JobResult::Idle; // cancelled, removed or finished meanwhile
  }
  // The scanner read the row as due, but another job may have attempted it and scheduled a retry
  // between that read and the claim: then it is not due again yet.
  if (scanned && row->next_attempt_at_ms > clock_ms_()) {
    return JobResult::Idle;
  }
  if (row->printer_id > 0 && row->seq > 0) {
    std::lock_guard<std::mutex> lock(mutex_);
    noteOpen(*lane, row->printer_id, row->seq); // a row the scanner found that no one tracked yet
    const std::set<int64_t>& open = lane->open[row->printer_id];
    if (*open.begin() < row->seq) {
      // An earlier delivery about this printer is not through yet (waiting for a retry, say).
      const int64_t printer = row->printer_id, seq = row->seq;
      lane->held[printer][seq] = Job{job.id, std::move(row)};
      return JobResult::Held;
    }
  }
  attempt(*lane->slot, std::move(*row), false, nullptr);
  return JobResult::HandedOver;
}

DeliveryRow DeliveryEngine::attemptNow(DeliveryRow row, bool ignore_disabled) {
  std::shared_ptr<ProviderSlot> slot;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = lanes_.find(row.provider_id);
    if (it != lanes_.end()) {
      slot = it->second->slot;
    }
  }
  const int64_t id = row.id;
  if (!slot) {
    release(id);
    return row;
  }
  auto stored = std::make_shared<std::promise<void>>();
  std::future<void> done = stored->get_future();
  DeliveryRow out;
  try {
    out = attempt(*slot, std::move(row), ignore_disabled, [stored] { stored->set_value(); });
  } catch (...) {
    release(id);
    throw;
  }
  done.wait(); // the caller reads the log right after: answer once the outcome is stored
  return out;
}

std::vector<NotificationImage> DeliveryEngine::imagesOf(const std::string& notification_json) {
  if (!image_source_ || settings_.max_attachment_bytes <= 0) {
    return {};
  }
  try {
    const nlohmann::json notification = nlohmann::json::parse(notification_json);
    const auto event = notification.find("event");
    const auto data = notification.find("data");
    if (event == notification.end() || !event->is_string() || data == notification.end()) {
      return {};
    }
    return image_source_(event->get<std::string>(), *data, settings_.max_attachment_bytes);
  } catch (const std::exception& e) {
    // The text still goes: an image is never a reason to hold a delivery back.
    logger_.debug(kComponent, std::string("no image for a notification: ") + e.what());
    return {};
  }
}

DeliveryRow DeliveryEngine::attempt(ProviderSlot& slot, DeliveryRow row, bool ignore_disabled,
                                    std::function<void()> done) {
  if (!ignore_disabled && !slot.enabled.load()) {
    row.status = status::kCancelled;
    row.next_attempt_at_ms = 0;
    row.error = "the provider is disabled";
    row.updated_at_ms = clock_ms_();
    const int64_t id = row.id;
    persist(row, [this, id, done] {
      release(id);
      if (done) {
        done();
      }
    });
    return row;
  }
  const int64_t started_ms = clock_ms_();
  const int64_t started_mono = monotonicMs();
  Outcome outcome;
  {
    std::shared_lock<std::shared_mutex> instance_lock(slot.instance_mutex);
    plugins::PluginInstance* instance = plugins_.findInstance(slot.plugin, slot.instance_id);
    if (instance == nullptr) {
      outcome.error = "the provider's plugin instance is not running (see the server log)";
    } else {
      try {
        const std::vector<NotificationImage> images = imagesOf(row.notification);
        bb_delivery_result result = instance->notifierSend(
            row.notification, started_ms + settings_.attempt_timeout_ms, borrowAttachments(images));
        outcome.code = result.outcome;
        outcome.http_status = result.http_status;
        outcome.retry_after_ms = result.retry_after_ms;
        outcome.snippet = result.response_snippet;
        outcome.error = result.error;
        if (outcome.code != BB_DELIVERY_DELIVERED && outcome.code != BB_DELIVERY_PERMANENT) {
          outcome.code = BB_DELIVERY_RETRYABLE;
        }
      } catch (const std::exception& e) {
        outcome.code = BB_DELIVERY_RETRYABLE;
        outcome.error = std::string("the notifier failed: ") + e.what();
      }
    }
  }
  const int64_t duration_ms = monotonicMs() - started_mono;
  const int64_t now = clock_ms_();
  if (duration_ms > settings_.attempt_timeout_ms + 2000) {
    logger_.warn(kComponent, "provider " + std::to_string(slot.id) + ": an attempt took " +
                                 std::to_string(duration_ms) + " ms, past its " +
                                 std::to_string(settings_.attempt_timeout_ms) + " ms deadline (plugin " +
                                 slot.plugin + ")");
  }

  {
    std::lock_guard<std::mutex> lock(counts_mutex_);
    ++attempt_counts_[{slot.id, outcomeName(outcome.code)}];
  }
  row.attempts += 1;
  row.http_status = outcome.http_status;
  row.response_snippet = outcome.snippet;
  row.error = outcome.error;
  nlohmann::json entry = {
      {"attempt", row.attempts},
      {"at", formatUtcMs(started_ms)},
      {"duration_ms", duration_ms},
      {"outcome", outcomeName(outcome.code)},
      {"http_status",
       outcome.http_status > 0 ? nlohmann::json(outcome.http_status) : nlohmann::json(nullptr)},
      {"error", outcome.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(outcome.error)}};
  if (outcome.retry_after_ms > 0) {
    entry["retry_after_ms"] = outcome.retry_after_ms;
  }
  switch (outcome.code) {
  case BB_DELIVERY_DELIVERED:
    row.status = status::kDelivered;
    row.delivered_at_ms = now;
    row.next_attempt_at_ms = 0;
    row.error.clear();
    break;
  case BB_DELIVERY_PERMANENT:
    row.status = status::kFailed;
    row.next_attempt_at_ms = 0;
    break;
  default: {
    auto delay = settings_.retry.delayAfterFailure(row.attempts, outcome.retry_after_ms, unitRandom());
    if (delay) {
      row.status = status::kRetrying;
      row.next_attempt_at_ms = now + *delay;
      entry["next_attempt_at"] = formatUtcMs(row.next_attempt_at_ms);
    } else {
      row.status = status::kFailed;
      row.next_attempt_at_ms = 0;
      row.error = "gave up after " + std::to_string(row.attempts) + " attempts: " + row.error;
    }
  }
  }

  std::optional<std::string> disable;
  try {
    disable = health_.attemptFinished(slot.id, row.id, outcome.code == BB_DELIVERY_DELIVERED,
                                      outcome.http_status, outcome.error, now);
  } catch (const std::exception& e) {
    logger_.error(kComponent, std::string("provider health update failed: ") + e.what());
  }
  if (disable) {
    dropQueued(slot.id); // at once, so this lane does not go on with them; the rows are cancelled below
    entry["provider_disabled"] = *disable;
    if (row.status == status::kRetrying) {
      row.status = status::kCancelled;
      row.next_attempt_at_ms = 0;
      row.error += (row.error.empty() ? "" : "; ") + std::string("provider disabled: ") + *disable;
    }
  }
  row.history.push_back(std::move(entry));
  while (row.history.size() > kMaxHistory) {
    row.history.erase(row.history.begin());
  }
  row.updated_at_ms = now;
  const int64_t id = row.id;
  const int64_t provider_id = slot.id;
  const int64_t retry_at = row.status == status::kRetrying ? row.next_attempt_at_ms : 0;
  const int64_t printer_id = row.printer_id, seq = row.seq;
  const bool final = isFinalStatus(row.status);
  persist(row, [this, id, provider_id, retry_at, disable, done, printer_id, seq, final] {
    if (disable) {
      cancelPending(provider_id, "provider disabled: " + *disable); // after this row is stored
    } else if (retry_at > 0) {
      wakeAt(retry_at);
    }
    orderedOutcome(provider_id, printer_id, seq, final);
    release(id);
    if (done) {
      done();
    }
  });
  logger_.debug(kComponent, "delivery " + std::to_string(row.id) + " (" + row.event_type + ") to provider " +
                                std::to_string(slot.id) + ": attempt " + std::to_string(row.attempts) + " " +
                                outcomeName(outcome.code) + " -> " + row.status);
  if (row.status == status::kFailed) {
    logger_.info(kComponent, "delivery " + std::to_string(row.id) + " (" + row.event_type + ") to provider " +
                                 std::to_string(slot.id) + " failed: " + row.error);
  }
  return row;
}

void DeliveryEngine::persist(DeliveryRow row, std::function<void()> after) {
  std::unique_lock<std::mutex> lock(write_mutex_);
  written_cv_.wait(lock,
                   [&] { return writes_.size() < kMaxQueuedWrites || !writer_running_ || writer_stopping_; });
  if (writer_running_ && !writer_stopping_) {
    writes_.push_back(Write{std::move(row), std::move(after)});
    write_cv_.notify_one();
    return;
  }
  lock.unlock(); // no writer (any more): store it here
  try {
    outbox_.save(row);
  } catch (const std::exception& e) {
    logger_.error(kComponent, "storing delivery " + std::to_string(row.id) + " failed: " + e.what());
  }
  after();
}

void DeliveryEngine::writerLoop() {
  std::unique_lock<std::mutex> lock(write_mutex_);
  while (true) {
    write_cv_.wait(lock, [&] { return writer_stopping_ || !writes_.empty(); });
    if (writes_.empty()) {
      return; // stopping, and everything is stored
    }
    std::vector<Write> batch;
    while (!writes_.empty() && batch.size() < kMaxWriteBatch) {
      batch.push_back(std::move(writes_.front()));
      writes_.pop_front();
    }
    written_cv_.notify_all();
    lock.unlock();
    std::vector<DeliveryRow> rows;
    rows.reserve(batch.size());
    for (const Write& w : batch) {
      rows.push_back(w.row);
    }
    try {
      outbox_.saveMany(rows);
    } catch (const std::exception& e) {
      // The rows keep their previous state (pending/retrying): they are attempted again later.
      logger_.error(kComponent,
                    "storing " + std::to_string(rows.size()) + " delivery outcome(s) failed: " + e.what());
    }
    for (Write& w : batch) {
      try {
        w.after();
      } catch (const std::exception& e) {
        logger_.error(kComponent, std::string("after storing a delivery: ") + e.what());
      }
    }
    lock.lock();
  }
}

void DeliveryEngine::schedulerLoop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    const int64_t now = clock_ms_();
    const int64_t renew_at = last_renewal_ms_ + std::max<int64_t>(1, settings_.claim_ms / 3);
    if (renew_at <= now) {
      last_renewal_ms_ = now;
      lock.unlock();
      renewClaims();
      lock.lock();
      continue;
    }
    // db_wake_ms_ is never later than the last scan + rescan_interval_ms: the safety net.
    const int64_t due = std::min({hinted_wake_ms_, db_wake_ms_, renew_at});
    if (wake_requested_ || due <= now) {
      wake_requested_ = false;
      hinted_wake_ms_ = std::numeric_limits<int64_t>::max(); // the scan below sees everything stored before
      lock.unlock();
      try {
        scanOnce();
      } catch (const std::exception& e) {
        logger_.error(kComponent, std::string("scanning the outbox failed: ") + e.what());
        lock.lock();
        db_wake_ms_ = clock_ms_() + 1000; // try again soon
        continue;
      }
      lock.lock();
      continue;
    }
    scheduler_cv_.wait_for(lock, std::chrono::milliseconds(due - now), [&] {
      return stopping_ || wake_requested_ || std::min(hinted_wake_ms_, db_wake_ms_) < due;
    });
  }
}

void DeliveryEngine::scanNow() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    hinted_wake_ms_ = std::numeric_limits<int64_t>::max();
  }
  scanOnce();
}

void DeliveryEngine::scanOnce() {
  const int64_t now = clock_ms_();
  maybeTrim(now);
  std::vector<std::pair<int64_t, std::shared_ptr<Lane>>> lanes;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [id, lane] : lanes_) {
      if (lane->slot->enabled.load()) {
        lanes.emplace_back(id, lane);
      }
    }
  }
  for (auto& [provider_id, lane] : lanes) {
    refreshOrder(lane);
    size_t room = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      const size_t busy = lane->queue.size() + static_cast<size_t>(lane->in_flight);
      room = busy < settings_.max_queued_per_provider ? settings_.max_queued_per_provider - busy : 0;
    }
    // Claimed in the database before they are queued: another instance scanning now skips them.
    std::vector<int64_t> ids =
        outbox_.claimDue(provider_id, now, room, settings_.owner, clock_ms_() + settings_.claim_ms);
    std::lock_guard<std::mutex> lock(mutex_);
    if (lane->stopping) {
      continue;
    }
    if (ids.size() >= room) {
      lane->starved = true; // perhaps more waits: fetched again once the queue has room
    }
    for (int64_t id : ids) {
      if (owned_.count(id) > 0) {
        continue; // queued or in flight here already (its claim was this engine's)
      }
      owned_.insert(id);
      lane->queue.push_back(Job{id, std::nullopt});
      lane->cv.notify_one();
    }
  }
  std::optional<int64_t> next = outbox_.nextDueAfter(now);
  std::lock_guard<std::mutex> lock(mutex_);
  db_wake_ms_ =
      std::min(next.value_or(std::numeric_limits<int64_t>::max()), now + settings_.rescan_interval_ms);
}

void DeliveryEngine::refreshOrder(const std::shared_ptr<Lane>& lane) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    lane->refreshing = true;
    lane->opened_meanwhile.clear();
    lane->finished_meanwhile.clear();
  }
  std::vector<OrderKey> keys;
  try {
    keys = outbox_.openOrdered(lane->slot->id);
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    lane->refreshing = false;
    throw;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  lane->refreshing = false;
  std::map<int64_t, std::set<int64_t>> open;
  for (const OrderKey& k : keys) {
    open[k.printer_id].insert(k.seq);
  }
  for (const auto& [printer, seq] : lane->opened_meanwhile) {
    open[printer].insert(seq);
  }
  for (const auto& [printer, jobs] : lane->held) {
    for (const auto& [seq, job] : jobs) {
      open[printer].insert(seq); // waiting here, so open whatever was read
    }
  }
  for (const auto& [printer, seq] : lane->finished_meanwhile) {
    auto it = open.find(printer);
    if (it != open.end()) {
      it->second.erase(seq);
      if (it->second.empty()) {
        open.erase(it);
      }
    }
  }
  lane->opened_meanwhile.clear();
  lane->finished_meanwhile.clear();
  lane->open = std::move(open);
  std::vector<int64_t> printers;
  for (const auto& [printer, jobs] : lane->held) {
    printers.push_back(printer);
  }
  for (int64_t printer : printers) {
    releaseHeld(*lane, printer); // what it waited for was finished by another instance
  }
}

void DeliveryEngine::renewClaims() {
  std::vector<int64_t> ids;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ids.assign(owned_.begin(), owned_.end());
  }
  try {
    outbox_.renewClaims(settings_.owner, ids, clock_ms_() + settings_.claim_ms);
  } catch (const std::exception& e) {
    logger_.warn(kComponent, std::string("renewing delivery claims failed: ") + e.what());
  }
}

void DeliveryEngine::maybeTrim(int64_t now_ms) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (now_ms - last_trim_ms_ < settings_.trim_interval_ms) {
      return;
    }
    last_trim_ms_ = now_ms;
  }
  int64_t removed = outbox_.trim(now_ms - settings_.retention_ms);
  if (removed > 0) {
    logger_.info(kComponent,
                 "removed " + std::to_string(removed) + " deliveries older than the retention time");
  }
}

double DeliveryEngine::unitRandom() {
  std::lock_guard<std::mutex> lock(random_mutex_);
  return std::uniform_real_distribution<double>(0.0, 1.0)(random_);
}

std::map<std::pair<int64_t, std::string>, uint64_t> DeliveryEngine::attemptCounts() const {
  std::lock_guard<std::mutex> lock(counts_mutex_);
  return attempt_counts_;
}

} // namespace bambuddy::notifications
