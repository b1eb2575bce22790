#include "stream/stream_hub.h"

#include "common/logger.h"
#include "notifications/event_catalog.h"
#include "stream/event_ring.h"
#include "stream/sse_frame.h"

#include <bambuddy/abi.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace bambuddy::stream {

namespace {
constexpr const char* kComponent = "stream";
constexpr int64_t kTickMs = 1000;
// Threads writing events to clients (each client is always on the same one, so its order holds).
constexpr size_t kFanOutThreads = 2;
// Status rounds go out to this many clients at a time, with this pause between (a round of 1,000
// clients then spreads over ~90 ms of the second until the next round).
constexpr size_t kStatusSlice = 100;
constexpr std::chrono::milliseconds kStatusSlicePause{10};
// A status round stands aside while an event fans out (events first: on two cores, status rounds
// writing at the same time raised the event's p99 at 1,000 clients from 14 to 20 ms), for at most
// this long per round in all, so a steady stream of events cannot hold status back for good.
constexpr std::chrono::milliseconds kStatusYieldPerRound{250};

std::string dumpJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}
} // namespace

uint64_t permissionForEvent(const std::string& type) {
  if (type.rfind("queue_", 0) == 0) {
    return BB_PERM_QUEUE_READ;
  }
  if (type.rfind("archive_", 0) == 0) {
    return BB_PERM_ARCHIVES_READ;
  }
  return BB_PERM_PRINTERS_READ; // print_* and printer_*, and anything a printer driver adds
}

struct StreamHub::Core : std::enable_shared_from_this<Core> {
  Core(StreamSettings s, Logger& l, std::function<int64_t()> clock, std::function<int64_t()> wall)
      : settings(s), logger(l), now_ms(std::move(clock)), wall_ms(std::move(wall)),
        ring(s.ring_events, s.ring_age_ms) {}

  const StreamSettings settings;
  Logger& logger;
  std::function<int64_t()> now_ms;
  std::function<int64_t()> wall_ms;

  mutable std::mutex mutex;
  EventRing ring;
  std::vector<std::shared_ptr<Session>> sessions; // opened and not pruned yet
  std::map<std::string, size_t> per_key;          // counted streams per principal id
  size_t counted = 0;
  size_t status_sessions = 0;
  std::map<int64_t, std::shared_ptr<const std::string>> status_frames; // while status_sessions > 0
  bool stopped = false;
  uint64_t opened_total = 0;
  std::atomic<uint64_t> overflowed_total{0};
  uint64_t refused_key_total = 0;
  uint64_t refused_server_total = 0;
  std::atomic<uint64_t> frames_total{0};
  std::atomic<bool> status_wanted{false};
  LatencyHistogram delay; // `mutex`

  std::mutex wake_mutex;
  std::condition_variable wake_cv;
  bool wake_due = false;
  bool thread_stopping = false;
  std::thread thread;

  // Event fan-out, off the journal pump's thread (which would otherwise wait for 1,000 writes
  // before it hands the next entry to any consumer): each shard's jobs in publish order.
  struct FanOut {
    std::shared_ptr<const std::string> frame;
    std::vector<std::shared_ptr<Session>> recipients;
    int64_t at_ms = 0;
  };
  // One per fan-out thread; each client belongs to one (Session::shard), so its frames keep their
  // order while the threads write to different clients at once.
  struct FanShard {
    std::mutex mutex;
    std::condition_variable cv;      // a job, or stop
    std::condition_variable idle_cv; // the queue emptied and no job runs
    std::deque<FanOut> queue;
    bool busy = false;
    bool stopping = false;
    std::thread thread;
  };
  std::array<FanShard, kFanOutThreads> shards;
  // False before start() and after stop(): publish() then writes on its own thread.
  std::atomic<bool> fan_running{false};
  std::atomic<size_t> next_shard{0};
  // Fan-out jobs queued or running in all shards; status rounds wait for zero (yieldToEvents).
  int fan_jobs = 0; // fan_idle_mutex
  std::mutex fan_idle_mutex;
  std::condition_variable fan_idle_cv;

  void fanJobsAdd(int delta) {
    std::lock_guard<std::mutex> lock(fan_idle_mutex);
    fan_jobs = std::max(0, fan_jobs + delta);
    if (fan_jobs == 0) {
      fan_idle_cv.notify_all();
    }
  }
  // Blocks the calling status round while events are being written, until `until` at the latest.
  void yieldToEvents(std::chrono::steady_clock::time_point until) {
    std::unique_lock<std::mutex> lock(fan_idle_mutex);
    fan_idle_cv.wait_until(lock, until, [this] { return fan_jobs == 0; });
  }

  void wake() {
    {
      std::lock_guard<std::mutex> lock(wake_mutex);
      wake_due = true;
    }
    wake_cv.notify_one();
  }

  // mutex held.
  void uncount(const std::string& key) {
    auto it = per_key.find(key);
    if (it != per_key.end() && --it->second == 0) {
      per_key.erase(it);
    }
    --counted;
  }
};

// One client's stream: what it may see, and its sink once the HTTP server opened it.
class StreamHub::Session : public http::StreamBody, public std::enable_shared_from_this<Session> {
public:
  Session(const std::shared_ptr<Core>& core, const http::Principal& principal, StreamFilter filter,
          std::optional<std::string> last_event_id)
      : shard_(core->next_shard++ % kFanOutThreads), core_(core), key_(principal.id),
        permissions_(principal.permissions), printers_(principal.printer_ids), filter_(std::move(filter)),
        last_event_id_(std::move(last_event_id)) {}

  ~Session() override {
    if (!released_.exchange(true)) {
      if (auto core = core_.lock()) {
        std::lock_guard<std::mutex> lock(core->mutex);
        core->uncount(key_);
      }
    }
  }

  void open(std::shared_ptr<http::StreamSink> sink) override {
    auto core = core_.lock();
    if (!core) {
      sink->closeWith("");
      return;
    }
    std::lock_guard<std::mutex> lock(core->mutex);
    if (core->stopped) {
      sink->closeWith("");
      return;
    }
    std::lock_guard<std::mutex> own(mutex_);
    sink_ = std::move(sink);
    last_write_ms_ = core->now_ms();
    sink_->write(sseRetry(core->settings.retry_ms));
    if (last_event_id_) {
      replay(*core);
    }
    if (filter_.status) {
      for (const auto& [id, frame] : core->status_frames) {
        if (seesStatus(id)) {
          sink_->write(*frame);
          ++core->frames_total;
        }
      }
      ++core->status_sessions;
      core->status_wanted = true;
    }
    core->sessions.push_back(shared_from_this());
  }

  void closed() override {
    dead_ = true;
    if (auto core = core_.lock()) {
      core->wake();
    }
  }

  bool sees(const std::string& type, int64_t printer_id) const {
    const uint64_t need = permissionForEvent(type);
    if ((permissions_ & (need | BB_PERM_ADMIN)) == 0 || !inScope(printer_id)) {
      return false;
    }
    if (!filter_.events.empty() && filter_.events.count(type) == 0) {
      return false;
    }
    return !filter_.printer_id || printer_id == *filter_.printer_id;
  }

  bool seesStatus(int64_t printer_id) const {
    return filter_.status && (permissions_ & (BB_PERM_PRINTERS_READ | BB_PERM_ADMIN)) != 0 &&
           inScope(printer_id) && (!filter_.printer_id || printer_id == *filter_.printer_id);
  }

  // Writes `frame` (`count` frames joined), or drops a client that cannot keep up. Any thread, with
  // no hub lock held (events and status snapshots may arrive at once; writes are whole frames).
  void deliver(Core& core, const std::string& frame, int64_t now_ms, size_t count = 1) {
    std::lock_guard<std::mutex> own(mutex_);
    if (dead_ || !sink_) {
      return;
    }
    const size_t backlog = sink_->pendingBytes();
    if (backlog + frame.size() > core.settings.max_buffer_bytes) {
      dead_ = true;
      ++core.overflowed_total;
      nlohmann::json body = {{"reason", "client_too_slow"},
                             {"detail", "the client read too slowly; reconnect with Last-Event-ID to resume"},
                             {"buffered_bytes", backlog},
                             {"limit_bytes", core.settings.max_buffer_bytes}};
      sink_->closeWith(sseFrame("", "overflow", dumpJson(body)));
      core.logger.info(kComponent, "dropped a stream of '" + key_ + "': " + std::to_string(backlog) +
                                       " bytes unsent (limit " +
                                       std::to_string(core.settings.max_buffer_bytes) + ")");
      return;
    }
    if (!sink_->write(frame)) {
      dead_ = true;
      return;
    }
    last_write_ms_ = now_ms;
    core.frames_total += count;
  }

  // A comment when the stream has been quiet, else keep the connection alive.
  void idle(Core& core, int64_t now_ms) {
    std::lock_guard<std::mutex> own(mutex_);
    if (dead_ || !sink_) {
      return;
    }
    if (now_ms - last_write_ms_ >= core.settings.comment_interval_ms) {
      if (!sink_->write(sseComment("keep-alive"))) {
        dead_ = true;
        return;
      }
      last_write_ms_ = now_ms;
      return;
    }
    sink_->keepAlive();
  }

  // core->mutex held, while being pruned (or the hub stops): the count goes now.
  void release(Core& core) {
    if (!released_.exchange(true)) {
      core.uncount(key_);
    }
    std::lock_guard<std::mutex> own(mutex_);
    if (filter_.status && sink_) {
      --core.status_sessions;
    }
  }

  // After release, without core->mutex: ends the stream and breaks the session <-> sink cycle.
  void detach(bool close_stream) {
    std::lock_guard<std::mutex> own(mutex_);
    if (sink_ && close_stream) {
      sink_->closeWith("");
    }
    sink_.reset();
  }

  bool dead() const { return dead_; }
  size_t shard() const { return shard_; }
  const std::string& key() const { return key_; }

  // The stream ends after `last`.
  void end(std::string last) {
    std::lock_guard<std::mutex> own(mutex_);
    if (dead_ || !sink_) {
      return;
    }
    dead_ = true;
    sink_->closeWith(std::move(last));
  }

private:
  bool inScope(int64_t printer_id) const {
    return printer_id <= 0 || printers_.empty() ||
           std::find(printers_.begin(), printers_.end(), printer_id) != printers_.end();
  }

  // core->mutex held, in open(): the events after the client's Last-Event-ID, or a reset when they
  // are not held any more or would not fit its buffer.
  void replay(Core& core) {
    auto after = core.ring.after(*last_event_id_);
    std::string reason;
    if (after) {
      size_t bytes = 0;
      std::vector<const RingEvent*> visible;
      for (const RingEvent* event : *after) {
        if (sees(event->type, event->printer_id)) {
          visible.push_back(event);
          bytes += event->frame->size();
        }
      }
      if (bytes <= core.settings.max_buffer_bytes) {
        for (const RingEvent* event : visible) {
          sink_->write(*event->frame);
          ++core.frames_total;
        }
        return;
      }
      reason = "too_far_behind";
    } else {
      reason = "unknown_last_event_id";
    }
    nlohmann::json body = {
        {"reason", reason},
        {"detail", reason == "too_far_behind"
                       ? "more events passed since Last-Event-ID than a stream replays; reload the state "
                         "from the REST API"
                       : "Last-Event-ID is not among the recent events (older than the stream keeps, or "
                         "from before a restart); reload the state from the REST API"}};
    sink_->write(sseFrame("", "reset", dumpJson(body)));
    ++core.frames_total;
  }

  const size_t shard_;
  std::weak_ptr<Core> core_;
  const std::string key_;
  const uint64_t permissions_;
  const std::vector<int64_t> printers_;
  const StreamFilter filter_;
  const std::optional<std::string> last_event_id_;

  // mutex_ guards these (set in open). Taken after core->mutex where both are held.
  std::mutex mutex_;
  std::shared_ptr<http::StreamSink> sink_;
  int64_t last_write_ms_ = 0;

  std::atomic<bool> dead_{false};
  std::atomic<bool> released_{false};
};

StreamHub::StreamHub(StreamSettings settings, Logger& logger, std::function<int64_t()> monotonic_ms,
                     std::function<int64_t()> wall_ms)
    : core_(std::make_shared<Core>(settings, logger, std::move(monotonic_ms), std::move(wall_ms))) {}

StreamHub::~StreamHub() {
  stop();
}

void StreamHub::start() {
  for (size_t i = 0; i < kFanOutThreads; ++i) {
    Core::FanShard& shard = core_->shards[i];
    std::lock_guard<std::mutex> lock(shard.mutex);
    if (!shard.thread.joinable()) {
      shard.stopping = false;
      shard.thread = std::thread([this, i] { fanOutLoop(i); });
    }
  }
  core_->fan_running = true;
  std::lock_guard<std::mutex> lock(core_->wake_mutex);
  if (core_->thread.joinable()) {
    return;
  }
  core_->thread_stopping = false;
  core_->thread = std::thread([this] {
    std::unique_lock<std::mutex> lock(core_->wake_mutex);
    while (!core_->thread_stopping) {
      core_->wake_cv.wait_for(lock, std::chrono::milliseconds(kTickMs),
                              [this] { return core_->thread_stopping || core_->wake_due; });
      if (core_->thread_stopping) {
        break;
      }
      core_->wake_due = false;
      lock.unlock();
      tick();
      lock.lock();
    }
  });
}

void StreamHub::fanOutLoop(size_t index) {
  Core::FanShard& shard = core_->shards[index];
  std::unique_lock<std::mutex> lock(shard.mutex);
  while (true) {
    shard.cv.wait(lock, [&shard] { return shard.stopping || !shard.queue.empty(); });
    if (shard.stopping) {
      core_->fanJobsAdd(-static_cast<int>(shard.queue.size()));
      shard.queue.clear(); // the streams are ending anyway
      shard.idle_cv.notify_all();
      return;
    }
    Core::FanOut job = std::move(shard.queue.front());
    shard.queue.pop_front();
    shard.busy = true;
    lock.unlock();
    for (const auto& session : job.recipients) {
      session->deliver(*core_, *job.frame, job.at_ms);
    }
    core_->fanJobsAdd(-1);
    lock.lock();
    shard.busy = false;
    if (shard.queue.empty()) {
      shard.idle_cv.notify_all();
    }
  }
}

bool StreamHub::drain(int64_t timeout_ms) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (Core::FanShard& shard : core_->shards) {
    std::unique_lock<std::mutex> lock(shard.mutex);
    if (!shard.idle_cv.wait_until(lock, until, [&shard] { return shard.queue.empty() && !shard.busy; })) {
      return false;
    }
  }
  return true;
}

void StreamHub::stop() {
  core_->fan_running = false;
  for (Core::FanShard& shard : core_->shards) {
    {
      std::lock_guard<std::mutex> lock(shard.mutex);
      shard.stopping = true;
    }
    shard.cv.notify_all();
    if (shard.thread.joinable()) {
      shard.thread.join();
    }
  }
  {
    std::lock_guard<std::mutex> lock(core_->wake_mutex);
    core_->thread_stopping = true;
  }
  core_->wake_cv.notify_all();
  if (core_->thread.joinable()) {
    core_->thread.join();
  }
  std::vector<std::shared_ptr<Session>> all;
  {
    std::lock_guard<std::mutex> lock(core_->mutex);
    core_->stopped = true;
    all.swap(core_->sessions);
    for (const auto& session : all) {
      session->release(*core_);
    }
    core_->status_frames.clear();
    core_->status_wanted = false;
  }
  for (const auto& session : all) {
    session->detach(true);
  }
}

void StreamHub::tick() {
  const int64_t now = core_->now_ms();
  std::vector<std::shared_ptr<Session>> gone;
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard<std::mutex> lock(core_->mutex);
    core_->ring.expire(now);
    auto keep = std::partition(core_->sessions.begin(), core_->sessions.end(),
                               [](const std::shared_ptr<Session>& s) { return !s->dead(); });
    gone.assign(keep, core_->sessions.end());
    core_->sessions.erase(keep, core_->sessions.end());
    for (const auto& session : gone) {
      session->release(*core_);
    }
    if (core_->status_sessions == 0) {
      core_->status_frames.clear(); // stale once nobody keeps it current; refilled within a second
      core_->status_wanted = false;
    }
    live = core_->sessions;
  }
  for (const auto& session : live) {
    session->idle(*core_, now);
  }
  for (const auto& session : gone) {
    session->detach(false);
  }
}

namespace {

// The event as every client gets it: its webhook body in one SSE frame.
RingEvent ringEventOf(const journal::JournalEntry& entry, int64_t added_ms) {
  nlohmann::json data = nlohmann::json::parse(entry.payload_json, nullptr, false);
  if (!data.is_object()) {
    data = nlohmann::json::object();
  }
  const std::string body = dumpJson(
      notifications::makeNotification(entry.event_id, entry.type, entry.timestamp_ms, std::move(data)));
  RingEvent event;
  event.event_id = entry.event_id;
  event.type = entry.type;
  event.printer_id = entry.printer_id;
  event.added_ms = added_ms;
  event.frame = std::make_shared<const std::string>(sseFrame(entry.event_id, entry.type, body));
  return event;
}

} // namespace

void StreamHub::publish(const journal::JournalEntry& entry) {
  const int64_t now = core_->now_ms();
  RingEvent event = ringEventOf(entry, now);
  const std::shared_ptr<const std::string> frame = event.frame;
  // Into the ring and the list of recipients at once (a client opening now either is in the list or
  // finds the event in the ring); the writes happen without the hub's lock.
  std::vector<std::shared_ptr<Session>> recipients;
  {
    std::lock_guard<std::mutex> lock(core_->mutex);
    if (!core_->ring.push(std::move(event))) {
      return; // handed over twice (a restart before the pump stored its cursor): clients have it
    }
    if (core_->wall_ms && entry.timestamp_ms > 0) {
      core_->delay.observe(static_cast<double>(core_->wall_ms() - entry.timestamp_ms) / 1000.0);
    }
    recipients.reserve(core_->sessions.size());
    for (const auto& session : core_->sessions) {
      if (session->sees(entry.type, entry.printer_id)) {
        recipients.push_back(session);
      }
    }
  }
  if (core_->fan_running) {
    std::array<std::vector<std::shared_ptr<Session>>, kFanOutThreads> split;
    for (auto& session : recipients) {
      split[session->shard()].push_back(std::move(session));
    }
    for (size_t i = 0; i < kFanOutThreads; ++i) {
      if (split[i].empty()) {
        continue;
      }
      Core::FanShard& shard = core_->shards[i];
      core_->fanJobsAdd(1);
      {
        std::lock_guard<std::mutex> lock(shard.mutex);
        shard.queue.push_back(Core::FanOut{frame, std::move(split[i]), now});
      }
      shard.cv.notify_one();
    }
    return;
  }
  for (const auto& session : recipients) { // not started (or stopped): on this thread
    session->deliver(*core_, *frame, now);
  }
}

void StreamHub::seed(const std::vector<journal::JournalEntry>& entries, int64_t wall_now_ms) {
  const int64_t now = core_->now_ms();
  std::lock_guard<std::mutex> lock(core_->mutex);
  for (const journal::JournalEntry& entry : entries) {
    const int64_t age_ms = std::max<int64_t>(0, wall_now_ms - entry.timestamp_ms);
    if (age_ms > core_->settings.ring_age_ms) {
      continue;
    }
    core_->ring.push(ringEventOf(entry, now - age_ms));
  }
}

printers::StatusListener StreamHub::statusListener() {
  std::weak_ptr<Core> weak = core_;
  printers::StatusListener listener;
  listener.wanted = [weak] {
    auto core = weak.lock();
    return core && core->status_wanted.load();
  };
  listener.deliver = [weak](const std::vector<printers::PrinterRegistry::StatusChange>& changed,
                            const std::vector<int64_t>& removed) {
    auto core = weak.lock();
    if (!core) {
      return;
    }
    std::vector<std::pair<int64_t, std::shared_ptr<const std::string>>> frames;
    frames.reserve(changed.size());
    for (const auto& change : changed) {
      frames.emplace_back(
          change.id, std::make_shared<const std::string>(sseFrame("", "status", dumpJson(change.status))));
    }
    const int64_t now = core->now_ms();
    std::vector<std::shared_ptr<Session>> sessions;
    {
      std::lock_guard<std::mutex> lock(core->mutex);
      if (core->status_sessions == 0) {
        return;
      }
      for (int64_t id : removed) {
        core->status_frames.erase(id);
      }
      for (const auto& [id, frame] : frames) {
        core->status_frames[id] = frame;
      }
      sessions = core->sessions;
    }
    // One write per client and round (not one per printer), without the hub's lock, in slices with
    // a short pause between them: a round for 1,000 clients is 1,000 writes, and an event arriving
    // meanwhile should not wait for all of them to get the CPU (tests/bench/event_stream).
    std::string batch;
    size_t written = 0;
    const auto yield_until = std::chrono::steady_clock::now() + kStatusYieldPerRound;
    for (const auto& session : sessions) {
      if (written > 0 && written % kStatusSlice == 0) {
        std::this_thread::sleep_for(kStatusSlicePause);
      }
      core->yieldToEvents(yield_until);
      batch.clear();
      size_t count = 0;
      for (const auto& [id, frame] : frames) {
        if (session->seesStatus(id)) {
          batch += *frame;
          ++count;
        }
      }
      if (count > 0) {
        session->deliver(*core, batch, now, count);
        ++written;
      }
    }
  };
  return listener;
}

http::Response StreamHub::open(const http::Principal& principal, StreamFilter filter,
                               std::optional<std::string> last_event_id) {
  {
    std::lock_guard<std::mutex> lock(core_->mutex);
    if (core_->stopped) {
      return http::Response::error(503, "shutting_down", "the server is shutting down");
    }
    auto held = core_->per_key.find(principal.id);
    if (held != core_->per_key.end() && held->second >= core_->settings.per_key_limit) {
      ++core_->refused_key_total;
      http::Response refused =
          http::Response::error(429, "too_many_streams",
                                "this key has " + std::to_string(core_->settings.per_key_limit) +
                                    " event streams open, its limit; close one first");
      refused.headers.emplace_back("Retry-After", "5");
      return refused;
    }
    if (core_->counted >= core_->settings.server_limit) {
      ++core_->refused_server_total;
      http::Response refused =
          http::Response::error(503, "stream_capacity",
                                "the server has " + std::to_string(core_->settings.server_limit) +
                                    " event streams open, its limit; try again later");
      refused.headers.emplace_back("Retry-After", "30");
      return refused;
    }
    ++core_->per_key[principal.id];
    ++core_->counted;
    ++core_->opened_total;
  }
  http::Response response;
  response.status = 200;
  response.content_type = "text/event-stream; charset=utf-8";
  response.headers.emplace_back("Cache-Control", "no-cache");
  response.headers.emplace_back("X-Accel-Buffering", "no"); // nginx: pass events on at once
  response.stream_body =
      std::make_shared<Session>(core_, principal, std::move(filter), std::move(last_event_id));
  return response;
}

size_t StreamHub::endStreamsOf(const std::string& principal_id, const std::string& reason) {
  const std::string last = sseFrame(
      "", "closed",
      dumpJson({{"reason", reason},
                {"detail", "the key this stream was opened with changed; reconnect to authenticate again"}}));
  std::vector<std::shared_ptr<Session>> theirs;
  {
    std::lock_guard<std::mutex> lock(core_->mutex);
    for (const auto& session : core_->sessions) {
      if (session->key() == principal_id && !session->dead()) {
        theirs.push_back(session);
      }
    }
  }
  for (const auto& session : theirs) {
    session->end(last);
  }
  const size_t ended = theirs.size();
  if (ended > 0) {
    core_->logger.info(kComponent,
                       "ended " + std::to_string(ended) + " stream(s) of '" + principal_id + "': " + reason);
    core_->wake();
  }
  return ended;
}

StreamStats StreamHub::stats() const {
  std::lock_guard<std::mutex> lock(core_->mutex);
  StreamStats out;
  out.open = core_->counted;
  out.opened_total = core_->opened_total;
  out.overflowed_total = core_->overflowed_total;
  out.refused_key_limit_total = core_->refused_key_total;
  out.refused_server_limit_total = core_->refused_server_total;
  out.frames_sent_total = core_->frames_total;
  out.ring_size = core_->ring.size();
  out.delay = core_->delay;
  return out;
}

} // namespace bambuddy::stream
