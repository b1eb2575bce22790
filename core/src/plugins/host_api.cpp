// The bb_host_api implementation: C entry points that translate to core services. Nothing thrown
// inside may cross back into a plugin, so every function catches and reports a code.
#include "plugins/host_services.h"
#include "plugins/route_shadowing.h"

#include "bus/event_bus.h"
#include "common/logger.h"
#include "common/service_error.h"
#include "http/http_types.h"
#include "http/router.h"
#include "storage/kv_store.h"

#include <bambuddy/json_limits.hpp>
#include <bambuddy/permissions.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <stdexcept>

namespace bambuddy::plugins {
namespace {

void fill(bb_error* err, int32_t code, const char* reason, const std::string& message) {
  if (err == nullptr || err->struct_size < offsetof(bb_error, reason)) {
    return;
  }
  err->code = code;
  if (BB_HAS_FIELD(bb_error, err, reason)) {
    std::snprintf(err->reason, sizeof err->reason, "%s", reason);
  }
  if (BB_HAS_FIELD(bb_error, err, message)) {
    std::snprintf(err->message, sizeof err->message, "%s", message.c_str());
  }
}

template <class Fn> int32_t guarded(bb_error* err, Fn&& fn) noexcept {
  try {
    return fn();
  } catch (const std::invalid_argument& e) {
    fill(err, BB_ERR_INVALID_ARGUMENT, "invalid_argument", e.what());
    return BB_ERR_INVALID_ARGUMENT;
  } catch (const std::exception& e) {
    fill(err, BB_ERR_IO, "io_error", e.what());
    return BB_ERR_IO;
  } catch (...) {
    fill(err, BB_ERR_INTERNAL, "internal", "unknown error in host");
    return BB_ERR_INTERNAL;
  }
}

void appendTo(void* user, const char* data, size_t len) {
  static_cast<std::string*>(user)->append(data, len);
}

// Parses JSON handed over by a plugin with the depth and size limits. A document past a limit
// fills `err` (reason json_too_deep / json_too_large) and is logged, at most once a minute per
// instance; plain syntax errors are the caller's to report. Returns a discarded value on failure.
nlohmann::json parsePluginJson(InstanceContext& ctx, std::string_view text, const char* what, bb_error* err,
                               const char* invalid_reason) {
  const sdk::JsonLimitCheck check = sdk::checkJsonLimits(text);
  if (check) {
    nlohmann::json parsed = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) {
      fill(err, BB_ERR_INVALID_ARGUMENT, invalid_reason, std::string(what) + " must be a JSON object");
      return nlohmann::json(nlohmann::json::value_t::discarded);
    }
    return parsed;
  }
  const bool deep = check.verdict == sdk::JsonLimitCheck::Verdict::TooDeep;
  const std::string message = what + std::string(" refused: ") + check.message(text.size());
  fill(err, BB_ERR_INVALID_ARGUMENT, deep ? "json_too_deep" : "json_too_large", message);
  const int64_t now_ms = ctx.services->clock_ms();
  uint64_t count = 0;
  {
    std::lock_guard<std::mutex> lock(ctx.mutex);
    ++ctx.refused_json_since_log;
    if (ctx.refused_json_logged_at_ms != 0 && now_ms - ctx.refused_json_logged_at_ms < 60000) {
      return nlohmann::json(nlohmann::json::value_t::discarded);
    }
    count = ctx.refused_json_since_log;
    ctx.refused_json_since_log = 0;
    ctx.refused_json_logged_at_ms = now_ms;
  }
  ctx.services->logger.warn(ctx.log_component,
                            "dropped " + std::to_string(count) +
                                " JSON document(s) past the limits since the last warning; "
                                "latest: " +
                                message);
  return nlohmann::json(nlohmann::json::value_t::discarded);
}

// Plugin text goes into our log: keep it on one line so it cannot forge log entries.
std::string oneLine(const char* msg, size_t len) {
  std::string out(msg != nullptr ? msg : "", msg != nullptr ? len : 0);
  for (char& c : out) {
    if (c == '\n' || c == '\r' || (static_cast<unsigned char>(c) < 0x20 && c != '\t')) {
      c = ' ';
    }
  }
  return out;
}

void hostLog(bb_host_ctx* handle, int32_t level, const char* msg, size_t len) {
  try {
    InstanceContext* ctx = InstanceContext::from(handle);
    LogLevel lvl = LogLevel::Info;
    if (level <= BB_LOG_DEBUG) {
      lvl = LogLevel::Debug;
    } else if (level == BB_LOG_WARN) {
      lvl = LogLevel::Warn;
    } else if (level >= BB_LOG_ERROR) {
      lvl = LogLevel::Error;
    }
    ctx->services->logger.log(lvl, ctx->log_component, oneLine(msg, len));
  } catch (...) {
  }
}

int32_t hostPublish(bb_host_ctx* handle, const char* topic, const char* json, size_t len, uint32_t version,
                    bb_error* err) {
  return guarded(err, [&]() -> int32_t {
    InstanceContext* ctx = InstanceContext::from(handle);
    if (topic == nullptr || *topic == '\0' || std::strlen(topic) > 128) {
      fill(err, BB_ERR_INVALID_ARGUMENT, "invalid_topic", "topic must be 1..128 characters");
      return BB_ERR_INVALID_ARGUMENT;
    }
    std::string payload(json != nullptr ? json : "", json != nullptr ? len : 0);
    // Subscribers (core services and plugins) parse it again; refusing it here keeps every one of
    // them within the limits.
    if (parsePluginJson(*ctx, payload, "payload", err, "invalid_payload").is_discarded()) {
      return BB_ERR_INVALID_ARGUMENT;
    }
    if (!ctx->services->bus.publish(topic, std::move(payload), version == 0 ? 1 : version)) {
      fill(err, BB_ERR_UNAVAILABLE, "bus_full", "event bus queue is full; event dropped");
      return BB_ERR_UNAVAILABLE;
    }
    return BB_OK;
  });
}

int32_t hostSubscribe(bb_host_ctx* handle, const char* topic, bb_event_fn cb, void* user, uint64_t* out_id,
                      bb_error* err) {
  return guarded(err, [&]() -> int32_t {
    InstanceContext* ctx = InstanceContext::from(handle);
    if (topic == nullptr || *topic == '\0' || cb == nullptr || out_id == nullptr) {
      fill(err, BB_ERR_INVALID_ARGUMENT, "invalid_argument", "topic, callback and out_id are required");
      return BB_ERR_INVALID_ARGUMENT;
    }
    auto deliver = [cb, user](const bus::Event& e) {
      bb_event ev{};
      ev.struct_size = sizeof(bb_event);
      ev.id = e.id.c_str();
      ev.type = e.type.c_str();
      ev.timestamp_ms = e.timestamp_ms;
      ev.payload_json = e.payload_json.c_str();
      ev.payload_len = e.payload_json.size();
      ev.payload_version = e.payload_version;
      cb(user, &ev);
    };
    std::lock_guard<std::mutex> lock(ctx->mutex);
    uint64_t id = ctx->services->bus.subscribe(topic, deliver, ctx);
    ctx->subscriptions.insert(id);
    *out_id = id;
    return BB_OK;
  });
}

int32_t hostUnsubscribe(bb_host_ctx* handle, uint64_t id, bb_error* err) {
  return guarded(err, [&]() -> int32_t {
    InstanceContext* ctx = InstanceContext::from(handle);
    {
      std::lock_guard<std::mutex> lock(ctx->mutex);
      if (ctx->subscriptions.erase(id) == 0) {
        fill(err, BB_ERR_NOT_FOUND, "not_found",
             "no subscription " + std::to_string(id) + " for this instance");
        return BB_ERR_NOT_FOUND;
      }
    }
    // Outside the lock: the bus may wait for a running callback to finish.
    ctx->services->bus.unsubscribe(id);
    return BB_OK;
  });
}

int32_t hostKvGet(bb_host_ctx* handle, const char* key, size_t key_len, bb_write_fn out, void* user,
                  bb_error* err) {
  return guarded(err, [&]() -> int32_t {
    InstanceContext* ctx = InstanceContext::from(handle);
    if (key == nullptr || out == nullptr) {
      fill(err, BB_ERR_INVALID_ARGUMENT, "invalid_argument", "key and out are required");
      return BB_ERR_INVALID_ARGUMENT;
    }
    auto value = ctx->services->kv.get(ctx->plugin_name, std::string(key, key_len));
    if (!value) {
      fill(err, BB_ERR_NOT_FOUND, "not_found", "no such key");
      return BB_ERR_NOT_FOUND;
    }
    out(user, value->data(), value->size());
    return BB_OK;
  });
}

int32_t hostKvPut(bb_host_ctx* handle, const char* key, size_t key_len, const char* value, size_t value_len,
                  bb_error* err) {
  return guarded(err, [&]() -> int32_t {
    InstanceContext* ctx = InstanceContext::from(handle);
    if (key == nullptr || value == nullptr) {
      fill(err, BB_ERR_INVALID_ARGUMENT, "invalid_argument", "key and value are required");
      return BB_ERR_INVALID_ARGUMENT;
    }
    ctx->services->kv.put(ctx->plugin_name, std::string(key, key_len), std::string(value, value_len));
    return BB_OK;
  });
}

int32_t hostKvDelete(bb_host_ctx* handle, const char* key, size_t key_len, bb_error* err) {
  return guarded(err, [&]() -> int32_t {
    InstanceContext* ctx = InstanceContext::from(handle);
    if (key == nullptr) {
      fill(err, BB_ERR_INVALID_ARGUMENT, "invalid_argument", "key is required");
      return BB_ERR_INVALID_ARGUMENT;
    }
    if (!ctx->services->kv.remove(ctx->plugin_name, std::string(key, key_len))) {
      fill(err, BB_ERR_NOT_FOUND, "not_found", "no such key");
      return BB_ERR_NOT_FOUND;
    }
    return BB_OK;
  });
}

int32_t hostKvScan(bb_host_ctx* handle, const char* prefix, size_t prefix_len, bb_kv_visit_fn visit,
                   void* user, bb_error* err) {
  return guarded(err, [&]() -> int32_t {
    InstanceContext* ctx = InstanceContext::from(handle);
    if (visit == nullptr) {
      fill(err, BB_ERR_INVALID_ARGUMENT, "invalid_argument", "visit is required");
      return BB_ERR_INVALID_ARGUMENT;
    }
    std::string p(prefix != nullptr ? prefix : "", prefix != nullptr ? prefix_len : 0);
    ctx->services->kv.scan(ctx->plugin_name, p, [&](const std::string& k, const std::string& v) {
      return visit(user, k.data(), k.size(), v.data(), v.size()) == 0;
    });
    return BB_OK;
  });
}

const char* hostDataDir(bb_host_ctx* handle) {
  return InstanceContext::from(handle)->data_dir.c_str();
}

int64_t hostNow(bb_host_ctx* handle) {
  try {
    return InstanceContext::from(handle)->services->clock_ms();
  } catch (...) {
    return 0;
  }
}

int32_t hostReportStatus(bb_host_ctx* handle, const char* json, size_t len, bb_error* err) {
  return guarded(err, [&]() -> int32_t {
    InstanceContext* ctx = InstanceContext::from(handle);
    if (ctx->kind != BB_KIND_PRINTER_DRIVER) {
      fill(err, BB_ERR_UNSUPPORTED, "unsupported", "report_status is for printer drivers only");
      return BB_ERR_UNSUPPORTED;
    }
    nlohmann::json status =
        parsePluginJson(*ctx, json != nullptr ? std::string_view(json, len) : std::string_view(), "status",
                        err, "invalid_status");
    if (status.is_discarded()) {
      return BB_ERR_INVALID_ARGUMENT;
    }
    // The core decides print events from it; the driver never derives them itself.
    if (ctx->services->report_status) {
      if (!ctx->services->report_status(ctx->plugin_name, ctx->instance_id, std::move(status))) {
        fill(err, BB_ERR_UNAVAILABLE, "status_refused",
             "the core is not keeping up with this printer's reports");
        return BB_ERR_UNAVAILABLE;
      }
      return BB_OK;
    }
    nlohmann::json payload = {
        {"plugin", ctx->plugin_name}, {"instance", ctx->instance_id}, {"status", status}};
    if (!ctx->services->bus.publish(bus::topics::kPrinterStatusReported, payload.dump())) {
      fill(err, BB_ERR_UNAVAILABLE, "bus_full", "event bus queue is full; status dropped");
      return BB_ERR_UNAVAILABLE;
    }
    return BB_OK;
  });
}

int statusForCode(int32_t code) {
  switch (code) {
  case BB_ERR_INVALID_ARGUMENT:
    return 400;
  case BB_ERR_NOT_FOUND:
    return 404;
  case BB_ERR_CONFLICT:
    return 409;
  case BB_ERR_UNSUPPORTED:
    return 422;
  case BB_ERR_UNAVAILABLE:
    return 503;
  default:
    return 500;
  }
}

std::string boundedText(const char* text, size_t capacity) {
  return std::string(text, strnlen(text, capacity));
}

// A plugin's declared request body, compiled by the host's body checker. Null with `err` filled
// when the flags are unknown, the text is past the JSON limits (json_too_deep / json_too_large,
// as everywhere in this API) or is not an object schema the checker can use (invalid_body_schema).
std::shared_ptr<const http::BodyCheck> compileBodySchema(InstanceContext& ctx, const char* text, size_t len,
                                                         uint32_t flags, bb_error* err) {
  if ((flags & ~uint32_t{BB_BODY_OPTIONAL}) != 0) {
    fill(err, BB_ERR_INVALID_ARGUMENT, "invalid_body_schema",
         "body_flags holds unknown bits (only BB_BODY_OPTIONAL is defined)");
    return nullptr;
  }
  nlohmann::json schema =
      parsePluginJson(ctx, std::string_view(text, len), "the body schema", err, "invalid_body_schema");
  if (schema.is_discarded()) {
    return nullptr;
  }
  try {
    return ctx.services->body_check(std::move(schema), (flags & BB_BODY_OPTIONAL) == 0);
  } catch (const std::invalid_argument& e) {
    fill(err, BB_ERR_INVALID_ARGUMENT, "invalid_body_schema", e.what());
    return nullptr;
  }
}

// Calls a plugin route handler for one request. Runs on an HTTP worker thread.
http::Response callRoute(InstanceContext& ctx, bb_route_fn handler, void* user,
                         const http::Request& request) {
  std::shared_lock<std::shared_mutex> lock(ctx.call_mutex);
  if (!ctx.alive) {
    return http::Response::error(503, "plugin_unavailable",
                                 "the plugin serving this route (" + ctx.plugin_name + ") is not running");
  }
  bb_principal principal{};
  principal.struct_size = sizeof principal;
  if (request.principal) {
    const http::Principal& p = *request.principal;
    std::snprintf(principal.id, sizeof principal.id, "%s", p.id.c_str());
    std::snprintf(principal.display_name, sizeof principal.display_name, "%s", p.display_name.c_str());
    principal.permissions = p.permissions;
    principal.printer_count =
        static_cast<uint32_t>(std::min<size_t>(p.printer_ids.size(), BB_MAX_PRINCIPAL_PRINTERS));
    for (uint32_t i = 0; i < principal.printer_count; ++i) {
      principal.printer_ids[i] = p.printer_ids[i];
    }
    principal.rate_limit_read = p.rate_limit_read;
    principal.rate_limit_write = p.rate_limit_write;
    principal.rate_limit_control = p.rate_limit_control;
  }
  std::vector<const char*> param_names, param_values, query_names, query_values;
  for (const auto& [k, v] : request.params) {
    param_names.push_back(k.c_str());
    param_values.push_back(v.c_str());
  }
  for (const auto& [k, v] : request.query) {
    query_names.push_back(k.c_str());
    query_values.push_back(v.c_str());
  }
  std::string method(http::methodName(request.method));
  bb_http_request req{};
  req.struct_size = sizeof req;
  req.method = method.c_str();
  req.path = request.path.c_str();
  req.query_string = request.query_string.c_str();
  req.body = request.body.data();
  req.body_len = request.body.size();
  req.client_ip = request.client_ip.c_str();
  req.param_names = param_names.data();
  req.param_values = param_values.data();
  req.param_count = param_names.size();
  req.query_names = query_names.data();
  req.query_values = query_values.data();
  req.query_count = query_names.size();
  req.principal = &principal;

  int32_t status = 200;
  std::string body;
  bb_error err{};
  err.struct_size = sizeof err;
  int32_t rc = handler(user, &req, &status, &appendTo, &body, &err);
  if (rc != BB_OK) {
    int http_status = statusForCode(rc);
    std::string message = boundedText(err.message, sizeof err.message);
    if (http_status == 500) {
      ctx.services->logger.error(ctx.log_component, "route " + method + " " + request.path +
                                                        " failed (code " + std::to_string(rc) +
                                                        "): " + oneLine(message.data(), message.size()));
      return http::Response::error(500, "internal", "internal error");
    }
    std::string reason = boundedText(err.reason, sizeof err.reason);
    return http::Response::error(http_status, reason.empty() ? "error" : reason, message);
  }
  if (status < 100 || status > 599 || (!body.empty() && !nlohmann::json::accept(body))) {
    ctx.services->logger.error(ctx.log_component,
                               "route " + method + " " + request.path +
                                   " answered an invalid status or a body that is not JSON");
    return http::Response::error(500, "internal", "internal error");
  }
  http::Response response;
  response.status = status;
  response.body = std::move(body);
  if (response.body.empty()) {
    response.content_type.clear();
  }
  return response;
}

// register_route and register_route_with_body. `body_schema` null: the route declares no JSON body.
int32_t registerPluginRoute(bb_host_ctx* handle, const char* method, const char* pattern, uint64_t permission,
                            uint32_t rate_class, const char* body_schema, size_t schema_len,
                            uint32_t body_flags, bb_route_fn handler, void* user, bb_error* err) {
  return guarded(err, [&]() -> int32_t {
    InstanceContext* ctx = InstanceContext::from(handle);
    if (ctx->services->router == nullptr) {
      fill(err, BB_ERR_UNSUPPORTED, "no_http", "this host does not serve HTTP");
      return BB_ERR_UNSUPPORTED;
    }
    auto parsed = method != nullptr ? http::parseMethod(method) : std::nullopt;
    if (!parsed || *parsed == http::Method::Head || *parsed == http::Method::Options) {
      fill(err, BB_ERR_INVALID_ARGUMENT, "invalid_method", "method must be GET, POST, PUT, PATCH or DELETE");
      return BB_ERR_INVALID_ARGUMENT;
    }
    if (pattern == nullptr || std::strncmp(pattern, "/api/v1/", 8) != 0) {
      fill(err, BB_ERR_INVALID_ARGUMENT, "invalid_pattern", "a plugin route must start with /api/v1/");
      return BB_ERR_INVALID_ARGUMENT;
    }
    std::string permission_name = "authenticated";
    if (permission != 0) {
      permission_name = std::string(sdk::permissionWire(permission));
      if (permission_name.empty()) {
        fill(err, BB_ERR_INVALID_ARGUMENT, "invalid_permission", "permission must be one BB_PERM_* bit or 0");
        return BB_ERR_INVALID_ARGUMENT;
      }
    }
    http::RateClass rc;
    switch (rate_class) {
    case BB_RATE_READ:
      rc = http::RateClass::Read;
      break;
    case BB_RATE_WRITE:
      rc = http::RateClass::Write;
      break;
    case BB_RATE_CONTROL:
      rc = http::RateClass::Control;
      break;
    default:
      fill(err, BB_ERR_INVALID_ARGUMENT, "invalid_rate_class",
           "rate class must be BB_RATE_READ, _WRITE or _CONTROL");
      return BB_ERR_INVALID_ARGUMENT;
    }
    if (handler == nullptr) {
      fill(err, BB_ERR_INVALID_ARGUMENT, "invalid_handler", "handler is NULL");
      return BB_ERR_INVALID_ARGUMENT;
    }
    // Compiled before the route is bound, so a bad schema leaves no route behind.
    std::shared_ptr<const http::BodyCheck> body;
    if (body_schema != nullptr) {
      if (!ctx->services->body_check) {
        fill(err, BB_ERR_UNSUPPORTED, "no_body_check", "this host cannot check request bodies");
        return BB_ERR_UNSUPPORTED;
      }
      body = compileBodySchema(*ctx, body_schema, schema_len, body_flags, err);
      if (!body) {
        return BB_ERR_INVALID_ARGUMENT;
      }
    }
    // Same plugin, instance id, method and pattern as an earlier (destroyed) instance: the route
    // already exists and now serves the new instance.
    std::string method_name(http::methodName(*parsed));
    {
      std::vector<http::RouteSpec> core_routes = ctx->services->router->routes();
      core_routes.erase(std::remove_if(core_routes.begin(), core_routes.end(),
                                       [&](const http::RouteSpec& r) {
                                         return ctx->services->route_bindings->isPluginRoute(
                                             std::string(http::methodName(r.method)), r.pattern);
                                       }),
                        core_routes.end());
      if (auto shadowed = shadowedCoreRoute(core_routes, *parsed, pattern)) {
        fill(err, BB_ERR_CONFLICT, "route_conflict",
             method_name + " " + pattern + " would shadow the core route " + *shadowed +
                 "; a plugin may add routes, not take over the server's");
        return BB_ERR_CONFLICT;
      }
    }
    auto [binding, outcome] = ctx->services->route_bindings->bind(
        ctx->plugin_name, ctx->instance_id, method_name, pattern, ctx->shared_from_this(), handler, user);
    if (outcome == RouteBindings::Outcome::Rebound) {
      return BB_OK;
    }
    if (outcome == RouteBindings::Outcome::Taken) {
      fill(err, BB_ERR_CONFLICT, "route_conflict",
           std::string(method_name) + " " + pattern + " is already registered by this instance");
      return BB_ERR_CONFLICT;
    }
    http::RouteSpec spec;
    spec.method = *parsed;
    spec.pattern = pattern;
    spec.permission = permission_name;
    spec.rate_class = rc;
    spec.summary = "served by plugin " + ctx->plugin_name;
    spec.body = std::move(body);
    spec.handler = [binding = binding](const http::Request& request) {
      std::shared_ptr<InstanceContext> owner;
      bb_route_fn fn = nullptr;
      void* fn_user = nullptr;
      {
        std::lock_guard<std::mutex> lock(binding->mutex);
        owner = binding->owner;
        fn = binding->handler;
        fn_user = binding->user;
      }
      return callRoute(*owner, fn, fn_user, request);
    };
    try {
      ctx->services->router->add(std::move(spec));
    } catch (const std::invalid_argument& e) {
      ctx->services->route_bindings->forget(ctx->plugin_name, ctx->instance_id, method_name, pattern);
      fill(err, BB_ERR_CONFLICT, "route_conflict", e.what());
      return BB_ERR_CONFLICT;
    }
    return BB_OK;
  });
}

int32_t hostRegisterRoute(bb_host_ctx* handle, const char* method, const char* pattern, uint64_t permission,
                          uint32_t rate_class, bb_route_fn handler, void* user, bb_error* err) {
  return registerPluginRoute(handle, method, pattern, permission, rate_class, nullptr, 0, 0, handler, user,
                             err);
}

int32_t hostRegisterRouteWithBody(bb_host_ctx* handle, const char* method, const char* pattern,
                                  uint64_t permission, uint32_t rate_class, const char* body_schema,
                                  size_t schema_len, uint32_t body_flags, bb_route_fn handler, void* user,
                                  bb_error* err) {
  if (body_schema == nullptr) {
    fill(err, BB_ERR_INVALID_ARGUMENT, "invalid_body_schema", "body_schema is NULL");
    return BB_ERR_INVALID_ARGUMENT;
  }
  return registerPluginRoute(handle, method, pattern, permission, rate_class, body_schema, schema_len,
                             body_flags, handler, user, err);
}

const char* hostServerDataDir(bb_host_ctx* handle) {
  return InstanceContext::from(handle)->services->data_dir.c_str();
}

int32_t codeForStatus(int http_status) {
  switch (http_status) {
  case 400:
    return BB_ERR_INVALID_ARGUMENT;
  case 404:
    return BB_ERR_NOT_FOUND;
  case 409:
    return BB_ERR_CONFLICT;
  case 422:
    return BB_ERR_UNSUPPORTED;
  case 503:
    return BB_ERR_UNAVAILABLE;
  default:
    return BB_ERR_INTERNAL;
  }
}

int32_t hostPrinterCommand(bb_host_ctx* handle, int64_t printer_id, const char* json, size_t len,
                           bb_write_fn out, void* out_user, bb_error* err) {
  return guarded(err, [&]() -> int32_t {
    InstanceContext* ctx = InstanceContext::from(handle);
    if (!ctx->services->printer_command) {
      fill(err, BB_ERR_UNSUPPORTED, "no_printers", "this host has no printers to command");
      return BB_ERR_UNSUPPORTED;
    }
    nlohmann::json command =
        parsePluginJson(*ctx, json != nullptr ? std::string_view(json, len) : std::string_view(), "command",
                        err, "invalid_command");
    if (command.is_discarded()) {
      return BB_ERR_INVALID_ARGUMENT;
    }
    // Only what a dashboard button needs: a plugin never starts prints or sends driver commands.
    auto action = command.find("action");
    if (command.size() != 1 || action == command.end() || !action->is_string() ||
        (*action != "pause" && *action != "resume" && *action != "stop")) {
      fill(err, BB_ERR_INVALID_ARGUMENT, "invalid_command",
           "command must be {\"action\": \"pause\" | \"resume\" | \"stop\"}");
      return BB_ERR_INVALID_ARGUMENT;
    }
    const std::string name = action->get<std::string>();
    ctx->services->logger.info(ctx->log_component,
                               "printer command from plugin instance " + ctx->plugin_name + "/" +
                                   ctx->instance_id + ": printer " + std::to_string(printer_id) + " " + name);
    nlohmann::json result;
    try {
      result = ctx->services->printer_command(printer_id, command);
    } catch (const ServiceError& e) {
      const int32_t code = codeForStatus(e.httpStatus());
      ctx->services->logger.info(ctx->log_component, "printer " + std::to_string(printer_id) + " " + name +
                                                         " refused: " + e.what());
      fill(err, code, e.code().c_str(), e.what());
      return code;
    }
    const std::string body = result.is_object() ? result.dump() : std::string("{}");
    if (out != nullptr) {
      out(out_user, body.data(), body.size());
    }
    return BB_OK;
  });
}

} // namespace

const bb_host_api* hostApi() {
  static const bb_host_api table = {sizeof(bb_host_api),
                                    BB_ABI_MAJOR,
                                    BB_ABI_MINOR,
                                    &hostLog,
                                    &hostPublish,
                                    &hostSubscribe,
                                    &hostUnsubscribe,
                                    &hostKvGet,
                                    &hostKvPut,
                                    &hostKvDelete,
                                    &hostKvScan,
                                    &hostDataDir,
                                    &hostNow,
                                    &hostReportStatus,
                                    &hostRegisterRoute,
                                    &hostServerDataDir,
                                    &hostRegisterRouteWithBody,
                                    &hostPrinterCommand};
  return &table;
}

void dropSubscriptions(InstanceContext& ctx) {
  {
    std::lock_guard<std::mutex> lock(ctx.mutex);
    ctx.subscriptions.clear();
  }
  ctx.services->bus.unsubscribeOwner(&ctx);
}

} // namespace bambuddy::plugins
