// The server process as Prometheus' standard process_* metrics (the names every client library
// and Grafana dashboard uses): resident and virtual memory, CPU seconds, open and allowed file
// descriptors, threads, start time. Read from /proc/self at scrape time; Linux only, like the server.
#pragma once

#include "metrics/exposition.h"

namespace bambuddy::metrics {

void writeProcessMetrics(Exposition& out);

} // namespace bambuddy::metrics
