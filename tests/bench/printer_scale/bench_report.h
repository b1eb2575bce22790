// What the benchmark programs that drive the real server print (printer_scale, soak): percentiles,
// the server's CPU by thread, its WARN/ERROR log lines, and the usage text on a bad option.
#pragma once

#include "proc_stats.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace bambuddy::bench {

double secondsSince(std::chrono::steady_clock::time_point start);

// The p-th percentile (0..100) of `sorted_us` (ascending microseconds) in milliseconds; -1 when empty.
double percentileMs(const std::vector<int64_t>& sorted_us, double p);

int countOccurrences(const std::string& text, const std::string& needle);

// Where a process's CPU went in a window, by thread name (threads sharing a name are summed, their
// busiest named apart), busiest first, the top six: "http x4 (busiest 12.0 %) 40.1 %, bus 9.5 %".
std::string threadBreakdown(const std::map<pid_t, ThreadSample>& before,
                            const std::map<pid_t, ThreadSample>& after, double window_s);

// Prints the first `max_lines` WARN and ERROR lines of a server log (each cut at 300 characters),
// each after `indent`.
void printLogProblems(const std::string& log, int max_lines, const char* indent);

// parse(argc, argv), or nullopt after printing "<program>: <reason>\n<usage>" to stderr when it
// throws (a bad option, --help).
template <class Parse>
auto parseOrUsage(Parse parse, int argc, char** argv, const char* program, const char* usage)
    -> std::optional<decltype(parse(argc, argv))> {
  try {
    return parse(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n%s", program, e.what(), usage);
    return std::nullopt;
  }
}

} // namespace bambuddy::bench
