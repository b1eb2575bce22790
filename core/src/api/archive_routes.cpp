#include "api/archive_routes.h"

#include "api/body_fragments.h"
#include "api/json_body.h"
#include "api/pagination.h"
#include "api/route_helpers.h"
#include "archives/answer_cache.h"
#include "archives/archive_service.h"
#include "archives/statistics.h"
#include "archives/three_mf.h"
#include "common/time.h"
#include "http/router.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <memory>

namespace bambuddy::api {

namespace {

// Distinct list/statistics queries whose answers are kept (the polled ones repeat), and the memory
// they may take: a 50-row page is ~50 KiB, a year of statistics ~60 KiB.
constexpr std::size_t kCachedAnswers = 64;
constexpr std::size_t kCachedAnswerBytes = 8 * 1024 * 1024;

// The body of PATCH /archives/{id} (checked by the server before the handler; served in
// openapi.json). Repeated tags are kept once.
std::shared_ptr<const JsonBodySchema> archiveChangeBody() {
  return JsonBodySchema::make({{"type", "object"},
                               {"additionalProperties", false},
                               {"properties",
                                {{"name", nameSchema(200)},
                                 {"notes", {{"type", "string"}, {"maxLength", 10000}}},
                                 {"tags",
                                  {{"type", "array"},
                                   {"maxItems", 50},
                                   {"items", {{"type", "string"}, {"minLength", 1}, {"maxLength", 50}}}}},
                                 {"favourite", {{"type", "boolean"}}}}}});
}

std::string optText(const std::optional<int64_t>& value) {
  return value ? std::to_string(*value) : std::string("-");
}

// The keyset cursor as the API shows it: 32 hex digits (sort time and id, 64 bits each). Clients
// treat it as opaque; it names a place in the order, not a page, so inserts never shift it.
std::string cursorText(const archives::ArchiveCursor& cursor) {
  char text[33];
  std::snprintf(text, sizeof text, "%016llx%016llx", static_cast<unsigned long long>(cursor.sort_at_ms),
                static_cast<unsigned long long>(cursor.id));
  return text;
}

std::optional<archives::ArchiveCursor> parseCursor(const std::string& text) {
  if (text.size() != 32 || !std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      })) {
    return std::nullopt;
  }
  archives::ArchiveCursor cursor;
  cursor.sort_at_ms = static_cast<int64_t>(std::stoull(text.substr(0, 16), nullptr, 16));
  cursor.id = static_cast<int64_t>(std::stoull(text.substr(16), nullptr, 16));
  return cursor;
}

// Every field of the filter, so two requests share an answer only when they ask the same thing.
std::string listKey(const archives::ArchiveFilter& f) {
  std::string scope;
  for (int64_t id : f.printers_in) {
    scope += std::to_string(id) + ",";
  }
  return "l|" + scope + "|" + optText(f.printer_id) + "|" + f.status.value_or("-") + "|" +
         optText(f.since_ms) + "|" + optText(f.until_ms) + "|" + std::to_string(f.limit) + "|" +
         std::to_string(f.offset) + "|" + (f.after ? cursorText(*f.after) : std::string("-")) + "|" +
         (f.q ? "q" + *f.q : std::string("-"));
}

// since / until: an ISO 8601 UTC time; printer_id: an id.
bool timeParam(const http::Request& request, const char* name, std::optional<int64_t>& out,
               http::Response& error) {
  auto it = request.query.find(name);
  if (it == request.query.end()) {
    return true;
  }
  std::string why;
  out = parseUtcTimestamp(it->second, why);
  if (!out) {
    error = http::Response::error(400, std::string("invalid_") + name,
                                  std::string(name) + ": " + why + "; a UTC time like 2024-01-15T00:00:00Z");
    return false;
  }
  return true;
}

bool idQuery(const http::Request& request, const char* name, std::optional<int64_t>& out,
             http::Response& error) {
  auto it = request.query.find(name);
  if (it == request.query.end()) {
    return true;
  }
  out = parseId(it->second);
  if (!out) {
    error = http::Response::error(400, std::string("invalid_") + name,
                                  std::string(name) + ": a positive integer id");
    return false;
  }
  return true;
}

bool hasSuffix(std::string text, const std::string& suffix) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The uploaded file's name: ?filename=, or X-Filename. Only its last path segment is kept.
std::optional<std::string> uploadName(const http::Request& request) {
  std::string name;
  if (auto it = request.query.find("filename"); it != request.query.end()) {
    name = it->second;
  } else if (auto header = request.header("X-Filename")) {
    name = *header;
  }
  std::size_t slash = name.find_last_of("/\\");
  if (slash != std::string::npos) {
    name = name.substr(slash + 1);
  }
  if (name.empty() || name.size() > 200 || name.find('\0') != std::string::npos) {
    return std::nullopt;
  }
  return name;
}

// The archive, unless it was printed on a printer the key may not see: then it does not exist.
archives::ArchiveRecord visibleArchive(archives::ArchiveService& service, const http::Request& request,
                                       int64_t id) {
  archives::ArchiveRecord record = service.get(id);
  if (!printerVisible(request, record.printer_id)) {
    throw archives::ArchiveError(404, "not_found", "no archive with id " + std::to_string(id));
  }
  return record;
}

// GET /archives/{id}/file and /thumbnail: one stored blob of the archive.
http::Response blobAnswer(archives::ArchiveService& service, const http::Request& request, bool thumbnail) {
  http::Response error;
  auto id = idParam(request, error, "archive");
  if (!id) {
    return error;
  }
  return answerOrRefuse([&] {
    archives::ArchiveRecord record = visibleArchive(service, request, *id);
    const std::optional<std::string>& key = thumbnail ? record.thumbnail_key : record.file_key;
    if (!key) {
      throw archives::ArchiveError(404, thumbnail ? "no_thumbnail" : "no_file",
                                   thumbnail ? "this archive has no thumbnail"
                                             : "this archive has no stored file");
    }
    http::Response response;
    if (!thumbnail) {
      // The 3MF can be hundreds of MB: sent from the store's file in chunks when it offers one.
      if (auto file = service.openBlob(*key)) {
        response.file_body = std::make_shared<http::FileBody>(file->fd, file->size);
      }
    }
    if (!response.file_body) {
      response.body = service.blob(*key);
    }
    if (thumbnail) {
      response.content_type = "image/png";
      return response;
    }
    response.content_type = "application/vnd.ms-package.3dmanufacturing-3dmodel+xml";
    std::string name = record.filename.value_or("archive.3mf");
    std::replace(name.begin(), name.end(), '"', '_');
    response.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + name + "\"");
    return response;
  });
}

} // namespace

void addArchiveRoutes(http::Router& router, archives::ArchiveService& service, int64_t max_upload_bytes) {
  auto cache = std::make_shared<archives::AnswerCache>([&service] { return service.generation(); },
                                                       kCachedAnswers, kCachedAnswerBytes);
  router.add(
      {http::Method::Get, "/api/v1/archives", "archives:read", http::RateClass::Read,
       "Print archives, newest first (filters printer_id, status, since, until, q; pages by the `next` "
       "cursor with after=, or by limit/offset)",
       [&service, cache](const http::Request& request) {
         http::Response error;
         auto page = parsePage(request, error);
         if (!page) {
           return error;
         }
         archives::ArchiveFilter filter;
         filter.limit = static_cast<int64_t>(page->limit);
         filter.offset = static_cast<int64_t>(page->offset);
         if (!idQuery(request, "printer_id", filter.printer_id, error) ||
             !timeParam(request, "since", filter.since_ms, error) ||
             !timeParam(request, "until", filter.until_ms, error)) {
           return error;
         }
         if (auto it = request.query.find("status"); it != request.query.end()) {
           const std::string& s = it->second;
           if (s != "uploaded" && !archives::isPrintStatus(s)) {
             return http::Response::error(400, "invalid_status",
                                          "status: one of uploaded, printing, success, failed, cancelled");
           }
           filter.status = s;
         }
         if (auto it = request.query.find("after"); it != request.query.end()) {
           filter.after = parseCursor(it->second);
           if (!filter.after) {
             return http::Response::error(400, "invalid_after",
                                          "after: the `next` cursor of a previous answer, unchanged");
           }
           if (filter.offset != 0) {
             return http::Response::error(400, "invalid_parameter",
                                          "after and offset cannot be combined: a cursor names the place "
                                          "to continue from");
           }
         }
         if (auto it = request.query.find("q"); it != request.query.end() && !it->second.empty()) {
           if (it->second.size() > 200) {
             return http::Response::error(400, "invalid_q", "q: at most 200 bytes");
           }
           filter.q = it->second;
         }
         if (limitedToPrinters(request)) {
           filter.printers_in = request.principal->printer_ids;
           filter.printers_in.push_back(0); // uploads, printed nowhere yet
         }
         http::Response response;
         response.body = cache->get(listKey(filter), [&] {
           archives::ArchivePage result = service.list(filter);
           nlohmann::json items = nlohmann::json::array();
           for (const auto& record : result.items) {
             items.push_back(record.toJson());
           }
           return http::Response::json(200, {{"items", items},
                                             {"total", result.total},
                                             {"limit", page->limit},
                                             {"offset", page->offset},
                                             {"next", result.next ? nlohmann::json(cursorText(*result.next))
                                                                  : nlohmann::json(nullptr)}})
               .body;
         });
         return response;
       }});

  router.add({http::Method::Get, "/api/v1/archives/{id}", "archives:read", http::RateClass::Read,
              "One archive", [&service](const http::Request& request) {
                http::Response error;
                auto id = idParam(request, error, "archive");
                if (!id) {
                  return error;
                }
                return answerOrRefuse([&] {
                  return http::Response::json(200, visibleArchive(service, request, *id).toJson());
                });
              }});

  router.add({http::Method::Get, "/api/v1/archives/{id}/file", "archives:read", http::RateClass::Read,
              "Download the archive's 3MF file",
              [&service](const http::Request& request) { return blobAnswer(service, request, false); }});

  router.add({http::Method::Get, "/api/v1/archives/{id}/thumbnail", "archives:read", http::RateClass::Read,
              "The plate preview image (PNG)",
              [&service](const http::Request& request) { return blobAnswer(service, request, true); }});

  router.add({http::Method::Post, "/api/v1/archives", "archives:write", http::RateClass::Write,
              "Upload a 3MF (raw body; name in ?filename= or X-Filename)",
              [&service, max_upload_bytes](const http::Request& request) {
                auto content_type = request.header("Content-Type").value_or("");
                if (content_type.rfind("multipart/", 0) == 0) {
                  return http::Response::error(415, "unsupported_media_type",
                                               "send the .3mf file itself as the request body (not a form); "
                                               "give its name in ?filename=");
                }
                auto name = uploadName(request);
                if (!name) {
                  return http::Response::error(400, "invalid_filename",
                                               "filename: give the file's name in ?filename= or X-Filename "
                                               "(1-200 bytes)");
                }
                if (!hasSuffix(*name, ".3mf")) {
                  return http::Response::error(400, "not_3mf", "filename: only .3mf files can be uploaded");
                }
                // The HTTP layer streams upload bodies to a temporary file (body_file); a body in memory
                // only arrives when the route runs without that (tests driving the router directly).
                const http::BodyFile* file = request.body_file.get();
                if (file ? file->sizeBytes() == 0 : request.body.empty()) {
                  return http::Response::error(400, "empty_body",
                                               "the request body is empty; send the .3mf file");
                }
                archives::ThreeMfLimits limits;
                limits.max_file_bytes = static_cast<uint64_t>(max_upload_bytes);
                archives::ThreeMfMetadata metadata;
                try {
                  metadata = file ? archives::parseThreeMfFile(file->path(), limits)
                                  : archives::parseThreeMf(request.body, limits);
                } catch (const archives::ThreeMfError& e) {
                  return http::Response::error(e.httpStatus(), std::string(e.codeName()), e.what());
                }
                return answerOrRefuse([&] {
                  archives::ArchiveRecord record =
                      file ? service.createUploadFromFile(*name, file->path(), archives::toJson(metadata),
                                                          metadata.thumbnail_png)
                           : service.createUpload(*name, request.body, archives::toJson(metadata),
                                                  metadata.thumbnail_png);
                  return http::Response::json(201, record.toJson());
                });
              }});

  router.add(withBody(archiveChangeBody(),
                      {http::Method::Patch, "/api/v1/archives/{id}", "archives:write", http::RateClass::Write,
                       "Edit name, notes, tags, favourite", [&service](const http::Request& request) {
                         http::Response error;
                         auto id = idParam(request, error, "archive");
                         if (!id) {
                           return error;
                         }
                         return answerOrRefuse([&] {
                           visibleArchive(service, request, *id);
                           return http::Response::json(200, service.patch(*id, jsonBody(request)).toJson());
                         });
                       }}));

  router.add({http::Method::Delete, "/api/v1/archives/{id}", "archives:write", http::RateClass::Write,
              "Delete an archive and its files", [&service](const http::Request& request) {
                http::Response error;
                auto id = idParam(request, error, "archive");
                if (!id) {
                  return error;
                }
                return answerOrRefuse([&] {
                  visibleArchive(service, request, *id);
                  service.remove(*id);
                  http::Response response;
                  response.status = 204;
                  response.content_type.clear();
                  return response;
                });
              }});
}

void addStatisticsRoutes(http::Router& router, storage::Database& db,
                         std::function<uint64_t()> archives_generation,
                         std::function<archives::CostSettings()> cost_settings) {
  auto cache = std::make_shared<archives::AnswerCache>(std::move(archives_generation), kCachedAnswers,
                                                       kCachedAnswerBytes);
  router.add(
      {http::Method::Get, "/api/v1/statistics", "statistics:read", http::RateClass::Read,
       "Print totals, success rate, time and filament, per printer and as a series of UTC days, weeks, "
       "months or years (bucket)",
       [&db, cost_settings, cache](const http::Request& request) {
         http::Response error;
         archives::StatisticsFilter filter;
         if (!timeParam(request, "since", filter.since_ms, error) ||
             !timeParam(request, "until", filter.until_ms, error) ||
             !idQuery(request, "printer_id", filter.printer_id, error)) {
           return error;
         }
         // A key limited to printers counts only their prints.
         if (limitedToPrinters(request)) {
           filter.printers_in = request.principal->printer_ids;
         }
         const archives::CostSettings cost = cost_settings();
         std::string key = "s|" + printerScopeKey(request) + "|" + optText(filter.since_ms) + "|" +
                           optText(filter.until_ms) + "|" + optText(filter.printer_id) + "|" +
                           std::to_string(cost.filament_cost_per_kg) + "|" + cost.currency;
         http::Response response;
         response.body = cache->get(key, [&] {
           return http::Response::json(200, archives::computeStatistics(db, filter, cost)).body;
         });
         return response;
       }});
}

} // namespace bambuddy::api
