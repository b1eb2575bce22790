// A fixed-bucket latency histogram (1 ms to 5 s) for pipeline stages the metrics route exposes
// (bambuddy_journal_stage_seconds, bambuddy_event_stream_delay_seconds). Not thread-safe: its owner
// guards it.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

namespace bambuddy {

// Upper bounds, in seconds, of LatencyHistogram's buckets.
inline constexpr std::array<double, 12> kLatencyBucketsS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                            0.1,   0.25,   0.5,   1.0,  2.5,   5.0};

struct LatencyHistogram {
  std::array<uint64_t, kLatencyBucketsS.size() + 1> buckets{}; // not cumulative; the last is above 5 s
  uint64_t count = 0;
  double sum_s = 0;

  void observe(double seconds) {
    seconds = std::max(0.0, seconds);
    const auto bucket = std::lower_bound(kLatencyBucketsS.begin(), kLatencyBucketsS.end(), seconds);
    ++buckets[static_cast<size_t>(bucket - kLatencyBucketsS.begin())];
    ++count;
    sum_s += seconds;
  }
};

} // namespace bambuddy
