#include "metrics/http_metrics.h"

#include <algorithm>

namespace bambuddy::metrics {

namespace {

constexpr std::string_view kNoRoute = "none";

} // namespace

void HttpMetrics::observe(const http::RouteSpec* route, http::Method method, int status, double seconds) {
  const std::string_view pattern = route ? std::string_view(route->pattern) : kNoRoute;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = routes_.find(pattern);
  if (it == routes_.end()) {
    it = routes_.emplace(std::string(pattern), PerRoute{}).first;
    it->second.rate_class = route ? std::string(http::rateClassName(route->rate_class)) : "none";
  }
  PerMethod& per = it->second.by_method[static_cast<int>(method)];
  ++per.by_status[status];
  const auto bucket = std::lower_bound(kBucketsS.begin(), kBucketsS.end(), seconds);
  if (bucket != kBucketsS.end()) {
    ++per.latency.buckets[static_cast<size_t>(bucket - kBucketsS.begin())];
  }
  ++per.latency.count;
  per.latency.sum_s += seconds;
  if (status == 401) {
    ++auth_failures_;
  } else if (status == 429) {
    ++rate_limited_[it->second.rate_class];
  }
}

http::ResponseObserver HttpMetrics::observer() {
  return [this](const http::RouteSpec* route, http::Method method, int status, double seconds) {
    observe(route, method, status, seconds);
  };
}

void HttpMetrics::write(Exposition& out) const {
  std::lock_guard<std::mutex> lock(mutex_);
  out.family("bambuddy_http_requests_total", "HTTP answers by method, route template and status code.",
             "counter");
  for (const auto& [pattern, route] : routes_) {
    for (const auto& [method, per] : route.by_method) {
      const std::string name(http::methodName(static_cast<http::Method>(method)));
      for (const auto& [status, count] : per.by_status) {
        out.sample("bambuddy_http_requests_total",
                   {{"method", name}, {"route", pattern}, {"status", std::to_string(status)}}, count);
      }
    }
  }
  out.family("bambuddy_http_request_duration_seconds",
             "Time from a request's arrival to its answer, by method and route template.", "histogram");
  for (const auto& [pattern, route] : routes_) {
    for (const auto& [method, per] : route.by_method) {
      const std::string name(http::methodName(static_cast<http::Method>(method)));
      uint64_t cumulative = 0;
      for (size_t i = 0; i < kBucketsS.size(); ++i) {
        cumulative += per.latency.buckets[i];
        out.sample("bambuddy_http_request_duration_seconds_bucket",
                   {{"method", name}, {"route", pattern}, {"le", formatValue(kBucketsS[i])}}, cumulative);
      }
      out.sample("bambuddy_http_request_duration_seconds_bucket",
                 {{"method", name}, {"route", pattern}, {"le", "+Inf"}}, per.latency.count);
      out.sample("bambuddy_http_request_duration_seconds_sum", {{"method", name}, {"route", pattern}},
                 per.latency.sum_s);
      out.sample("bambuddy_http_request_duration_seconds_count", {{"method", name}, {"route", pattern}},
                 per.latency.count);
    }
  }
  out.family("bambuddy_auth_failures_total",
             "Requests answered 401: no API key, or an unknown, revoked or expired one.", "counter");
  out.sample("bambuddy_auth_failures_total", {}, auth_failures_);
  out.family("bambuddy_rate_limited_total", "Requests answered 429, by the route's rate class.", "counter");
  for (const char* rate_class : {"read", "write", "control", "none"}) {
    auto it = rate_limited_.find(rate_class);
    out.sample("bambuddy_rate_limited_total", {{"class", rate_class}},
               it == rate_limited_.end() ? uint64_t{0} : it->second);
  }
}

} // namespace bambuddy::metrics
