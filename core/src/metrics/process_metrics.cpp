#include "metrics/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace bambuddy::metrics {

namespace {

struct Stat {
  double cpu_s = 0;
  double start_s = 0; // since the epoch
  double virtual_bytes = 0;
  double resident_bytes = 0;
  double threads = 0;
};

// Seconds since the epoch when the machine booted (/proc/stat btime).
double bootTimeS() {
  std::ifstream in("/proc/stat");
  std::string key;
  while (in >> key) {
    if (key == "btime") {
      double value = 0;
      in >> value;
      return value;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

Stat readStat() {
  Stat out;
  std::ifstream in("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the command name, which is in parentheses and may hold spaces.
  const auto close = text.rfind(')');
  if (close == std::string::npos) {
    return out;
  }
  std::istringstream fields(text.substr(close + 2));
  std::vector<std::string> f;
  std::string field;
  while (fields >> field) {
    f.push_back(field);
  }
  // f[0] is field 3 (state): utime 14, stime 15, num_threads 20, starttime 22, vsize 23, rss 24.
  auto at = [&](int number) {
    return number - 3 < static_cast<int>(f.size()) ? std::stod(f[number - 3]) : 0.0;
  };
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  try {
    out.cpu_s = (at(14) + at(15)) / ticks;
    out.threads = at(20);
    out.start_s = bootTimeS() + at(22) / ticks;
    out.virtual_bytes = at(23);
    out.resident_bytes = at(24) * page;
  } catch (const std::exception&) {
    // A kernel with another layout: leave zeros rather than fail the scrape.
  }
  return out;
}

double openFds() {
  std::error_code ec;
  double count = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++count;
  }
  return count;
}

} // namespace

void writeProcessMetrics(Exposition& out) {
  const Stat stat = readStat();
  out.family("process_cpu_seconds_total", "User and system CPU time of the server process.", "counter");
  out.sample("process_cpu_seconds_total", stat.cpu_s);
  out.family("process_resident_memory_bytes", "Resident memory of the server process.", "gauge");
  out.sample("process_resident_memory_bytes", stat.resident_bytes);
  out.family("process_virtual_memory_bytes", "Virtual memory of the server process.", "gauge");
  out.sample("process_virtual_memory_bytes", stat.virtual_bytes);
  out.family("process_open_fds", "Open file descriptors of the server process.", "gauge");
  out.sample("process_open_fds", openFds());
  rlimit limit{};
  out.family("process_max_fds", "The process' limit of open file descriptors.", "gauge");
  out.sample("process_max_fds",
             getrlimit(RLIMIT_NOFILE, &limit) == 0 ? static_cast<double>(limit.rlim_cur) : 0.0);
  out.family("process_threads", "Threads of the server process.", "gauge");
  out.sample("process_threads", stat.threads);
  out.family("process_start_time_seconds", "When the server process started, in seconds since the epoch.",
             "gauge");
  out.sample("process_start_time_seconds", stat.start_s);
}

} // namespace bambuddy::metrics
