// Parameters and answer shapes of the routes, for the OpenAPI document. Kept next to each other so
// a new route is described in one place; a unit test lists core routes that have no shape here.
// JSON request bodies are not described here: each route declares its body schema where it is
// registered (http::RouteSpec::body), and openapi.cpp serves that very schema.
#include "api/openapi.h"
#include "settings/settings_service.h"

#include <map>
#include <utility>

namespace bambuddy::api {

namespace {

using nlohmann::json;

json ref(const std::string& name) {
  return {{"$ref", "#/components/schemas/" + name}};
}

json listOf(const std::string& name) {
  json items = {{"type", "array"}, {"items", ref(name)}};
  json narrowed = {{"type", "object"}, {"properties", {{"items", items}}}};
  return {{"allOf", json::array({ref("ListEnvelope"), narrowed})}};
}

json nullable(const std::string& type) {
  return {{"type", {type, "null"}}};
}

const std::vector<std::pair<std::string, std::string>> kPage = {{"limit", "page size, 1-1000 (default 100)"},
                                                                {"offset", "items to skip (default 0)"}};

std::vector<std::pair<std::string, std::string>> page(std::vector<std::pair<std::string, std::string>> more) {
  more.insert(more.end(), kPage.begin(), kPage.end());
  return more;
}

using Key = std::pair<http::Method, std::string>;

// The settings as the service checks them (one schema for the answer, the check and the document).
json settingsSchema() {
  json schema = settings::SettingsService::schema();
  schema.erase("$schema"); // inside openapi.json the document's own dialect applies
  return schema;
}

std::map<Key, RouteShape> buildShapes() {
  using M = http::Method;
  std::map<Key, RouteShape> s;
  auto add = [&](M m, const std::string& pattern, RouteShape shape) { s[{m, pattern}] = std::move(shape); };

  add(M::Get, "/health",
      {{}, nullptr, "", {{"type", "object"}, {"properties", {{"status", {{"const", "ok"}}}}}}});
  add(M::Get, "/health/farm",
      {{},
       nullptr,
       "",
       {{"type", "object"},
        {"properties", {{"status", {{"enum", {"ok", "standby"}}}}, {"farm", {{"type", "boolean"}}}}}}});
  add(M::Get, "/api/v1/openapi.json", {{}, nullptr, "", {{"type", "object"}}});
  add(M::Get, "/api/v1/metrics",
      {{},
       nullptr,
       "",
       {{"type", "string"}, {"contentMediaType", "text/plain"}},
       200,
       "text/plain; version=0.0.4"});
  add(M::Get, "/api/v1/events/stream",
      {{{"events", "comma-separated event names (default: every event the key may read)"},
        {"printer_id", "only events and status of this printer"},
        {"status", "1: also `status` events, each printer's status at most once a second"},
        {"token", "a single-use token from POST /api/v1/auth/stream-token, instead of an API key header"}},
       nullptr,
       "",
       {{"type", "string"},
        {"contentMediaType", "text/event-stream"},
        {"description", "id: event id, event: event name, data: the webhook body; Last-Event-ID resumes"}},
       200,
       "text/event-stream"});
  add(M::Post, "/api/v1/auth/stream-token",
      {{},
       nullptr,
       "",
       {{"type", "object"},
        {"properties",
         {{"token",
           {{"type", "string"}, {"description", "single use, for GET /api/v1/events/stream?token="}}},
          {"expires_in", {{"type", "integer"}, {"description", "seconds"}}}}}},
       201});
  add(M::Get, "/api/v1/plugins", {kPage, nullptr, "", listOf("Plugin")});
  add(M::Get, "/api/v1/audit",
      {page({{"kind", "entry kind"},
             {"since", "UTC time"},
             {"until", "UTC time"},
             {"principal_id", "key id"},
             {"client_ip", "client address"}}),
       nullptr, "", listOf("AuditEntry")});

  // Printers
  add(M::Get, "/api/v1/printers", {kPage, nullptr, "", listOf("PrinterSummary")});
  add(M::Get, "/api/v1/printers/{id}", {{}, nullptr, "", ref("Printer")});
  add(M::Get, "/api/v1/printers/{id}/status", {{}, nullptr, "", ref("PrinterStatus")});
  add(M::Post, "/api/v1/printers", {{}, nullptr, "", ref("Printer"), 201});
  add(M::Patch, "/api/v1/printers/{id}", {{}, nullptr, "", ref("Printer")});
  add(M::Delete, "/api/v1/printers/{id}", {{}, nullptr, "", nullptr, 204});
  add(M::Post, "/api/v1/printers/check", {{}, nullptr, "", ref("ConnectionCheck"), 202});
  add(M::Get, "/api/v1/printers/check/{id}", {{}, nullptr, "", ref("ConnectionCheck")});
  for (const char* action : {"pause", "resume", "stop"}) {
    add(M::Post, std::string("/api/v1/printers/{id}/print/") + action,
        {{}, nullptr, "", ref("CommandResult")});
  }
  add(M::Post, "/api/v1/printers/{id}/print/start", {{}, nullptr, "", ref("PrintStart"), 202});
  add(M::Post, "/api/v1/printers/{id}/plate-cleared", {{}, nullptr, "", ref("PrinterStatus")});

  // Archives and statistics
  add(M::Get, "/api/v1/archives",
      {page({{"printer_id", "only this printer"},
             {"status", "uploaded, printing, success, failed or cancelled"},
             {"since", "started (or uploaded) at or after, UTC"},
             {"until", "started (or uploaded) before, UTC"},
             {"q", "text in the name or file name"},
             {"after", "the `next` cursor of the previous page (keyset paging: each page costs the same; not "
                       "with offset)"}}),
       nullptr,
       "",
       {{"allOf", json::array({listOf("Archive"),
                               {{"type", "object"},
                                {"properties",
                                 {{"next",
                                   {{"type", {"string", "null"}},
                                    {"description",
                                     "pass as after= for the next page (same filters); null on the last "
                                     "page"}}}}}}})}}});
  add(M::Get, "/api/v1/archives/{id}", {{}, nullptr, "", ref("Archive")});
  add(M::Get, "/api/v1/archives/{id}/file",
      {{},
       nullptr,
       "",
       {{"type", "string"}, {"contentMediaType", "application/vnd.ms-package.3dmanufacturing-3dmodel+xml"}},
       200,
       "application/vnd.ms-package.3dmanufacturing-3dmodel+xml"});
  add(M::Get, "/api/v1/archives/{id}/thumbnail",
      {{}, nullptr, "", {{"type", "string"}, {"contentMediaType", "image/png"}}, 200, "image/png"});
  add(M::Post, "/api/v1/archives",
      {{{"filename", "the file's name, ending in .3mf (or send X-Filename)"}},
       {{"type", "string"}, {"contentMediaType", "application/octet-stream"}},
       "application/octet-stream",
       ref("Archive"),
       201});
  add(M::Patch, "/api/v1/archives/{id}", {{}, nullptr, "", ref("Archive")});
  add(M::Delete, "/api/v1/archives/{id}", {{}, nullptr, "", nullptr, 204});
  add(M::Get, "/api/v1/statistics",
      {{{"since", "prints started at or after, UTC"},
        {"until", "prints started before, UTC"},
        {"printer_id", "only this printer"}},
       nullptr,
       "",
       ref("Statistics")});

  // Queue
  add(M::Get, "/api/v1/queue",
      {page({{"status", "only items with this status"}}), nullptr, "", listOf("QueueItem")});
  add(M::Get, "/api/v1/queue/{id}", {{}, nullptr, "", ref("QueueItem")});
  add(M::Post, "/api/v1/queue", {{}, nullptr, "", ref("QueueItem"), 201});
  add(M::Patch, "/api/v1/queue/{id}", {{}, nullptr, "", ref("QueueItem")});
  add(M::Delete, "/api/v1/queue/{id}", {{}, nullptr, "", nullptr, 204});
  add(M::Post, "/api/v1/queue/reorder",
      {{},
       nullptr,
       "",
       {{"type", "object"}, {"properties", {{"items", {{"type", "array"}, {"items", ref("QueueItem")}}}}}}});

  // Settings
  add(M::Get, "/api/v1/settings", {{}, nullptr, "", ref("Settings")});
  add(M::Get, "/api/v1/settings/schema", {{}, nullptr, "", {{"type", "object"}}});
  add(M::Patch, "/api/v1/settings", {{}, nullptr, "", ref("Settings")});

  // API keys (served by auth.apikey, which declares its request bodies with the routes).
  add(M::Get, "/api/v1/api-keys", {kPage, nullptr, "", listOf("ApiKey")});
  add(M::Post, "/api/v1/api-keys", {{}, nullptr, "", ref("CreatedApiKey"), 201});
  add(M::Get, "/api/v1/api-keys/{id}", {{}, nullptr, "", ref("ApiKey")});
  add(M::Patch, "/api/v1/api-keys/{id}", {{}, nullptr, "", ref("ApiKey")});
  add(M::Delete, "/api/v1/api-keys/{id}", {{}, nullptr, "", nullptr, 204});
  add(M::Post, "/api/v1/api-keys/{id}/rotate", {{}, nullptr, "", ref("CreatedApiKey"), 201});
  add(M::Get, "/api/v1/auth/me", {{}, nullptr, "", ref("ApiKey")});

  // Notifications
  const std::string n = "/api/v1/notifications";
  add(M::Get, n, {kPage, nullptr, "", listOf("NotificationProvider")});
  add(M::Post, n, {{}, nullptr, "", ref("NotificationProvider"), 201});
  add(M::Get, n + "/types",
      {{},
       nullptr,
       "",
       {{"type", "object"},
        {"properties", {{"items", {{"type", "array"}, {"items", {{"type", "object"}}}}}}}}});
  add(M::Get, n + "/events",
      {{},
       nullptr,
       "",
       {{"type", "object"}, {"properties", {{"items", {{"type", "array"}, {"items", ref("EventType")}}}}}}});
  add(M::Get, n + "/{id}", {{}, nullptr, "", ref("NotificationProvider")});
  add(M::Patch, n + "/{id}", {{}, nullptr, "", ref("NotificationProvider")});
  add(M::Delete, n + "/{id}", {{}, nullptr, "", nullptr, 204});
  add(M::Post, n + "/{id}/test", {{}, nullptr, "", ref("Delivery"), 202});
  add(M::Post, n + "/preview",
      {{},
       nullptr,
       "",
       {{"type", "object"},
        {"required", {"type", "event", "notification", "preview"}},
        {"properties",
         {{"type", {{"type", "string"}}},
          {"event", {{"type", "string"}}},
          {"notification", {{"type", "object"}, {"description", "the notification the plugin rendered"}}},
          {"preview",
           {{"type", "object"},
            {"required", {"title", "message"}},
            {"properties", {{"title", {{"type", "string"}}}, {"message", {{"type", "string"}}}}},
            {"description", "the plugin's own description; types add fields such as priority or tags"}}}}}}});
  add(M::Get, n + "/deliveries/{id}", {{}, nullptr, "", ref("Delivery")});
  add(M::Post, n + "/{id}/rotate-secret",
      {{},
       nullptr,
       "",
       {{"type", "object"}, {"description", "the provider, with the new secret in clear this once"}}});
  add(M::Get, n + "/{id}/deliveries",
      {page({{"status", "pending, retrying, delivered, failed, suppressed or cancelled"}}), nullptr, "",
       listOf("Delivery")});
  add(M::Post, n + "/deliveries/{id}/redeliver", {{}, nullptr, "", ref("Delivery"), 202});
  return s;
}

} // namespace

const RouteShape* findShape(http::Method method, const std::string& pattern) {
  static const std::map<Key, RouteShape> shapes = buildShapes();
  auto it = shapes.find({method, pattern});
  return it == shapes.end() ? nullptr : &it->second;
}

const nlohmann::json& componentSchemas() {
  static const json schemas = [] {
    json time = {{"type", {"string", "null"}}, {"format", "date-time"}};
    json error_item = {{"type", "object"},
                       {"properties",
                        {{"code", {{"type", "string"}}},
                         {"severity", {{"enum", {"fatal", "serious", "common", "info", "unknown"}}}},
                         {"module", {{"type", "string"}}},
                         {"message", {{"type", "string"}}}}}};
    json status = {
        {"type", "object"},
        {"required", {"id", "name", "connected", "state"}},
        {"properties",
         {{"id", {{"type", "integer"}}},
          {"name", {{"type", "string"}}},
          {"connected", {{"type", "boolean"}}},
          {"state", {{"enum", {"idle", "preparing", "printing", "paused", "finished", "failed", "offline"}}}},
          {"progress", nullable("number")},
          {"remaining_time", nullable("integer")},
          {"temperature", nullable("number")},
          {"temperatures", {{"type", "object"}, {"additionalProperties", {{"type", "number"}}}}},
          {"layer", nullable("integer")},
          {"total_layers", nullable("integer")},
          {"current_print",
           {{"type", {"object", "null"}},
            {"properties",
             {{"filename", {{"type", "string"}}}, {"started_at", time}, {"job_id", {{"type", "string"}}}}}}},
          {"errors", {{"type", "array"}, {"items", error_item}}},
          {"notices",
           {{"type", "array"},
            {"items", error_item},
            {"description", "messages below the driver's error threshold; they fire no printer_error"}}},
          {"print_error", nullable("string")},
          {"transfer",
           {{"type", {"object", "null"}},
            {"description", "the file on its way to the printer while a print starts"},
            {"properties",
             {{"phase", {{"enum", {"checking", "uploading", "starting"}}}},
              {"bytes", {{"type", "integer"}}},
              {"total", {{"type", "integer"}}},
              {"file", {{"type", "string"}}},
              {"skipped", {{"type", "boolean"}}}}}}},
          {"awaiting_plate_clear",
           {{"type", "boolean"},
            {"description", "a print ended; the queue waits until POST /printers/{id}/plate-cleared"}}},
          {"connection_error", nullable("string")},
          {"updated_at", time},
          {"connected_by",
           {{"type", "string"},
            {"description", "several server instances only: the instance connected to the printer "
                            "(docs/scaling.md)"}}}}}};
    json out = {
        {"Error",
         {{"type", "object"},
          {"required", {"detail", "code"}},
          {"properties", {{"detail", {{"type", "string"}}}, {"code", {{"type", "string"}}}}}}},
        {"ListEnvelope",
         {{"type", "object"},
          {"required", {"items", "total", "limit", "offset"}},
          {"properties",
           {{"items", {{"type", "array"}}},
            {"total", {{"type", "integer"}}},
            {"limit", {{"type", "integer"}}},
            {"offset", {{"type", "integer"}}}}}}},
        {"PrinterStatus", status},
        {"PrinterSummary",
         {{"type", "object"},
          {"properties",
           {{"id", {{"type", "integer"}}},
            {"name", {{"type", "string"}}},
            {"driver", {{"type", "string"}}},
            {"source", {{"enum", {"api", "config"}}}},
            {"model", nullable("string")},
            {"status", ref("PrinterStatus")}}}}},
        {"Printer",
         {{"type", "object"},
          {"properties",
           {{"id", {{"type", "integer"}}},
            {"name", {{"type", "string"}}},
            {"driver", {{"type", "string"}}},
            {"instance_id", {{"type", "string"}}},
            {"source", {{"enum", {"api", "config"}}}},
            {"settings", {{"type", "object"}, {"description", "driver settings; secrets shown as ********"}}},
            {"capabilities", {{"type", "object"}, {"additionalProperties", true}}},
            {"require_plate_clear", {{"type", "boolean"}}},
            {"model", nullable("string")},
            {"firmware", nullable("string")},
            {"created_at", time},
            {"updated_at", time},
            {"status", ref("PrinterStatus")}}}}},
        {"ConnectionCheck",
         {{"type", "object"},
          {"properties",
           {{"id", {{"type", "string"}}},
            {"status", {{"enum", {"running", "ok", "failed"}}}},
            {"reason",
             {{"type", {"string", "null"}},
              {"examples",
               {"auth_failed", "wrong_serial", "tls_error", "timeout", "unresolvable_host", "unreachable",
                "invalid_settings"}}}},
            {"detail", nullable("string")},
            {"driver", {{"type", "string"}}},
            {"printer_id", nullable("integer")},
            {"model", nullable("string")},
            {"firmware", nullable("string")},
            {"started_at", time},
            {"finished_at", time},
            {"duration_ms", nullable("integer")}}}}},
        {"CommandResult",
         {{"type", "object"},
          {"properties",
           {{"printer_id", {{"type", "integer"}}},
            {"action", {{"type", "string"}}},
            {"accepted", {{"type", "boolean"}}},
            {"result", {{"type", "object"}}}}}}},
        {"Archive",
         {{"type", "object"},
          {"properties",
           {{"id", {{"type", "integer"}}},
            {"status", {{"enum", {"uploaded", "printing", "success", "failed", "cancelled"}}}},
            {"name", {{"type", "string"}}},
            {"filename", nullable("string")},
            {"printer_id", nullable("integer")},
            {"printer", nullable("string")},
            {"started_at", time},
            {"ended_at", time},
            {"duration", {{"type", {"integer", "null"}}, {"description", "seconds"}}},
            {"progress", nullable("number")},
            {"filament_used", {{"type", {"number", "null"}}, {"description", "grams"}}},
            {"filament_type", nullable("string")},
            {"estimated_time", {{"type", {"integer", "null"}}, {"description", "slicer estimate, seconds"}}},
            {"error", {{"type", {"object", "null"}}}},
            {"notes", {{"type", "string"}}},
            {"tags", {{"type", "array"}, {"items", {{"type", "string"}}}}},
            {"favourite", {{"type", "boolean"}}},
            {"has_file", {{"type", "boolean"}}},
            {"has_thumbnail", {{"type", "boolean"}}},
            {"metadata", {{"type", {"object", "null"}}, {"description", "parsed 3MF metadata"}}},
            {"plate", {{"type", {"integer", "null"}}, {"description", "the plate a print printed"}}},
            {"file_reason",
             {{"type", {"string", "null"}}, {"description", "why a print's 3MF is not archived"}}},
            {"created_at", time},
            {"updated_at", time}}}}},
        {"QueueItem",
         {{"type", "object"},
          {"properties",
           {{"id", {{"type", "integer"}}},
            {"archive_id", {{"type", "integer"}}},
            {"name", nullable("string")},
            {"printer_id", nullable("integer")},
            {"position", {{"type", "integer"}}},
            {"scheduled_at", time},
            {"status", {{"enum", {"pending", "printing", "completed", "failed", "cancelled", "skipped"}}}},
            {"reason", nullable("string")},
            {"assigned_printer_id", nullable("integer")},
            {"print_archive_id", nullable("integer")},
            {"plate", nullable("integer")},
            {"options", {{"type", "object"}, {"description", "the print options it starts with"}}},
            {"started_at", time},
            {"ended_at", time}}}}},
        {"PrintStart",
         {{"type", "object"},
          {"properties",
           {{"printer_id", {{"type", "integer"}}},
            {"accepted", {{"type", "boolean"}}},
            {"archive_id", {{"type", "integer"}}},
            {"plate", {{"type", "integer"}}},
            {"print", {{"oneOf", json::array({ref("Archive"), {{"type", "null"}}})}}},
            {"status", ref("PrinterStatus")},
            {"result", {{"type", "object"}}}}}}},
        {"Settings", settingsSchema()},
        {"Statistics",
         {{"type", "object"},
          {"properties",
           {{"total_prints", {{"type", "integer"}}},
            {"successful", {{"type", "integer"}}},
            {"failed", {{"type", "integer"}}},
            {"cancelled", {{"type", "integer"}}},
            {"success_rate", {{"type", {"number", "null"}}, {"description", "percent"}}},
            {"total_print_time", {{"type", "integer"}, {"description", "seconds"}}},
            {"total_filament", {{"type", "number"}, {"description", "grams"}}},
            {"filament_cost", {{"type", "number"}}},
            {"currency", nullable("string")},
            {"per_printer", {{"type", "array"}, {"items", {{"type", "object"}}}}},
            {"bucket",
             {{"type", "string"},
              {"enum", {"day", "week", "month", "year"}},
              {"description", "the series' period, chosen from the range: days up to 92 days, weeks up to "
                              "two years, months up to ten years, then years"}}},
            {"series",
             {{"type", "array"},
              {"description", "totals per UTC day, week (from Monday) or month, oldest first; `date` is the "
                              "period's first day; periods without prints are left out"},
              {"items", {{"type", "object"}}}}}}}}},
        {"ApiKey",
         {{"type", "object"},
          {"properties",
           {{"id", {{"type", "string"}}},
            {"name", {{"type", "string"}}},
            {"prefix", {{"type", "string"}}},
            {"permissions", {{"type", "array"}, {"items", {{"type", "string"}}}}},
            {"expires_at", time},
            {"enabled", {{"type", "boolean"}}},
            {"printer_ids",
             {{"type", {"array", "null"}},
              {"items", {{"type", "integer"}}},
              {"description", "the printers the key may see and control; null = every printer"}}}}}}},
        {"CreatedApiKey",
         {{"allOf",
           json::array({ref("ApiKey"),
                        {{"type", "object"},
                         {"properties", {{"key", {{"type", "string"}, {"description", "shown once"}}}}}}})}}},
        {"Plugin",
         {{"type", "object"},
          {"properties",
           {{"name", {{"type", "string"}}},
            {"kind", {{"type", "string"}}},
            {"version", {{"type", "string"}}},
            {"abi", {{"type", "string"}}}}}}},
        {"AuditEntry", {{"type", "object"}}},
        {"NotificationProvider",
         {{"type", "object"},
          {"properties",
           {{"id", {{"type", "integer"}}},
            {"name", {{"type", "string"}}},
            {"type", {{"type", "string"}, {"examples", {"webhook", "ntfy", "email"}}}},
            {"plugin", {{"type", "string"}}},
            {"instance_id", {{"type", "string"}}},
            {"source", {{"enum", {"api", "config"}}}},
            {"enabled", {{"type", "boolean"}}},
            {"disabled_reason", nullable("string")},
            {"disabled_at", time},
            {"failing_since", time},
            {"settings",
             {{"type", "object"}, {"description", "the type's settings; secrets shown as ********"}}},
            {"events", {{"type", "array"}, {"items", {{"type", "string"}}}}},
            {"printer_ids", {{"type", {"array", "null"}}, {"items", {{"type", "integer"}}}}},
            {"quiet_hours", {{"type", {"object", "null"}}}},
            {"problem", nullable("string")},
            {"created_at", time},
            {"updated_at", time}}}}},
        {"EventType",
         {{"type", "object"},
          {"properties",
           {{"event", {{"type", "string"}}},
            {"description", {{"type", "string"}}},
            {"sample", {{"type", "object"}}}}}}},
        {"Delivery",
         {{"type", "object"},
          {"properties",
           {{"id", {{"type", "integer"}}},
            {"provider_id", {{"type", "integer"}}},
            {"event", {{"type", "string"}}},
            {"event_id", {{"type", "string"}}},
            {"status", {{"enum", {"pending", "retrying", "delivered", "failed", "suppressed", "cancelled"}}}},
            {"attempts", {{"type", "integer"}}},
            {"next_attempt_at", time},
            {"http_status", nullable("integer")},
            {"error", nullable("string")},
            {"response_snippet", nullable("string")},
            {"redelivery_of", nullable("integer")},
            {"created_at", time},
            {"updated_at", time},
            {"delivered_at", time},
            {"history", {{"type", "array"}, {"items", {{"type", "object"}}}}},
            {"notification", {{"type", {"object", "null"}}}}}}}}};
    return out;
  }();
  return schemas;
}

} // namespace bambuddy::api
