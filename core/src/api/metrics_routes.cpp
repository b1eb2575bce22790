#include "api/metrics_routes.h"

#include "api/route_helpers.h"
#include "archives/day_counts.h"
#include "common/time.h"
#include "http/router.h"
#include "journal/journal_pump.h"
#include "metrics/exposition.h"
#include "metrics/http_metrics.h"
#include "metrics/process_metrics.h"
#include "notifications/notification_service.h"
#include "printers/printer_registry.h"
#include "queue/queue_service.h"
#include "storage/database.h"
#include "stream/stream_hub.h"

#include <nlohmann/json.hpp>

#include <map>
#include <set>

namespace bambuddy::api {

namespace {

using metrics::Exposition;
using metrics::Labels;

// States a printer reports (printer_status.cpp); each is written, 0 when no printer is in it, so a
// dashboard's series do not vanish.
const char* const kPrinterStates[] = {"idle",     "preparing", "printing", "paused",
                                      "finished", "failed",    "offline"};

void writePrinters(Exposition& out, printers::PrinterRegistry& registry, const http::Request& request) {
  std::vector<nlohmann::json> statuses;
  for (int64_t id : registry.ids()) {
    if (!printerVisible(request, id)) {
      continue;
    }
    try {
      statuses.push_back(registry.status(id));
    } catch (const std::exception&) {
      // Deleted between ids() and status().
    }
  }
  std::map<std::string, uint64_t> by_state;
  for (const char* state : kPrinterStates) {
    by_state[state] = 0;
  }
  for (const auto& s : statuses) {
    ++by_state[s.value("state", std::string("offline"))];
  }
  out.family("bambuddy_printers", "Printers by state.", "gauge");
  for (const auto& [state, count] : by_state) {
    out.sample("bambuddy_printers", {{"state", state}}, count);
  }
  auto labelsOf = [](const nlohmann::json& s) {
    return Labels{{"printer_id", std::to_string(s.value("id", int64_t{0}))},
                  {"printer", s.value("name", std::string())}};
  };
  out.family("bambuddy_printer_connected", "1 while the server has a live connection to the printer.",
             "gauge");
  for (const auto& s : statuses) {
    out.sample("bambuddy_printer_connected", labelsOf(s), s.value("connected", false) ? 1.0 : 0.0);
  }
  out.family("bambuddy_printer_progress_ratio", "Progress of the current print, 0 to 1.", "gauge");
  for (const auto& s : statuses) {
    if (s.contains("progress") && s["progress"].is_number()) {
      out.sample("bambuddy_printer_progress_ratio", labelsOf(s), s["progress"].get<double>() / 100.0);
    }
  }
  out.family("bambuddy_printer_remaining_seconds", "Time the current print still needs, as the printer says.",
             "gauge");
  for (const auto& s : statuses) {
    if (s.contains("remaining_time") && s["remaining_time"].is_number()) {
      out.sample("bambuddy_printer_remaining_seconds", labelsOf(s), s["remaining_time"].get<double>());
    }
  }
  out.family("bambuddy_printer_temperature_celsius",
             "Temperatures the printer reports, by sensor (nozzle, bed, chamber; *_target for set points).",
             "gauge");
  for (const auto& s : statuses) {
    if (!s.contains("temperatures") || !s["temperatures"].is_object() || !s.value("connected", false)) {
      continue;
    }
    for (const auto& [sensor, value] : s["temperatures"].items()) {
      if (value.is_number()) {
        Labels labels = labelsOf(s);
        labels.emplace_back("sensor", sensor);
        out.sample("bambuddy_printer_temperature_celsius", labels, value.get<double>());
      }
    }
  }
}

void writePrints(Exposition& out, storage::Database& db, const http::Request& request) {
  archives::DayCountFilter filter;
  filter.statuses = {"success", "failed", "cancelled"};
  if (limitedToPrinters(request)) {
    filter.printers_in = request.principal->printer_ids;
  }
  // All time, from the roll-ups: a few dozen rows whatever the archive's size.
  const auto counts = db.read(
      [&](soci::session& session) { return archives::readDayCounts(session, filter, archives::kByStatus); });
  std::map<std::string, uint64_t> prints = {{"success", 0}, {"failed", 0}, {"cancelled", 0}};
  int64_t seconds = 0;
  double grams = 0;
  for (const auto& c : counts) {
    prints[c.status] += static_cast<uint64_t>(c.n);
    seconds += c.seconds;
    grams += c.grams;
  }
  out.family("bambuddy_prints_total",
             "Finished prints in the archive, by result (deleting archives lowers it).", "counter");
  for (const auto& [result, count] : prints) {
    out.sample("bambuddy_prints_total", {{"result", result}}, count);
  }
  out.family("bambuddy_print_seconds_total", "Print time of the finished prints in the archive.", "counter");
  out.sample("bambuddy_print_seconds_total", {}, static_cast<double>(seconds));
  out.family("bambuddy_filament_used_grams_total", "Filament used by the finished prints in the archive.",
             "counter");
  out.sample("bambuddy_filament_used_grams_total", {}, grams);
}

void writeQueue(Exposition& out, queue::QueueService& queue, const http::Request& request) {
  out.family("bambuddy_queue_items", "Print queue items waiting (pending) or printing.", "gauge");
  for (const char* status : {"pending", "printing"}) {
    uint64_t count = 0;
    for (const auto& item : queue.list(std::string(status))) {
      const auto printer = item.assigned_printer_id ? item.assigned_printer_id : item.printer_id;
      count += !printer || printerVisible(request, *printer) ? 1 : 0;
    }
    out.sample("bambuddy_queue_items", {{"status", status}}, count);
  }
}

void writeNotifications(Exposition& out, notifications::NotificationService& service) {
  std::map<int64_t, std::string> names;
  for (const auto& p : service.list()) {
    names[p.value("id", int64_t{0})] = p.value("name", std::string());
  }
  auto labelsOf = [&](int64_t id) {
    auto it = names.find(id);
    return Labels{{"provider_id", std::to_string(id)},
                  {"provider", it == names.end() ? std::string() : it->second}};
  };
  out.family("bambuddy_notification_attempts_total",
             "Delivery attempts since the server started, by provider and outcome (delivered, retryable, "
             "permanent).",
             "counter");
  for (const auto& [key, count] : service.attemptCounts()) {
    Labels labels = labelsOf(key.first);
    labels.emplace_back("outcome", key.second);
    out.sample("bambuddy_notification_attempts_total", labels, count);
  }
  out.family("bambuddy_notification_outbox_depth", "Deliveries not yet sent (pending or waiting to retry).",
             "gauge");
  for (const auto& [id, count] : service.outboxDepth()) {
    out.sample("bambuddy_notification_outbox_depth", labelsOf(id), static_cast<uint64_t>(count));
  }
}

// One histogram series of `family` (buckets, sum and count) from a LatencyHistogram.
void writeHistogram(Exposition& out, const std::string& family, const Labels& labels,
                    const LatencyHistogram& h) {
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kLatencyBucketsS.size(); ++i) {
    cumulative += h.buckets[i];
    Labels with_le = labels;
    with_le.emplace_back("le", metrics::formatValue(kLatencyBucketsS[i]));
    out.sample(family + "_bucket", with_le, cumulative);
  }
  Labels inf = labels;
  inf.emplace_back("le", "+Inf");
  out.sample(family + "_bucket", inf, h.count);
  out.sample(family + "_sum", labels, h.sum_s);
  out.sample(family + "_count", labels, h.count);
}

void writeStreams(Exposition& out, const stream::StreamHub& hub) {
  const stream::StreamStats stats = hub.stats();
  out.family("bambuddy_event_streams", "Event streams (GET /api/v1/events/stream) open now.", "gauge");
  out.sample("bambuddy_event_streams", {}, static_cast<uint64_t>(stats.open));
  out.family("bambuddy_event_streams_opened_total", "Event streams opened since the server started.",
             "counter");
  out.sample("bambuddy_event_streams_opened_total", {}, stats.opened_total);
  out.family("bambuddy_event_stream_refusals_total",
             "Event streams refused at a limit (key: the key's own, server: all streams).", "counter");
  out.sample("bambuddy_event_stream_refusals_total", {{"limit", "key"}}, stats.refused_key_limit_total);
  out.sample("bambuddy_event_stream_refusals_total", {{"limit", "server"}}, stats.refused_server_limit_total);
  out.family("bambuddy_event_stream_overflows_total",
             "Event stream clients dropped for reading too slowly (sent event: overflow).", "counter");
  out.sample("bambuddy_event_stream_overflows_total", {}, stats.overflowed_total);
  out.family("bambuddy_event_stream_frames_total", "Events and status snapshots written to stream clients.",
             "counter");
  out.sample("bambuddy_event_stream_frames_total", {}, stats.frames_sent_total);
  out.family("bambuddy_event_stream_delay_seconds",
             "From an event being decided to the event stream receiving it for its clients (the journal "
             "pipeline ahead of the stream).",
             "histogram");
  writeHistogram(out, "bambuddy_event_stream_delay_seconds", {}, stats.delay);
}

void writeJournalStages(Exposition& out, const journal::JournalPump& pump) {
  out.family("bambuddy_journal_stage_seconds",
             "Where a journal entry's time goes: stage=\"pickup\" from the event being decided to the pump "
             "reading it, then each consumer's handling of it (archives, queue, notifications, stream, bus).",
             "histogram");
  for (const journal::JournalStage& stage : pump.stages()) {
    writeHistogram(out, "bambuddy_journal_stage_seconds", {{"stage", stage.name}}, stage.times);
  }
}

} // namespace

void addMetricsRoute(http::Router& router, MetricsSources sources) {
  router.add(
      {http::Method::Get, "/api/v1/metrics", "statistics:read", http::RateClass::Read,
       "The server in the Prometheus text format (printers, prints, queue, notifications, HTTP, process)",
       [sources](const http::Request& request) {
         Exposition out;
         out.family("bambuddy_build_info", "The server's version (always 1).", "gauge");
         out.sample("bambuddy_build_info", {{"version", sources.version}}, uint64_t{1});
         writePrinters(out, sources.printers, request);
         writePrints(out, sources.database, request);
         writeQueue(out, sources.queue, request);
         writeNotifications(out, sources.notifications);
         if (sources.streams != nullptr) {
           writeStreams(out, *sources.streams);
         }
         if (sources.journal != nullptr) {
           writeJournalStages(out, *sources.journal);
         }
         sources.http.write(out);
         metrics::writeProcessMetrics(out);
         http::Response response;
         response.content_type = "text/plain; version=0.0.4; charset=utf-8";
         response.body = out.take();
         return response;
       }});
}

} // namespace bambuddy::api
