#include "api/stream_routes.h"

#include "auth/stream_tokens.h"
#include "http/router.h"
#include "notifications/event_catalog.h"
#include "stream/stream_hub.h"

#include <nlohmann/json.hpp>

#include <charconv>

namespace bambuddy::api {

namespace {

// Event ids are "evt_" + 24 hex digits; anything longer is not one of ours.
constexpr size_t kMaxLastEventIdBytes = 64;

// ?events=a,b: catalog names (not "test", which never reaches the journal).
std::optional<std::set<std::string>> parseEvents(const std::string& text, std::string& bad) {
  std::set<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    std::string name = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!name.empty()) {
      if (!notifications::isCatalogEvent(name) || name == "test") {
        bad = name;
        return std::nullopt;
      }
      out.insert(name);
    }
    if (end == std::string::npos) {
      break;
    }
    start = end + 1;
  }
  return out;
}

bool parseFlag(const std::string& text, bool& out) {
  if (text == "1" || text == "true") {
    out = true;
    return true;
  }
  if (text == "0" || text == "false" || text.empty()) {
    out = false;
    return true;
  }
  return false;
}

} // namespace

void addStreamRoutes(http::Router& router, stream::StreamHub& hub, auth::StreamTokens& tokens) {
  http::RouteSpec stream{
      http::Method::Get,
      "/api/v1/events/stream",
      "authenticated",
      http::RateClass::Read,
      "Server-Sent Events: lifecycle and queue events as their webhook bodies, optionally status",
      [&hub](const http::Request& request) {
        stream::StreamFilter filter;
        if (auto it = request.query.find("events"); it != request.query.end()) {
          std::string bad;
          auto events = parseEvents(it->second, bad);
          if (!events) {
            return http::Response::error(400, "invalid_events",
                                         "unknown event '" + bad.substr(0, 64) +
                                             "'; events are: " + notifications::catalogNames());
          }
          filter.events = std::move(*events);
        }
        if (auto it = request.query.find("printer_id"); it != request.query.end()) {
          int64_t id = 0;
          const std::string& text = it->second;
          auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
          if (ec != std::errc() || end != text.data() + text.size() || id < 1) {
            return http::Response::error(400, "invalid_printer_id", "printer_id must be a positive integer");
          }
          filter.printer_id = id;
        }
        if (auto it = request.query.find("status"); it != request.query.end()) {
          if (!parseFlag(it->second, filter.status)) {
            return http::Response::error(400, "invalid_status", "status must be 1, 0, true or false");
          }
        }
        std::optional<std::string> last_event_id = request.header("Last-Event-ID");
        if (last_event_id && last_event_id->size() > kMaxLastEventIdBytes) {
          return http::Response::error(400, "invalid_last_event_id",
                                       "Last-Event-ID is too long to be an event id");
        }
        if (last_event_id && last_event_id->empty()) {
          last_event_id.reset(); // EventSource sends it empty before it has seen an id
        }
        return hub.open(*request.principal, std::move(filter), std::move(last_event_id));
      }};
  stream.accepts_stream_token = true;
  router.add(std::move(stream));

  router.add({http::Method::Post, "/api/v1/auth/stream-token", "authenticated", http::RateClass::Write,
              "A single-use token (valid 60 s) that opens one event stream without an API key header",
              [&tokens](const http::Request& request) {
                std::optional<auth::StreamTokens::Issued> issued = tokens.issue(*request.principal);
                if (!issued) {
                  http::Response refused =
                      http::Response::error(503, "too_many_stream_tokens",
                                            "too many stream tokens are outstanding; try again shortly");
                  refused.headers.emplace_back("Retry-After", "5");
                  return refused;
                }
                http::Response response = http::Response::json(
                    201, {{"token", issued->token}, {"expires_in", issued->ttl_ms / 1000}});
                response.headers.emplace_back("Cache-Control", "no-store");
                return response;
              }});
}

} // namespace bambuddy::api
