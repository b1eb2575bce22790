#include "proc_stats.h"

#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/resource.h>
#include <unistd.h>

namespace bambuddy::bench {
namespace {

std::string readAll(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The kB number after `key` ("VmRSS:") in /proc/<pid>/status, or -1.
int64_t statusField(const std::string& status, const std::string& key) {
  size_t at = status.find("\n" + key);
  if (at == std::string::npos) {
    return -1;
  }
  return std::strtoll(status.c_str() + at + key.size() + 1, nullptr, 10);
}

// utime + stime in seconds from a /proc .../stat file; -1 when unreadable.
double cpuSeconds(const std::string& stat_path) {
  const std::string stat = readAll(stat_path);
  // The command name is in parentheses and may contain spaces: fields are counted after ')'.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) {
    return -1;
  }
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  // After ')': state(3) ppid(4) ... utime is field 14, stime 15 (1-based over the whole line).
  for (int index = 3; index <= 15 && fields >> field; ++index) {
    if (index == 14) {
      utime = std::stoull(field);
    } else if (index == 15) {
      stime = std::stoull(field);
    }
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

} // namespace

ProcSample sampleProcess(pid_t pid) {
  ProcSample sample;
  const std::string base = "/proc/" + std::to_string(pid);
  const double cpu_s = cpuSeconds(base + "/stat");
  if (cpu_s < 0) {
    return sample;
  }
  const std::string status = readAll(base + "/status");
  sample.cpu_s = cpu_s;
  sample.rss_kib = statusField(status, "VmRSS:");
  sample.hwm_kib = statusField(status, "VmHWM:");
  sample.threads = statusField(status, "Threads:");
  sample.ok = sample.rss_kib >= 0;
  return sample;
}

double selfCpuSeconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

double cpuSecondsOf(const std::vector<pid_t>& pids) {
  double total = 0;
  for (pid_t pid : pids) {
    total += sampleProcess(pid).cpu_s;
  }
  return total;
}

std::map<pid_t, ThreadSample> sampleThreads(pid_t pid) {
  std::map<pid_t, ThreadSample> threads;
  const std::string base = "/proc/" + std::to_string(pid) + "/task";
  DIR* tasks = opendir(base.c_str());
  if (tasks == nullptr) {
    return threads;
  }
  while (dirent* entry = readdir(tasks)) {
    const pid_t tid = static_cast<pid_t>(std::strtol(entry->d_name, nullptr, 10));
    if (tid <= 0) {
      continue;
    }
    const std::string dir = base + "/" + entry->d_name;
    ThreadSample sample;
    sample.cpu_s = cpuSeconds(dir + "/stat");
    sample.name = readAll(dir + "/comm");
    if (!sample.name.empty() && sample.name.back() == '\n') {
      sample.name.pop_back();
    }
    if (sample.cpu_s >= 0) {
      threads[tid] = sample;
    }
  }
  closedir(tasks);
  return threads;
}

pid_t findChild(const std::string& comm) {
  DIR* proc = opendir("/proc");
  if (proc == nullptr) {
    return -1;
  }
  const pid_t self = getpid();
  pid_t found = -1;
  while (dirent* entry = readdir(proc)) {
    const pid_t pid = static_cast<pid_t>(std::strtol(entry->d_name, nullptr, 10));
    if (pid <= 0) {
      continue;
    }
    const std::string base = std::string("/proc/") + entry->d_name;
    std::string name = readAll(base + "/comm");
    if (!name.empty() && name.back() == '\n') {
      name.pop_back();
    }
    if (name != comm) {
      continue;
    }
    const std::string stat = readAll(base + "/stat");
    const size_t close = stat.rfind(')');
    std::istringstream fields(close == std::string::npos ? "" : stat.substr(close + 2));
    std::string state;
    long ppid = 0;
    if (fields >> state >> ppid && ppid == self) {
      found = pid;
      break;
    }
  }
  closedir(proc);
  return found;
}

std::pair<uint64_t, uint64_t> machineTicks() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  uint64_t value = 0, total = 0, idle = 0;
  in >> cpu;
  for (int field = 0; field < 10 && in >> value; ++field) {
    total += field < 8 ? value : 0; // guest times are already inside user/nice
    if (field == 3 || field == 4) {
      idle += value; // idle, iowait
    }
  }
  return {total - idle, total};
}

std::string randomAdminKey() {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::ifstream random("/dev/urandom", std::ios::binary);
  unsigned char bytes[33] = {};
  random.read(reinterpret_cast<char*>(bytes), 32);
  if (!random) {
    throw std::runtime_error("cannot read /dev/urandom");
  }
  std::string key = "bb_";
  for (int i = 0; i < 33; i += 3) { // the 33rd byte is zero padding for the last group
    const uint32_t group = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    for (int shift = 18; shift >= 0; shift -= 6) {
      key += kAlphabet[(group >> shift) & 63];
    }
  }
  key.resize(3 + 43);
  return key;
}

} // namespace bambuddy::bench
