// SPDX-License-Identifier: MIT
//
// bambuddy/sdk.hpp — the C++17 layer over abi.h that plugin authors use.
//
// It is header-only and compiled into each plugin, so nothing C++ crosses the binary boundary: a
// plugin derives from one base class below, declares its identity as static members, and ends its
// source with BAMBUDDY_PLUGIN(MyClass). The macro emits the C entry point `bb_plugin_query` and
// `noexcept` trampolines that turn every exception into a BB_ERR_* code plus a message.
//
// A plugin class needs:
//   static constexpr const char* kName;            // "storage.local"
//   static constexpr const char* kVersion;         // "1.0.0"
//   static constexpr const char* kDescription;     // one line
//   static constexpr const char* kConfigSchema;    // JSON Schema of the YAML config block
//   static constexpr const char* kInstanceSchema;  // JSON Schema of one instance's settings
//   MyClass(bambuddy::sdk::Host host, const std::string& config_json, const std::string& settings_json);
//
// Threading: the constructor and destructor run on the host's main thread; the virtual ops may be
// called from several host threads at once, so guard shared state.
#pragma once

#include <bambuddy/abi.h>
#include <bambuddy/fd_io.hpp>

#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace bambuddy::sdk {

// An error with a BB_ERR_* code. Throw it from any op; the trampoline reports code, reason and
// message to the host. Any other exception is reported as BB_ERR_INTERNAL.
class Error : public std::runtime_error {
public:
  Error(int32_t code, std::string reason, const std::string& message)
      : std::runtime_error(message), code_(code), reason_(std::move(reason)) {}
  int32_t code() const noexcept { return code_; }
  const std::string& reason() const noexcept { return reason_; }

private:
  int32_t code_;
  std::string reason_;
};

namespace detail {

inline void copyText(char* dest, size_t capacity, std::string_view text) {
  if (capacity == 0) {
    return;
  }
  size_t n = text.size() < capacity - 1 ? text.size() : capacity - 1;
  std::memcpy(dest, text.data(), n);
  dest[n] = '\0';
}

inline void fillError(bb_error* err, int32_t code, std::string_view reason, std::string_view message) {
  if (err == nullptr) {
    return;
  }
  err->code = code;
  if (BB_HAS_FIELD(bb_error, err, reason)) {
    copyText(err->reason, sizeof err->reason, reason);
  }
  if (BB_HAS_FIELD(bb_error, err, message)) {
    copyText(err->message, sizeof err->message, message);
  }
}

inline void appendToString(void* user, const char* data, size_t len) {
  static_cast<std::string*>(user)->append(data, len);
}

inline bb_error makeError() {
  bb_error err{};
  err.struct_size = sizeof(bb_error);
  return err;
}

inline void throwIfFailed(int32_t rc, const bb_error& err) {
  if (rc != BB_OK) {
    throw Error(rc, err.reason, err.message);
  }
}

// The exception barrier: runs `fn` (returning int32_t) and converts anything thrown into a code.
template <class Fn> int32_t guard(bb_error* err, Fn&& fn) noexcept {
  try {
    return fn();
  } catch (const Error& e) {
    fillError(err, e.code() == BB_OK ? BB_ERR_INTERNAL : e.code(), e.reason(), e.what());
    return e.code() == BB_OK ? BB_ERR_INTERNAL : e.code();
  } catch (const std::exception& e) {
    fillError(err, BB_ERR_INTERNAL, "exception", e.what());
    return BB_ERR_INTERNAL;
  } catch (...) {
    fillError(err, BB_ERR_INTERNAL, "exception", "unknown exception");
    return BB_ERR_INTERNAL;
  }
}

} // namespace detail

// An event received from the bus (an owned copy).
struct Event {
  std::string id;
  std::string type;
  int64_t timestamp_ms = 0;
  std::string payload_json;
  uint32_t payload_version = 1;
};

// ----- REST routes served by a plugin (ABI 0.2) ----------------------------------------------

struct Principal {
  std::string id;
  std::string display_name;
  uint64_t permissions = 0;
  std::vector<int64_t> printer_ids; // empty = all printers
  uint32_t rate_limit_read = 0;     // 0 = server default
  uint32_t rate_limit_write = 0;
  uint32_t rate_limit_control = 0;
};

enum class RateClass : uint32_t { Read = BB_RATE_READ, Write = BB_RATE_WRITE, Control = BB_RATE_CONTROL };

// One request to a plugin route; the views are valid during the handler call only.
struct RouteRequest {
  std::string_view method;
  std::string_view path;
  std::string_view query_string;
  std::string_view body;
  std::string_view client_ip;
  std::map<std::string, std::string> params; // the pattern's {name} segments
  std::map<std::string, std::string> query;
  Principal principal; // the authenticated caller

  // "" when absent.
  std::string param(const std::string& name) const {
    auto it = params.find(name);
    return it == params.end() ? std::string() : it->second;
  }
};

// The handler's answer: a status and a JSON body ("" for none, e.g. with 204).
struct RouteResponse {
  int status = 200;
  std::string body = "{}";
};

using RouteHandler = std::function<RouteResponse(const RouteRequest&)>;

// The JSON body a route takes (see Host::registerRoute with a RouteBody).
struct RouteBody {
  std::string schema_json; // a JSON Schema object with "type": "object"
  bool optional = false;   // true: an empty body is read as {}
};

namespace detail {

inline Principal principalFrom(const bb_principal* p) {
  Principal out;
  if (p == nullptr) {
    return out;
  }
  out.id.assign(p->id, strnlen(p->id, sizeof p->id));
  out.display_name.assign(p->display_name, strnlen(p->display_name, sizeof p->display_name));
  out.permissions = p->permissions;
  uint32_t n = p->printer_count < BB_MAX_PRINCIPAL_PRINTERS ? p->printer_count : BB_MAX_PRINCIPAL_PRINTERS;
  out.printer_ids.assign(p->printer_ids, p->printer_ids + n);
  out.rate_limit_read = p->rate_limit_read;
  out.rate_limit_write = p->rate_limit_write;
  out.rate_limit_control = p->rate_limit_control;
  return out;
}

inline int32_t routeTrampoline(void* user, const bb_http_request* req, int32_t* out_status,
                               bb_write_fn body_out, void* body_user, bb_error* err) {
  return guard(err, [&] {
    RouteRequest r;
    r.method = req->method != nullptr ? req->method : "";
    r.path = req->path != nullptr ? req->path : "";
    r.query_string = req->query_string != nullptr ? req->query_string : "";
    r.body = req->body != nullptr ? std::string_view(req->body, req->body_len) : std::string_view();
    r.client_ip = req->client_ip != nullptr ? req->client_ip : "";
    for (size_t i = 0; i < req->param_count; ++i) {
      r.params.emplace(req->param_names[i], req->param_values[i]);
    }
    for (size_t i = 0; i < req->query_count; ++i) {
      r.query.emplace(req->query_names[i], req->query_values[i]);
    }
    r.principal = principalFrom(req->principal);
    RouteResponse response = (*static_cast<RouteHandler*>(user))(r);
    *out_status = response.status;
    if (!response.body.empty()) {
      body_out(body_user, response.body.data(), response.body.size());
    }
    return BB_OK;
  });
}

} // namespace detail

// The host's services for one instance. Cheap to copy: copies share the subscription table.
// Valid until the instance is destroyed.
class Host {
public:
  Host(const bb_host_api* api, bb_host_ctx* ctx)
      : api_(api), ctx_(ctx), subs_(std::make_shared<Subscriptions>()) {}

  const bb_host_api* api() const { return api_; }
  bb_host_ctx* ctx() const { return ctx_; }

  void log(int32_t level, std::string_view message) const {
    if (api_->log != nullptr) {
      api_->log(ctx_, level, message.data(), message.size());
    }
  }
  void debug(std::string_view m) const { log(BB_LOG_DEBUG, m); }
  void info(std::string_view m) const { log(BB_LOG_INFO, m); }
  void warn(std::string_view m) const { log(BB_LOG_WARN, m); }
  void error(std::string_view m) const { log(BB_LOG_ERROR, m); }

  void publish(const std::string& topic, std::string_view payload_json, uint32_t payload_version = 1) const {
    bb_error err = detail::makeError();
    detail::throwIfFailed(
        api_->publish(ctx_, topic.c_str(), payload_json.data(), payload_json.size(), payload_version, &err),
        err);
  }

  // Subscribes `fn` to `topic` ("*" = all). `fn` runs on a bus thread and must return quickly.
  uint64_t subscribe(const std::string& topic, std::function<void(const Event&)> fn) {
    auto holder = std::make_unique<std::function<void(const Event&)>>(std::move(fn));
    uint64_t id = 0;
    bb_error err = detail::makeError();
    detail::throwIfFailed(api_->subscribe(ctx_, topic.c_str(), &Host::onEvent, holder.get(), &id, &err), err);
    std::lock_guard<std::mutex> lock(subs_->mutex);
    subs_->handlers[id] = std::move(holder);
    return id;
  }

  // Returns false when the id was unknown.
  bool unsubscribe(uint64_t id) {
    bb_error err = detail::makeError();
    int32_t rc = api_->unsubscribe(ctx_, id, &err);
    // The host guarantees the callback is no longer running, so the handler can go.
    std::unique_ptr<std::function<void(const Event&)>> doomed;
    {
      std::lock_guard<std::mutex> lock(subs_->mutex);
      auto it = subs_->handlers.find(id);
      if (it != subs_->handlers.end()) {
        doomed = std::move(it->second);
        subs_->handlers.erase(it);
      }
    }
    return rc == BB_OK;
  }

  std::optional<std::string> kvGet(std::string_view key) const {
    std::string value;
    bb_error err = detail::makeError();
    int32_t rc = api_->kv_get(ctx_, key.data(), key.size(), &detail::appendToString, &value, &err);
    if (rc == BB_ERR_NOT_FOUND) {
      return std::nullopt;
    }
    detail::throwIfFailed(rc, err);
    return value;
  }

  void kvPut(std::string_view key, std::string_view value_json) const {
    bb_error err = detail::makeError();
    detail::throwIfFailed(
        api_->kv_put(ctx_, key.data(), key.size(), value_json.data(), value_json.size(), &err), err);
  }

  // Returns false when there was nothing to delete.
  bool kvDelete(std::string_view key) const {
    bb_error err = detail::makeError();
    int32_t rc = api_->kv_delete(ctx_, key.data(), key.size(), &err);
    if (rc == BB_ERR_NOT_FOUND) {
      return false;
    }
    detail::throwIfFailed(rc, err);
    return true;
  }

  std::vector<std::pair<std::string, std::string>> kvScan(std::string_view prefix) const {
    std::vector<std::pair<std::string, std::string>> out;
    bb_error err = detail::makeError();
    auto visit = [](void* user, const char* k, size_t kl, const char* v, size_t vl) -> int32_t {
      static_cast<std::vector<std::pair<std::string, std::string>>*>(user)->emplace_back(std::string(k, kl),
                                                                                         std::string(v, vl));
      return 0;
    };
    detail::throwIfFailed(api_->kv_scan(ctx_, prefix.data(), prefix.size(), visit, &out, &err), err);
    return out;
  }

  std::string dataDir() const { return api_->data_dir != nullptr ? std::string(api_->data_dir(ctx_)) : ""; }
  int64_t nowMs() const { return api_->now_ms(ctx_); }

  void reportStatus(std::string_view status_json) const {
    if (!BB_HAS_FIELD(bb_host_api, api_, report_status) || api_->report_status == nullptr) {
      throw Error(BB_ERR_UNSUPPORTED, "unsupported", "host has no report_status");
    }
    bb_error err = detail::makeError();
    detail::throwIfFailed(api_->report_status(ctx_, status_json.data(), status_json.size(), &err), err);
  }

  // Serves `method` `pattern` (e.g. "GET", "/api/v1/api-keys/{id}") from this instance, for
  // callers holding `permission` (one BB_PERM_* bit; 0 = any authenticated caller). Call from the
  // constructor. Throws Error(BB_ERR_CONFLICT) when the route is taken. The handler runs on host
  // worker threads, several at once; throw Error to answer with its code (see bb_route_fn).
  void registerRoute(const std::string& method, const std::string& pattern, uint64_t permission,
                     RateClass rate_class, RouteHandler handler) {
    if (!BB_HAS_FIELD(bb_host_api, api_, register_route) || api_->register_route == nullptr) {
      throw Error(BB_ERR_UNSUPPORTED, "unsupported", "host cannot serve plugin routes");
    }
    auto holder = std::make_unique<RouteHandler>(std::move(handler));
    bb_error err = detail::makeError();
    detail::throwIfFailed(api_->register_route(ctx_, method.c_str(), pattern.c_str(), permission,
                                               static_cast<uint32_t>(rate_class), &detail::routeTrampoline,
                                               holder.get(), &err),
                          err);
    std::lock_guard<std::mutex> lock(subs_->mutex);
    subs_->routes.push_back(std::move(holder));
  }

  // registerRoute for a route that takes a JSON body declared by `body.schema_json` (a JSON Schema
  // with "type": "object"). The host refuses a body that breaks it with 400 and the issues found,
  // before the handler runs, and publishes the schema in openapi.json; the handler still receives
  // the raw body text, which is then a JSON object that meets the schema (or empty, for an optional
  // body). Checks the schema cannot express (a time in the future, a valid CIDR) stay in the
  // handler. Throws Error(BB_ERR_INVALID_ARGUMENT, "invalid_body_schema") for a schema the host
  // cannot use and Error(BB_ERR_UNSUPPORTED) on hosts before ABI 0.4.
  void registerRoute(const std::string& method, const std::string& pattern, uint64_t permission,
                     RateClass rate_class, const RouteBody& body, RouteHandler handler) {
    if (!BB_HAS_FIELD(bb_host_api, api_, register_route_with_body) ||
        api_->register_route_with_body == nullptr) {
      throw Error(BB_ERR_UNSUPPORTED, "unsupported", "host cannot check plugin request bodies");
    }
    auto holder = std::make_unique<RouteHandler>(std::move(handler));
    bb_error err = detail::makeError();
    detail::throwIfFailed(api_->register_route_with_body(ctx_, method.c_str(), pattern.c_str(), permission,
                                                         static_cast<uint32_t>(rate_class),
                                                         body.schema_json.data(), body.schema_json.size(),
                                                         body.optional ? BB_BODY_OPTIONAL : 0u,
                                                         &detail::routeTrampoline, holder.get(), &err),
                          err);
    std::lock_guard<std::mutex> lock(subs_->mutex);
    subs_->routes.push_back(std::move(holder));
  }

  // The server's data directory (see bb_host_api.server_data_dir); "" on hosts before ABI 0.2.
  std::string serverDataDir() const {
    if (!BB_HAS_FIELD(bb_host_api, api_, server_data_dir) || api_->server_data_dir == nullptr) {
      return "";
    }
    return api_->server_data_dir(ctx_);
  }

  // Pauses, resumes or stops a printer through the core (bb_host_api.printer_command, ABI 0.5):
  // `action` is "pause", "resume" or "stop". Returns the driver's result object as JSON text.
  // Blocks until the driver answered: never call it from a bus callback. Throws Error with the
  // host's code (BB_ERR_NOT_FOUND, BB_ERR_CONFLICT, BB_ERR_UNAVAILABLE, BB_ERR_INVALID_ARGUMENT,
  // BB_ERR_UNSUPPORTED), and Error(BB_ERR_UNSUPPORTED) on hosts before ABI 0.5.
  std::string printerCommand(int64_t printer_id, std::string_view action) const {
    if (api_->abi_minor < 5 || !BB_HAS_FIELD(bb_host_api, api_, printer_command) ||
        api_->printer_command == nullptr) {
      throw Error(BB_ERR_UNSUPPORTED, "unsupported", "host cannot send printer commands (needs ABI 0.5)");
    }
    std::string command = "{\"action\":\"";
    for (char c : action) {
      // The host accepts only three plain words; anything needing escapes is refused there anyway.
      if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
        throw Error(BB_ERR_INVALID_ARGUMENT, "invalid_action", "action must be pause, resume or stop");
      }
      command += c;
    }
    command += "\"}";
    std::string result;
    bb_error err = detail::makeError();
    detail::throwIfFailed(api_->printer_command(ctx_, printer_id, command.data(), command.size(),
                                                &detail::appendToString, &result, &err),
                          err);
    return result;
  }

private:
  struct Subscriptions {
    std::mutex mutex;
    std::map<uint64_t, std::unique_ptr<std::function<void(const Event&)>>> handlers;
    std::vector<std::unique_ptr<RouteHandler>> routes; // live as long as the instance
  };

  static void onEvent(void* user, const bb_event* e) {
    // A subscriber's exception must not unwind into the host's dispatch thread.
    try {
      Event ev;
      ev.id = e->id != nullptr ? e->id : "";
      ev.type = e->type != nullptr ? e->type : "";
      ev.timestamp_ms = e->timestamp_ms;
      ev.payload_json.assign(e->payload_json, e->payload_len);
      ev.payload_version = e->payload_version;
      (*static_cast<std::function<void(const Event&)>*>(user))(ev);
    } catch (...) {
    }
  }

  const bb_host_api* api_;
  bb_host_ctx* ctx_;
  std::shared_ptr<Subscriptions> subs_;
};

// ----- Base classes, one per kind ------------------------------------------------------------

class PrinterDriver {
public:
  static constexpr uint32_t kKind = BB_KIND_PRINTER_DRIVER;
  virtual ~PrinterDriver() = default;
  virtual void start() = 0;
  virtual void stop() = 0;
  // Returns a JSON object text, or "" for no result. Throw Error(BB_ERR_UNSUPPORTED|CONFLICT|UNAVAILABLE).
  virtual std::string command(const std::string& command_json) = 0;
  virtual std::string capabilities() = 0;
};

struct AuthRequest {
  std::string_view method;
  std::string_view path;
  std::string_view client_ip;
  std::optional<std::string_view> api_key;       // X-API-Key
  std::optional<std::string_view> authorization; // Authorization
};

struct AuthResult {
  enum class Outcome { Ok, NoCredentials, Invalid };
  Outcome outcome = Outcome::NoCredentials;
  Principal principal; // when Ok
  std::string reason;  // when Invalid: machine code, e.g. "invalid_api_key"
  std::string message; // when Invalid: human text
};

class Authenticator {
public:
  static constexpr uint32_t kKind = BB_KIND_AUTH;
  virtual ~Authenticator() = default;
  virtual AuthResult authenticate(const AuthRequest& request) = 0;
};

struct DeliveryResult {
  enum class Outcome {
    Delivered = BB_DELIVERY_DELIVERED,
    Retryable = BB_DELIVERY_RETRYABLE,
    Permanent = BB_DELIVERY_PERMANENT
  };
  Outcome outcome = Outcome::Retryable;
  int http_status = 0;
  int64_t retry_after_ms = 0;
  std::string response_snippet;
  std::string error;
};

// since ABI 0.6: an image that comes with a notification (bb_attachment). The views borrow the
// host's memory: valid only during the sendWithAttachments() call that receives them.
struct Attachment {
  std::string_view role;         // "thumbnail" or "finish_photo"
  std::string_view filename;     // e.g. "thumbnail.png" ([A-Za-z0-9._-])
  std::string_view content_type; // "image/png" or "image/jpeg"
  std::string_view data;         // the image's bytes
};

class Notifier {
public:
  static constexpr uint32_t kKind = BB_KIND_NOTIFIER;
  virtual ~Notifier() = default;
  // One delivery attempt of a notification ({"id","event","timestamp","data"}) before the UTC
  // `deadline_ms`. Called on a host delivery thread.
  virtual DeliveryResult send(const std::string& notification_json, int64_t deadline_ms) = 0;
  // since ABI 0.6: the same, for a notification that comes with images (at least one, thumbnail
  // first). Override it where the service takes images; the default sends the text alone.
  virtual DeliveryResult sendWithAttachments(const std::string& notification_json,
                                             const std::vector<Attachment>& attachments,
                                             int64_t deadline_ms) {
    (void)attachments;
    return send(notification_json, deadline_ms);
  }
  // since ABI 0.6: the message send() would deliver for this notification, without sending it:
  // a JSON object (as text) with at least "title" and "message". Must not touch the network; may
  // run on an HTTP worker while send() runs elsewhere. Throw Error(BB_ERR_INVALID_ARGUMENT, ...)
  // when a template cannot be rendered. The default says the plugin has no preview.
  virtual std::string preview(const std::string& notification_json) {
    (void)notification_json;
    throw Error(BB_ERR_UNSUPPORTED, "no_preview", "this notifier does not describe its messages");
  }
};

struct BlobInfo {
  std::string key;
  uint64_t size_bytes = 0;
};

class BlobStore {
public:
  static constexpr uint32_t kKind = BB_KIND_STORAGE;
  virtual ~BlobStore() = default;
  virtual void put(const std::string& key, std::string_view data) = 0;
  virtual std::optional<std::string> get(const std::string& key) = 0; // nullopt = not found
  virtual bool remove(const std::string& key) = 0;                    // false = not found
  virtual std::vector<BlobInfo> list(const std::string& prefix) = 0;

  // Stores the first `size` bytes of `fd` (read with pread from offset 0; the host owns and closes
  // the descriptor). The default reads them into memory and calls put(); stores that can copy
  // from a file without that should override it.
  virtual void putFromFd(const std::string& key, int fd, uint64_t size) {
    std::string data(static_cast<size_t>(size), '\0');
    if (!preadAll(fd, data.data(), data.size())) {
      throw Error(BB_ERR_IO, "read_failed", "cannot read the blob's source file");
    }
    put(key, data);
  }

  // A new read-only descriptor of the blob (the caller closes it) and its size; nullopt when the
  // blob does not exist. The default throws BB_ERR_UNSUPPORTED: the host then uses get().
  struct OpenBlob {
    int fd = -1;
    uint64_t size_bytes = 0;
  };
  virtual std::optional<OpenBlob> openRead(const std::string& key) {
    (void)key;
    throw Error(BB_ERR_UNSUPPORTED, "unsupported", "this store does not open blobs as files");
  }
};

// ----- Trampolines ---------------------------------------------------------------------------

namespace detail {

inline std::string_view view(const char* data, size_t len) {
  return data == nullptr ? std::string_view() : std::string_view(data, len);
}
inline std::string_view view(const char* text) {
  return text == nullptr ? std::string_view() : std::string_view(text);
}

// What the host holds as an instance: the plugin object plus a Host copy that owns the handler
// tables of its subscriptions and routes, so they live exactly as long as the instance even when
// the plugin does not keep its Host. The plugin is destroyed first, then the handlers.
template <class T> struct InstanceBox {
  explicit InstanceBox(Host h) : host(std::move(h)) {}
  Host host;
  std::unique_ptr<T> plugin;
};

template <class T> T* pluginOf(void* self) {
  return static_cast<InstanceBox<T>*>(self)->plugin.get();
}

template <class T> struct PrinterDriverGlue {
  static int32_t start(void* self, bb_error* err) {
    return guard(err, [&] {
      pluginOf<T>(self)->start();
      return BB_OK;
    });
  }
  static int32_t stop(void* self, bb_error* err) {
    return guard(err, [&] {
      pluginOf<T>(self)->stop();
      return BB_OK;
    });
  }
  static int32_t command(void* self, const char* json, size_t len, bb_write_fn out, void* user,
                         bb_error* err) {
    return guard(err, [&] {
      std::string result = pluginOf<T>(self)->command(std::string(view(json, len)));
      if (out != nullptr && !result.empty()) {
        out(user, result.data(), result.size());
      }
      return BB_OK;
    });
  }
  static int32_t capabilities(void* self, bb_write_fn out, void* user, bb_error* err) {
    return guard(err, [&] {
      std::string result = pluginOf<T>(self)->capabilities();
      if (out != nullptr) {
        out(user, result.data(), result.size());
      }
      return BB_OK;
    });
  }
  static const void* ops() {
    static const bb_printer_driver_ops table = {sizeof(bb_printer_driver_ops), &start, &stop, &command,
                                                &capabilities};
    return &table;
  }
};

template <class T> struct AuthGlue {
  static int32_t authenticate(void* self, const bb_auth_request* req, bb_principal* out, bb_error* err) {
    return guard(err, [&] {
      AuthRequest r;
      r.method = req->method != nullptr ? req->method : "";
      r.path = req->path != nullptr ? req->path : "";
      r.client_ip = req->client_ip != nullptr ? req->client_ip : "";
      if (req->api_key_header != nullptr) {
        r.api_key = view(req->api_key_header, req->api_key_header_len);
      }
      if (req->authorization_header != nullptr) {
        r.authorization = view(req->authorization_header, req->authorization_header_len);
      }
      AuthResult result = pluginOf<T>(self)->authenticate(r);
      switch (result.outcome) {
      case AuthResult::Outcome::NoCredentials:
        return static_cast<int32_t>(BB_AUTH_NO_CREDENTIALS);
      case AuthResult::Outcome::Invalid:
        fillError(err, BB_OK, result.reason, result.message);
        return static_cast<int32_t>(BB_AUTH_INVALID);
      case AuthResult::Outcome::Ok:
        break;
      }
      const Principal& p = result.principal;
      if (p.printer_ids.size() > BB_MAX_PRINCIPAL_PRINTERS) {
        throw Error(BB_ERR_INVALID_ARGUMENT, "too_many_printers",
                    "principal printer list exceeds the ABI limit");
      }
      copyText(out->id, sizeof out->id, p.id);
      copyText(out->display_name, sizeof out->display_name, p.display_name);
      out->permissions = p.permissions;
      out->printer_count = static_cast<uint32_t>(p.printer_ids.size());
      for (size_t i = 0; i < p.printer_ids.size(); ++i) {
        out->printer_ids[i] = p.printer_ids[i];
      }
      out->rate_limit_read = p.rate_limit_read;
      out->rate_limit_write = p.rate_limit_write;
      out->rate_limit_control = p.rate_limit_control;
      return static_cast<int32_t>(BB_AUTH_OK);
    });
  }
  static const void* ops() {
    static const bb_auth_ops table = {sizeof(bb_auth_ops), &authenticate};
    return &table;
  }
};

template <class T> struct NotifierGlue {
  static int32_t send(void* self, const char* json, size_t len, int64_t deadline_ms, bb_delivery_result* out,
                      bb_error* err) {
    return guard(err, [&] {
      fill(out, pluginOf<T>(self)->send(std::string(view(json, len)), deadline_ms));
      return BB_OK;
    });
  }
  static int32_t sendWithAttachments(void* self, const char* json, size_t len,
                                     const bb_attachment* attachments, size_t count, int64_t deadline_ms,
                                     bb_delivery_result* out, bb_error* err) {
    return guard(err, [&] {
      std::vector<Attachment> images;
      for (size_t i = 0; attachments != nullptr && i < count; ++i) {
        const bb_attachment& a = attachments[i];
        if (a.data == nullptr || a.len == 0) {
          continue;
        }
        images.push_back(Attachment{view(a.role), view(a.filename), view(a.content_type),
                                    std::string_view(reinterpret_cast<const char*>(a.data), a.len)});
      }
      T* plugin = pluginOf<T>(self);
      fill(out, images.empty()
                    ? plugin->send(std::string(view(json, len)), deadline_ms)
                    : plugin->sendWithAttachments(std::string(view(json, len)), images, deadline_ms));
      return BB_OK;
    });
  }
  static int32_t preview(void* self, const char* json, size_t len, bb_write_fn out, void* user,
                         bb_error* err) {
    return guard(err, [&] {
      std::string described = pluginOf<T>(self)->preview(std::string(view(json, len)));
      if (out != nullptr) {
        out(user, described.data(), described.size());
      }
      return BB_OK;
    });
  }
  static void fill(bb_delivery_result* out, const DeliveryResult& r) {
    out->outcome = static_cast<int32_t>(r.outcome);
    out->http_status = r.http_status;
    out->retry_after_ms = r.retry_after_ms;
    copyText(out->response_snippet, sizeof out->response_snippet, r.response_snippet);
    copyText(out->error, sizeof out->error, r.error);
  }
  static const void* ops() {
    static const bb_notifier_ops table = {sizeof(bb_notifier_ops), &send, &sendWithAttachments, &preview};
    return &table;
  }
};

template <class T> struct BlobStoreGlue {
  static int32_t put(void* self, const char* key, size_t key_len, const char* data, size_t len,
                     bb_error* err) {
    return guard(err, [&] {
      pluginOf<T>(self)->put(std::string(view(key, key_len)), view(data, len));
      return BB_OK;
    });
  }
  static int32_t get(void* self, const char* key, size_t key_len, bb_write_fn out, void* user,
                     bb_error* err) {
    return guard(err, [&] {
      std::optional<std::string> blob = pluginOf<T>(self)->get(std::string(view(key, key_len)));
      if (!blob) {
        fillError(err, BB_ERR_NOT_FOUND, "not_found", "no blob with that key");
        return BB_ERR_NOT_FOUND;
      }
      if (out != nullptr) {
        out(user, blob->data(), blob->size());
      }
      return BB_OK;
    });
  }
  static int32_t remove(void* self, const char* key, size_t key_len, bb_error* err) {
    return guard(err, [&] {
      if (!pluginOf<T>(self)->remove(std::string(view(key, key_len)))) {
        fillError(err, BB_ERR_NOT_FOUND, "not_found", "no blob with that key");
        return BB_ERR_NOT_FOUND;
      }
      return BB_OK;
    });
  }
  static int32_t list(void* self, const char* prefix, size_t prefix_len, bb_blob_visit_fn visit, void* user,
                      bb_error* err) {
    return guard(err, [&] {
      for (const BlobInfo& b : pluginOf<T>(self)->list(std::string(view(prefix, prefix_len)))) {
        if (visit(user, b.key.data(), b.key.size(), b.size_bytes) != 0) {
          break;
        }
      }
      return BB_OK;
    });
  }
  static int32_t putFd(void* self, const char* key, size_t key_len, int fd, uint64_t size, bb_error* err) {
    return guard(err, [&] {
      pluginOf<T>(self)->putFromFd(std::string(view(key, key_len)), fd, size);
      return BB_OK;
    });
  }
  static int32_t openRead(void* self, const char* key, size_t key_len, int* out_fd, uint64_t* out_size,
                          bb_error* err) {
    return guard(err, [&] {
      if (out_fd == nullptr || out_size == nullptr) {
        throw Error(BB_ERR_INVALID_ARGUMENT, "invalid_argument", "open_read needs out_fd and out_size");
      }
      std::optional<BlobStore::OpenBlob> blob = pluginOf<T>(self)->openRead(std::string(view(key, key_len)));
      if (!blob) {
        fillError(err, BB_ERR_NOT_FOUND, "not_found", "no blob with that key");
        return BB_ERR_NOT_FOUND;
      }
      *out_fd = blob->fd;
      *out_size = blob->size_bytes;
      return BB_OK;
    });
  }
  static const void* ops() {
    static const bb_storage_ops table = {
        sizeof(bb_storage_ops), &put, &get, &remove, &list, &putFd, &openRead};
    return &table;
  }
};

template <class T> const void* opsFor() {
  if constexpr (std::is_base_of_v<PrinterDriver, T>) {
    return PrinterDriverGlue<T>::ops();
  } else if constexpr (std::is_base_of_v<Authenticator, T>) {
    return AuthGlue<T>::ops();
  } else if constexpr (std::is_base_of_v<Notifier, T>) {
    return NotifierGlue<T>::ops();
  } else {
    static_assert(std::is_base_of_v<BlobStore, T>,
                  "a plugin class must derive from PrinterDriver, Authenticator, Notifier or BlobStore");
    return BlobStoreGlue<T>::ops();
  }
}

template <class T>
int32_t create(const bb_host_api* host, bb_host_ctx* ctx, const char* config, size_t config_len,
               const char* settings, size_t settings_len, void** out_instance, bb_error* err) noexcept {
  return guard(err, [&] {
    if (host == nullptr || out_instance == nullptr) {
      throw Error(BB_ERR_INVALID_ARGUMENT, "invalid_argument", "create called without host or output");
    }
    std::string config_json(config_len == 0 ? std::string_view("{}") : view(config, config_len));
    std::string settings_json(settings_len == 0 ? std::string_view("{}") : view(settings, settings_len));
    auto box = std::make_unique<InstanceBox<T>>(Host(host, ctx));
    box->plugin = std::make_unique<T>(box->host, config_json, settings_json);
    *out_instance = box.release();
    return BB_OK;
  });
}

template <class T> void destroy(void* instance) noexcept {
  // Destructors are noexcept; a throwing one would terminate inside the plugin, never the host's code.
  delete static_cast<InstanceBox<T>*>(instance);
}

template <class T> const bb_plugin_descriptor* descriptor() noexcept {
  static const bb_plugin_descriptor d = {sizeof(bb_plugin_descriptor),
                                         BB_ABI_MAJOR,
                                         BB_ABI_MINOR,
                                         T::kKind,
                                         T::kName,
                                         T::kVersion,
                                         T::kDescription,
                                         T::kConfigSchema,
                                         T::kInstanceSchema,
                                         &create<T>,
                                         &destroy<T>,
                                         opsFor<T>()};
  return &d;
}

} // namespace detail
} // namespace bambuddy::sdk

// Emits the plugin's only exported symbol. Use once per plugin, at namespace scope.
#define BAMBUDDY_PLUGIN(PluginClass)                                                                         \
  extern "C" BB_EXPORT const bb_plugin_descriptor* bb_plugin_query(uint32_t host_abi_major,                  \
                                                                   uint32_t host_abi_minor) {                \
    (void)host_abi_major;                                                                                    \
    (void)host_abi_minor;                                                                                    \
    return ::bambuddy::sdk::detail::descriptor<PluginClass>();                                               \
  }
