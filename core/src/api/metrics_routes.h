// GET /api/v1/metrics: the server in the Prometheus text format, for a Prometheus scrape job that
// sends a statistics:read key as `Authorization: Bearer`. Names and labels follow Prometheus'
// conventions (bambuddy_ prefix, _total for counters, base units); docs/integrations.md lists them.
#pragma once

#include <functional>
#include <string>

namespace bambuddy::http {
class Router;
}
namespace bambuddy::storage {
class Database;
}
namespace bambuddy::printers {
class PrinterRegistry;
}
namespace bambuddy::queue {
class QueueService;
}
namespace bambuddy::notifications {
class NotificationService;
}
namespace bambuddy::metrics {
class HttpMetrics;
}
namespace bambuddy::stream {
class StreamHub;
}
namespace bambuddy::journal {
class JournalPump;
}

namespace bambuddy::api {

struct MetricsSources {
  std::string version;
  storage::Database& database;
  printers::PrinterRegistry& printers;
  queue::QueueService& queue;
  notifications::NotificationService& notifications;
  const metrics::HttpMetrics& http;
  const stream::StreamHub* streams = nullptr;    // null: no event stream metrics
  const journal::JournalPump* journal = nullptr; // null: no journal stage metrics
};

// The sources must outlive the router.
void addMetricsRoute(http::Router& router, MetricsSources sources);

} // namespace bambuddy::api
