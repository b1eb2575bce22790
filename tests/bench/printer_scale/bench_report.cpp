#include "bench_report.h"

#include <algorithm>
#include <sstream>

namespace bambuddy::bench {

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double percentileMs(const std::vector<int64_t>& sorted_us, double p) {
  if (sorted_us.empty()) {
    return -1;
  }
  size_t rank = static_cast<size_t>(p / 100.0 * static_cast<double>(sorted_us.size()));
  rank = std::min(rank, sorted_us.size() - 1);
  return static_cast<double>(sorted_us[rank]) / 1000.0;
}

int countOccurrences(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

std::string threadBreakdown(const std::map<pid_t, ThreadSample>& before,
                            const std::map<pid_t, ThreadSample>& after, double window_s) {
  struct NameUsage {
    double total_s = 0;
    double top_s = 0; // the busiest single thread of that name
    int count = 0;
  };
  std::map<std::string, NameUsage> by_name;
  for (const auto& [tid, sample] : after) {
    auto old = before.find(tid);
    const double used = sample.cpu_s - (old != before.end() ? old->second.cpu_s : 0);
    NameUsage& slot = by_name[sample.name];
    slot.total_s += used;
    slot.top_s = std::max(slot.top_s, used);
    ++slot.count;
  }
  std::vector<std::pair<double, std::string>> ranked;
  for (const auto& [name, usage] : by_name) {
    char label[128];
    if (usage.count > 1) {
      std::snprintf(label, sizeof label, "%s x%d (busiest %.1f %%)", name.c_str(), usage.count,
                    100.0 * usage.top_s / window_s);
    } else {
      std::snprintf(label, sizeof label, "%s", name.c_str());
    }
    ranked.emplace_back(100.0 * usage.total_s / window_s, label);
  }
  std::sort(ranked.rbegin(), ranked.rend());
  std::string text;
  for (size_t i = 0; i < ranked.size() && i < 6; ++i) {
    char part[192];
    std::snprintf(part, sizeof part, "%s%s %.1f %%", i == 0 ? "" : ", ", ranked[i].second.c_str(),
                  ranked[i].first);
    text += part;
  }
  return text;
}

void printLogProblems(const std::string& log, int max_lines, const char* indent) {
  std::istringstream lines(log);
  int shown = 0;
  for (std::string line; shown < max_lines && std::getline(lines, line);) {
    if (line.find(" WARN [") != std::string::npos || line.find(" ERROR [") != std::string::npos) {
      std::printf("%s%s\n", indent, line.substr(0, 300).c_str());
      ++shown;
    }
  }
}

} // namespace bambuddy::bench
