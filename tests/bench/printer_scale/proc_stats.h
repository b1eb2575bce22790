// CPU time and memory of a running process from /proc, for benchmarks that measure other
// processes (the server, the simulators, the broker).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <sys/types.h>
#include <utility>
#include <vector>

namespace bambuddy::bench {

struct ProcSample {
  bool ok = false;     // false when the process is gone or /proc could not be read
  double cpu_s = 0;    // utime + stime of all its threads so far, seconds
  int64_t rss_kib = 0; // VmRSS
  int64_t hwm_kib = 0; // VmHWM: the peak resident set size since the process started
  int64_t threads = 0; // Threads
};

ProcSample sampleProcess(pid_t pid);

// The CPU seconds (utime + stime) this process has used so far (the benchmark's own clients).
double selfCpuSeconds();

// The CPU seconds (utime + stime) of all of `pids` together; those gone count 0.
double cpuSecondsOf(const std::vector<pid_t>& pids);

struct ThreadSample {
  std::string name; // /proc/<pid>/task/<tid>/comm
  double cpu_s = 0;
};
// Every thread of `pid` by thread id.
std::map<pid_t, ThreadSample> sampleThreads(pid_t pid);

// The first child of this process whose command name (/proc/<pid>/comm) is `comm`, or -1.
pid_t findChild(const std::string& comm);

// Machine-wide CPU counters of /proc/stat (all cores): busy and total ticks.
std::pair<uint64_t, uint64_t> machineTicks();

// A fresh admin key for a benchmark's server: bb_ + 43 base64url characters (32 random bytes from
// /dev/urandom), the form auth.apikey accepts.
std::string randomAdminKey();

} // namespace bambuddy::bench
