#include "job_driver.h"

#include <sstream>

namespace bambuddy::bench {
namespace {

int64_t steadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

} // namespace

JobDriver::JobDriver(std::vector<testing::BambuSimProcess*> sims, std::vector<std::string> serials,
                     int printers_per_sim, std::map<std::string, int64_t> ids, JobPlan plan)
    : sims_(std::move(sims)), serials_(std::move(serials)), printers_per_sim_(printers_per_sim),
      ids_(std::move(ids)), plan_(plan), jobs_(serials_.size()), cursors_(sims_.size(), 0) {
  for (size_t i = 0; i < serials_.size(); ++i) {
    index_[serials_[i]] = i;
  }
  for (size_t s = 0; s < sims_.size(); ++s) {
    cursors_[s] = sims_[s]->mark(); // lines before the soak (connects) are not ours
  }
}

JobDriver::~JobDriver() {
  stop_ = true;
  join();
}

void JobDriver::start() {
  // Spread the first starts over one cycle, so starts and ends do not come in waves.
  const int64_t now = steadyMs();
  const int64_t cycle_ms = int64_t{plan_.job_s + plan_.idle_s} * 1000;
  for (size_t i = 0; i < jobs_.size(); ++i) {
    jobs_[i].next_start_ms = now + cycle_ms * static_cast<int64_t>(i) / static_cast<int64_t>(jobs_.size());
  }
  thread_ = std::thread([this] { loop(); });
}

void JobDriver::stopStarting() {
  starting_ = false;
}

bool JobDriver::idle() const {
  return running_ == 0;
}

void JobDriver::join() {
  stop_ = true;
  if (thread_.joinable()) {
    thread_.join();
  }
}

std::vector<ExpectedEvent> JobDriver::expected() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return expected_;
}

void JobDriver::loop() {
  while (!stop_) {
    const int64_t now = steadyMs();
    readLines(now);
    if (starting_) {
      for (size_t i = 0; i < jobs_.size(); ++i) {
        PrinterJob& p = jobs_[i];
        if (p.running || p.next_start_ms < 0 || p.next_start_ms > now) {
          continue;
        }
        ++p.job;
        p.running = true;
        p.next_start_ms = -1;
        ++running_;
        ++jobs_started_;
        sims_[i / static_cast<size_t>(printers_per_sim_)]->send("@" + serials_[i] + " start soak_" +
                                                                std::to_string(p.job) + ".3mf " +
                                                                std::to_string(plan_.job_s));
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void JobDriver::readLines(int64_t now_ms) {
  for (size_t s = 0; s < sims_.size(); ++s) {
    const std::vector<std::string> lines = sims_[s]->lines(cursors_[s]);
    cursors_[s] += lines.size();
    for (const std::string& line : lines) {
      if (line.rfind("sent ", 0) == 0) {
        ++traced_reports_;
      } else if (line.rfind("state ", 0) == 0) {
        std::istringstream words(line.substr(6));
        std::string serial, state;
        int64_t us = 0;
        if (words >> serial >> state >> us) {
          onState(serial, state, us, now_ms);
        }
      } else if (line.rfind("error start", 0) == 0) {
        // `start` refused (the printer was busy): that job never ran and causes no event.
        ++start_refusals_;
        std::istringstream words(line.substr(12));
        std::string serial;
        words >> serial;
        if (!serial.empty() && serial.back() == ':') {
          serial.pop_back();
        }
        auto it = index_.find(serial);
        if (it != index_.end() && jobs_[it->second].running) {
          jobs_[it->second].running = false;
          jobs_[it->second].next_start_ms = now_ms + int64_t{plan_.idle_s} * 1000;
          --running_;
        }
      }
    }
  }
}

void JobDriver::onState(const std::string& serial, const std::string& state, int64_t us, int64_t now_ms) {
  auto it = index_.find(serial);
  auto id = ids_.find(serial);
  if (it == index_.end() || id == ids_.end()) {
    ++unexpected_states_;
    return;
  }
  PrinterJob& p = jobs_[it->second];
  std::string event;
  if (state == "PREPARE") {
    event = "print_started";
  } else if (state == "FINISH") {
    event = "print_complete";
  } else if (state == "FAILED") {
    event = "print_failed";
  } else {
    return; // RUNNING, IDLE: no lifecycle event the providers subscribe to
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    expected_.push_back({id->second, event, p.job, us});
  }
  if (event != "print_started" && p.running) {
    p.running = false;
    p.next_start_ms = now_ms + int64_t{plan_.idle_s} * 1000;
    --running_;
  }
}

} // namespace bambuddy::bench
