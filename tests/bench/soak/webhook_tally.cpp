#include "webhook_tally.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>
#include <tuple>

namespace bambuddy::bench {
namespace {

// "soak_12.3mf" or "soak_12" -> 12; -1 for any other name.
int jobOf(const nlohmann::json& filename) {
  if (!filename.is_string()) {
    return -1;
  }
  const std::string name = filename.get<std::string>();
  const size_t at = name.find("soak_");
  if (at == std::string::npos) {
    return -1;
  }
  int job = 0;
  size_t i = at + 5;
  for (; i < name.size() && name[i] >= '0' && name[i] <= '9' && job < 100000000; ++i) {
    job = job * 10 + (name[i] - '0');
  }
  return i == at + 5 ? -1 : job;
}

// Within one printer the events of job n come before those of job n + 1, and a start before its end.
int64_t orderRank(const std::string& event, int job) {
  return static_cast<int64_t>(job) * 2 + (event == "print_started" ? 0 : 1);
}

} // namespace

WebhookReceivers::WebhookReceivers(int count) : count_(count), arrivals_(static_cast<size_t>(count)) {
  receivers_ = std::make_unique<PollReceivers>(count, [this](const WebhookRequest& request) {
    Arrival arrival;
    arrival.arrival_us = request.arrival_us;
    arrival.webhook_id = request.webhook_id;
    const nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
    if (body.is_object()) {
      arrival.event = body.value("event", std::string());
      const nlohmann::json& data = body.contains("data") ? body["data"] : nlohmann::json();
      if (data.is_object()) {
        arrival.printer_id = data.value("printer_id", int64_t{0});
        arrival.job = jobOf(data.value("filename", nlohmann::json()));
      }
    }
    std::lock_guard<std::mutex> lock(mutex_);
    arrivals_[static_cast<size_t>(request.receiver)].push_back(std::move(arrival));
  });
}

std::string WebhookReceivers::url(int provider) const {
  return receivers_->url(provider);
}

size_t WebhookReceivers::arrivals() const {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t n = 0;
  for (const auto& list : arrivals_) {
    n += list.size();
  }
  return n;
}

std::vector<Arrival> WebhookReceivers::arrivalsOf(int provider) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return arrivals_.at(static_cast<size_t>(provider));
}

void WebhookReceivers::stop() {
  receivers_->stop();
}

TallyResult tally(const std::vector<ExpectedEvent>& expected, const WebhookReceivers& receivers) {
  using Key = std::tuple<int64_t, std::string, int>; // printer, event, job
  std::map<Key, int64_t> report_us;
  for (const ExpectedEvent& e : expected) {
    report_us.emplace(Key{e.printer_id, e.event, e.job}, e.report_us);
  }
  TallyResult result;
  result.expected = static_cast<uint64_t>(report_us.size()) * static_cast<uint64_t>(receivers.count());
  for (int provider = 0; provider < receivers.count(); ++provider) {
    std::set<std::string> seen_ids;
    std::set<Key> delivered;
    std::map<int64_t, int64_t> highest_rank; // per printer
    for (const Arrival& a : receivers.arrivalsOf(provider)) {
      if (!a.webhook_id.empty() && !seen_ids.insert(a.webhook_id).second) {
        ++result.duplicates;
        continue;
      }
      const Key key{a.printer_id, a.event, a.job};
      auto it = report_us.find(key);
      if (it == report_us.end() || !delivered.insert(key).second) {
        ++result.unexpected;
        continue;
      }
      const int64_t rank = orderRank(a.event, a.job);
      auto [high, first] = highest_rank.emplace(a.printer_id, rank);
      if (!first) {
        if (rank < high->second) {
          ++result.out_of_order;
        }
        high->second = std::max(high->second, rank);
      }
      const int64_t latency = a.arrival_us - it->second;
      result.latency_us[a.event].push_back(latency);
      result.latency_us["all"].push_back(latency);
    }
    result.delivered += delivered.size();
    for (const auto& [key, us] : report_us) {
      if (delivered.count(key) == 0 && result.lost_samples.size() < 5) {
        result.lost_samples.push_back("provider " + std::to_string(provider + 1) + ": printer " +
                                      std::to_string(std::get<0>(key)) + " " + std::get<1>(key) + " soak_" +
                                      std::to_string(std::get<2>(key)));
      }
    }
  }
  result.lost = result.expected - result.delivered;
  for (auto& [event, values] : result.latency_us) {
    std::sort(values.begin(), values.end());
  }
  return result;
}

} // namespace bambuddy::bench
