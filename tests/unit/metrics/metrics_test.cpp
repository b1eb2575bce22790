// The Prometheus text writer and the HTTP answer counters behind GET /api/v1/metrics. The
// integration test reads the whole answer with the reference parser; these pin the details.
#include "metrics/exposition.h"
#include "metrics/http_metrics.h"
#include "metrics/process_metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace bambuddy::metrics {
namespace metrics_test {

TEST(Exposition, ValuesAreSpelledAsTheFormatWants) {
  EXPECT_EQ(formatValue(0), "0");
  EXPECT_EQ(formatValue(42), "42");
  EXPECT_EQ(formatValue(-3), "-3");
  EXPECT_EQ(formatValue(0.0005), "0.0005");
  EXPECT_EQ(formatValue(0.1), "0.1");
  EXPECT_EQ(formatValue(1.0 / 3.0), "0.3333333333333333"); // the shortest that reads back the same
  EXPECT_EQ(formatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(formatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(formatValue(std::nan("")), "NaN");
  EXPECT_EQ(formatValue(1e20), "1e+20");
}

TEST(Exposition, LabelValuesCannotBreakALine) {
  Exposition out;
  out.family("bambuddy_x", "Help with a \\ backslash\nand a newline.", "gauge");
  out.sample("bambuddy_x", {{"printer", "A \"quoted\" \\ name\n# TYPE forged gauge"}}, 1.5);
  out.sample("bambuddy_x", {}, uint64_t{7});
  EXPECT_EQ(out.text(), "# HELP bambuddy_x Help with a \\\\ backslash\\nand a newline.\n"
                        "# TYPE bambuddy_x gauge\n"
                        "bambuddy_x{printer=\"A \\\"quoted\\\" \\\\ name\\n# TYPE forged gauge\"} 1.5\n"
                        "bambuddy_x 7\n");
}

TEST(HttpMetrics, CountsByTemplateStatusAndLatency) {
  HttpMetrics metrics;
  http::RouteSpec status_route;
  status_route.pattern = "/api/v1/printers/{id}/status";
  status_route.rate_class = http::RateClass::Read;
  http::RouteSpec start_route;
  start_route.method = http::Method::Post;
  start_route.pattern = "/api/v1/printers/{id}/print/start";
  start_route.rate_class = http::RateClass::Control;
  auto observe = metrics.observer();
  observe(&status_route, http::Method::Get, 200, 0.0004);
  observe(&status_route, http::Method::Get, 200, 0.003);
  observe(&status_route, http::Method::Get, 401, 0.0001);
  observe(&start_route, http::Method::Post, 429, 0.0002);
  observe(nullptr, http::Method::Get, 404, 0.0001); // a path no route matched
  Exposition out;
  metrics.write(out);
  const std::string& text = out.text();
  auto has = [&](const std::string& line) { return text.find(line + "\n") != std::string::npos; };
  EXPECT_TRUE(has(
      "bambuddy_http_requests_total{method=\"GET\",route=\"/api/v1/printers/{id}/status\",status=\"200\"} 2"))
      << text;
  EXPECT_TRUE(has("bambuddy_http_requests_total{method=\"GET\",route=\"/api/v1/printers/{id}/"
                  "status\",status=\"401\"} 1"));
  EXPECT_TRUE(has("bambuddy_http_requests_total{method=\"GET\",route=\"none\",status=\"404\"} 1"));
  // Buckets are cumulative: 0.0001 and 0.0004 are under 0.0005, 0.003 under 0.005.
  EXPECT_TRUE(
      has("bambuddy_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/printers/{id}/"
          "status\",le=\"0.0005\"} 2"));
  EXPECT_TRUE(
      has("bambuddy_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/printers/{id}/"
          "status\",le=\"0.0025\"} 2"));
  EXPECT_TRUE(
      has("bambuddy_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/printers/{id}/"
          "status\",le=\"0.005\"} 3"));
  EXPECT_TRUE(
      has("bambuddy_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/printers/{id}/"
          "status\",le=\"+Inf\"} 3"));
  EXPECT_TRUE(has("bambuddy_http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/printers/{id}/"
                  "status\"} 3"));
  EXPECT_TRUE(has("bambuddy_auth_failures_total 1"));
  EXPECT_TRUE(has("bambuddy_rate_limited_total{class=\"control\"} 1"));
  EXPECT_TRUE(has("bambuddy_rate_limited_total{class=\"read\"} 0"));
}

TEST(ProcessMetrics, ReadTheProcessItself) {
  Exposition out;
  writeProcessMetrics(out);
  const std::string& text = out.text();
  for (const char* name :
       {"process_cpu_seconds_total ", "process_resident_memory_bytes ", "process_open_fds ",
        "process_max_fds ", "process_threads ", "process_start_time_seconds "}) {
    EXPECT_NE(text.find(std::string("\n") + name), std::string::npos) << name << "\n" << text;
  }
  EXPECT_EQ(text.find("\nprocess_threads 0\n"), std::string::npos);
  EXPECT_EQ(text.find("\nprocess_resident_memory_bytes 0\n"), std::string::npos);
}

} // namespace metrics_test
} // namespace bambuddy::metrics
