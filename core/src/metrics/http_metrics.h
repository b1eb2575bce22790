// Counts the HTTP layer's answers for GET /api/v1/metrics: requests by method, route template and
// status; a latency histogram by method and route; 401 answers (authentication failures) and 429
// answers (rate-limit refusals, by rate class).
//
// Labels are the route's template ("/api/v1/printers/{id}"), never the path as sent, and "none" for
// a path no route matched: a client cannot grow the label set by inventing paths.
//
// Threading: observe() runs on HTTP workers and reactor threads for every answer; one mutex, held
// for a map lookup and a few additions. write() runs on the scraping request's worker.
#pragma once

#include "http/http_types.h"
#include "metrics/exposition.h"

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace bambuddy::metrics {

class HttpMetrics {
public:
  // Upper bounds of the latency buckets, in seconds (the last, +Inf, is implicit).
  static constexpr std::array<double, 12> kBucketsS = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                       0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

  void observe(const http::RouteSpec* route, http::Method method, int status, double seconds);
  void write(Exposition& out) const;

  // A callback for HttpServer::setObserver that feeds this object (which must outlive the server).
  http::ResponseObserver observer();

private:
  struct Histogram {
    std::array<uint64_t, kBucketsS.size()> buckets{}; // not cumulative; summed when written
    uint64_t count = 0;
    double sum_s = 0;
  };
  struct PerMethod {
    std::map<int, uint64_t> by_status;
    Histogram latency;
  };
  struct PerRoute {
    std::string rate_class;
    std::map<int, PerMethod> by_method; // http::Method as int
  };

  mutable std::mutex mutex_;
  std::map<std::string, PerRoute, std::less<>> routes_;
  uint64_t auth_failures_ = 0;
  std::map<std::string, uint64_t> rate_limited_; // by rate class
};

} // namespace bambuddy::metrics
