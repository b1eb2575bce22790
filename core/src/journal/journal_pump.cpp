#include "journal/journal_pump.h"

#include "common/logger.h"
#include "common/time.h"

#include <algorithm>
#include <chrono>
#include <limits>

namespace bambuddy::journal {

namespace {

constexpr const char* kComponent = "journal";
constexpr int kBatch = 256;
constexpr int64_t kMaxRetryPauseMs = 5000;
constexpr int64_t kTrimEveryMs = 10 * 60 * 1000;
constexpr int64_t kRetentionMs = 24 * 3600 * 1000; // handled entries stay a day (event stream resume)

} // namespace

JournalPump::JournalPump(EventJournal& journal, Logger& logger) : journal_(journal), logger_(logger) {
  stages_.push_back(JournalStage{"pickup", {}});
}

JournalPump::~JournalPump() {
  stop();
}

void JournalPump::addConsumer(JournalConsumer consumer) {
  {
    std::lock_guard<std::mutex> lock(stages_mutex_);
    stages_.push_back(JournalStage{consumer.name, {}});
  }
  consumers_.push_back(std::move(consumer));
}

std::vector<JournalStage> JournalPump::stages() const {
  std::lock_guard<std::mutex> lock(stages_mutex_);
  return stages_;
}

std::vector<std::string> JournalPump::consumerNames() const {
  std::vector<std::string> names;
  for (const JournalConsumer& c : consumers_) {
    if (storesCursor(c)) {
      names.push_back(c.name);
    }
  }
  return names;
}

void JournalPump::loadCursors() {
  if (cursors_loaded_ || thread_.joinable()) {
    return;
  }
  cursors_.clear();
  int64_t lowest = -1;
  for (const JournalConsumer& c : consumers_) {
    cursors_.push_back(storesCursor(c) ? journal_.cursorOrEnd(c.name) : 0);
    if (storesCursor(c)) {
      lowest = lowest < 0 ? cursors_.back() : std::min(lowest, cursors_.back());
    }
  }
  // Shared journal: this instance's own consumers start where the farm's are (what came before
  // was shown by whichever instance ran then).
  for (size_t i = 0; i < consumers_.size(); ++i) {
    if (!storesCursor(consumers_[i])) {
      cursors_[i] = std::max<int64_t>(0, lowest);
    }
  }
  was_leading_ = !shared_ || leading_.load();
  done_seq_ = std::max<int64_t>(0, lowest);
  cursors_loaded_ = true;
}

void JournalPump::start() {
  if (thread_.joinable()) {
    return;
  }
  loadCursors();
  cursors_loaded_ = false; // a start() after stop() reads the stored cursors again
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void JournalPump::stop() {
  stopping_ = true;
  journal_.wake();
  if (thread_.joinable()) {
    thread_.join();
  }
}

bool JournalPump::waitIdle(int64_t timeout_ms) {
  const int64_t deadline = monotonicMs() + timeout_ms;
  const int64_t target = journal_.lastSeq();
  while (done_seq_.load() < target) {
    if (monotonicMs() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

void JournalPump::setShared(int64_t poll_ms) {
  shared_ = true;
  poll_ms_ = std::max<int64_t>(10, poll_ms);
  leading_ = false;
}

void JournalPump::setLeading(bool leading) {
  leading_ = leading;
  journal_.wake();
}

void JournalPump::storeCursors() {
  const std::vector<std::string> names = consumerNames();
  std::vector<int64_t> seqs;
  for (size_t i = 0; i < consumers_.size(); ++i) {
    if (storesCursor(consumers_[i])) {
      seqs.push_back(cursors_[i]);
    }
  }
  for (int64_t pause_ms = 50;; pause_ms = std::min(kMaxRetryPauseMs, pause_ms * 2)) {
    try {
      journal_.setCursors(names, seqs);
      return;
    } catch (const std::exception& e) {
      logger_.warn(kComponent, std::string("storing the journal cursors failed: ") + e.what());
      if (stopping_) {
        return;
      }
      journal_.waitBeyond(std::numeric_limits<int64_t>::max(), pause_ms);
    }
  }
}

bool JournalPump::handleWithRetry(size_t index, JournalEntry& entry) {
  int64_t pause_ms = 50;
  while (!stopping_) {
    try {
      consumers_[index].handle(entry);
      return true;
    } catch (const std::exception& e) {
      logger_.warn(kComponent, consumers_[index].name + " could not handle " + entry.type + " (" +
                                   entry.event_id + "), retrying in " + std::to_string(pause_ms) +
                                   " ms: " + e.what());
    }
    journal_.waitBeyond(std::numeric_limits<int64_t>::max(), pause_ms); // woken early only by stop()
    pause_ms = std::min(kMaxRetryPauseMs, pause_ms * 2);
  }
  return false;
}

void JournalPump::run() {
  int64_t last_trim_ms = monotonicMs();
  while (!stopping_) {
    const bool leading = !shared_ || leading_.load();
    if (leading && !was_leading_) {
      // The lead came here: the farm consumers go on from where the previous leader stored them.
      try {
        for (size_t i = 0; i < consumers_.size(); ++i) {
          if (consumers_[i].farm) {
            cursors_[i] = journal_.cursorOrEnd(consumers_[i].name);
          }
        }
      } catch (const std::exception& e) {
        logger_.warn(kComponent, std::string("reading the journal cursors failed: ") + e.what());
        journal_.waitBeyond(std::numeric_limits<int64_t>::max(), 1000);
        continue;
      }
      logger_.info(kComponent, "this instance now runs the farm's journal consumers");
    } else if (!leading && was_leading_) {
      logger_.info(kComponent, "another instance runs the farm's journal consumers now");
    }
    was_leading_ = leading;

    // The consumers that run here, and how far they may go.
    int64_t lowest = std::numeric_limits<int64_t>::max();
    for (size_t i = 0; i < consumers_.size(); ++i) {
      if (leading || !consumers_[i].farm) {
        lowest = std::min(lowest, cursors_[i]);
      }
    }
    if (lowest == std::numeric_limits<int64_t>::max()) {
      lowest = done_seq_.load();
    }
    std::vector<JournalEntry> batch;
    int64_t limit = std::numeric_limits<int64_t>::max();
    try {
      if (!leading) {
        // What the leader's consumers have passed (beyond it an entry may still get its archive_id).
        limit = journal_.lowestCursor(consumerNames());
      }
      if (limit > lowest) {
        batch = journal_.readAfter(lowest, kBatch);
      }
    } catch (const std::exception& e) {
      logger_.warn(kComponent, std::string("reading the event journal failed: ") + e.what());
      journal_.waitBeyond(std::numeric_limits<int64_t>::max(), 1000);
      continue;
    }
    while (!batch.empty() && batch.back().seq > limit) {
      batch.pop_back();
    }
    if (batch.empty()) {
      if (leading && monotonicMs() - last_trim_ms >= kTrimEveryMs) {
        last_trim_ms = monotonicMs();
        try {
          journal_.trim(consumerNames(), nowUtcMs() - kRetentionMs);
        } catch (const std::exception& e) {
          logger_.warn(kComponent, std::string("trimming the event journal failed: ") + e.what());
        }
      }
      // A follower sleeps its poll: what it waits for is the leader's progress, which wakes nothing here.
      journal_.waitBeyond(leading ? lowest : std::numeric_limits<int64_t>::max(), shared_ ? poll_ms_ : 1000);
      continue;
    }
    std::vector<int64_t> stored = cursors_;
    bool stopped = false;
    for (JournalEntry& entry : batch) {
      if (entry.timestamp_ms > 0) {
        std::lock_guard<std::mutex> lock(stages_mutex_);
        stages_[0].times.observe(static_cast<double>(nowUtcMs() - entry.timestamp_ms) / 1000.0);
      }
      for (size_t i = 0; i < consumers_.size() && !stopped; ++i) {
        if (entry.seq <= cursors_[i] || (!leading && consumers_[i].farm)) {
          continue;
        }
        if (shared_ && consumers_[i].farm && !leading_.load()) {
          stopped = true; // the lead went elsewhere mid-batch: the next leader goes on from the stored cursor
          break;
        }
        const auto started = std::chrono::steady_clock::now();
        if (!handleWithRetry(i, entry)) {
          stopped = true; // stopping: this consumer's cursor stays before this entry
          break;
        }
        const double took_s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        {
          std::lock_guard<std::mutex> lock(stages_mutex_);
          stages_[i + 1].times.observe(took_s);
        }
        cursors_[i] = entry.seq;
      }
      if (stopped) {
        break;
      }
    }
    // One write per batch for every cursor that moved. A crash before it hands the batch over
    // again: every consumer is written to tolerate entries it has handled (see the header).
    if (cursors_ != stored && leading) {
      storeCursors();
    }
    if (stopped) {
      if (stopping_) {
        return;
      }
      continue;
    }
    done_seq_ = batch.back().seq;
  }
}

} // namespace bambuddy::journal
