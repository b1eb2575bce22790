// SPDX-License-Identifier: MIT
//
// bambuddy/testing/fake_host.hpp — an in-memory host for plugin unit tests, no server needed.
//
// It implements the whole bb_host_api: logs, published events and status reports are recorded,
// kv documents live in a map, subscriptions are kept so a test can emit() events into the plugin
// (delivered synchronously on the calling thread), and now_ms is settable and readable. Instances
// are created through the plugin's real descriptor, so the SDK trampolines are exercised exactly as
// in the server, and with what the server would pass: config and settings checked against the
// plugin's schemas and filled with their defaults (create(); createAsGiven() skips that).
//
//   bambuddy::testing::FakeHost host("/tmp/dir");
//   auto store = host.create(bb_plugin_query(BB_ABI_MAJOR, BB_ABI_MINOR), R"({"root":"x"})", "{}");
//   host.call(store->ops<bb_storage_ops>()->put, store->self(), "a.txt", 5, "hello", 5);
//
// Thread-safe: a plugin may call the host from its own threads.
#pragma once

#include <bambuddy/abi.h>
#include <bambuddy/sdk.hpp>
#include <bambuddy/testing/schema_check.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace bambuddy::testing {

struct LogLine {
  int32_t level;
  std::string instance;
  std::string message;
};

// What one notifier send() returned, called through the plugin's ABI entry as the host calls it
// (FakeHost::Instance::send).
struct DeliveryOutcome {
  int32_t rc = -1;             // BB_OK or the BB_ERR_* code
  bb_delivery_result result{}; // the plugin's verdict when rc is BB_OK
  std::string reason;          // the bb_error's reason and message when it is not
  std::string message;
  std::string error() const { return result.error; }
  std::string snippet() const { return result.response_snippet; }
};

// An image handed to a notifier with a notification (FakeHost::Instance::sendWithAttachments); the
// test owns the bytes, the plugin sees them as a bb_attachment borrowed for the call.
struct TestAttachment {
  std::string role = "thumbnail";
  std::string filename = "thumbnail.png";
  std::string content_type = "image/png";
  std::string data;
};

// What one notifier preview() wrote (FakeHost::Instance::preview).
struct PreviewOutcome {
  int32_t rc = -1;
  std::string json; // the description the plugin wrote when rc is BB_OK
  std::string reason;
  std::string message;
};

struct PublishedEvent {
  std::string instance;
  std::string topic;
  std::string payload_json;
  uint32_t payload_version;
};

class FakeHost {
public:
  // Per-instance context behind the opaque bb_host_ctx pointer.
  struct Ctx {
    FakeHost* host = nullptr;
    std::string plugin_name;
    std::string instance_id;
    uint32_t kind = BB_KIND_INVALID;
    std::string data_dir;
  };

  class Instance;

  // `data_root` is where per-instance data directories are created (data_root/<instance id>).
  explicit FakeHost(std::string data_root = std::filesystem::temp_directory_path().string())
      : data_root_(std::move(data_root)) {
    api_.struct_size = sizeof(bb_host_api);
    api_.abi_major = BB_ABI_MAJOR;
    api_.abi_minor = BB_ABI_MINOR;
    api_.log = &FakeHost::logFn;
    api_.publish = &FakeHost::publishFn;
    api_.subscribe = &FakeHost::subscribeFn;
    api_.unsubscribe = &FakeHost::unsubscribeFn;
    api_.kv_get = &FakeHost::kvGetFn;
    api_.kv_put = &FakeHost::kvPutFn;
    api_.kv_delete = &FakeHost::kvDeleteFn;
    api_.kv_scan = &FakeHost::kvScanFn;
    api_.data_dir = &FakeHost::dataDirFn;
    api_.now_ms = &FakeHost::nowFn;
    api_.report_status = &FakeHost::reportStatusFn;
    api_.register_route = &FakeHost::registerRouteFn;
    api_.server_data_dir = &FakeHost::serverDataDirFn;
    api_.register_route_with_body = &FakeHost::registerRouteWithBodyFn;
    api_.printer_command = &FakeHost::printerCommandFn;
  }

  FakeHost(const FakeHost&) = delete;
  FakeHost& operator=(const FakeHost&) = delete;

  const bb_host_api* api() const { return &api_; }

  // Creates an instance through the descriptor, with what the server would hand create():
  // `config_json` and `settings_json` are checked against the descriptor's config_schema and
  // instance_schema (testing/schema_check.hpp) and filled with their defaults first. A document the
  // server would refuse throws sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_config" or
  // "invalid_settings", "settings.server: required; ...": the server's paths and words) and
  // create() is not called; so does a schema that is not usable. Otherwise throws sdk::Error with
  // the plugin's code and message when create() fails. Calling thread; the instance is owned by
  // the returned object and must not outlive this host.
  std::unique_ptr<Instance> create(const bb_plugin_descriptor* descriptor,
                                   const std::string& config_json = "{}",
                                   const std::string& settings_json = "{}",
                                   const std::string& instance_id = "test") {
    if (descriptor == nullptr) {
      throw std::invalid_argument("descriptor is NULL");
    }
    std::string config = checkedDocument(descriptor->config_schema, config_json, "config", "invalid_config");
    std::string settings =
        checkedDocument(descriptor->instance_schema, settings_json, "settings", "invalid_settings");
    return createAsGiven(descriptor, config, settings, instance_id);
  }

  // create() without the schema step: both documents reach the plugin exactly as given, no
  // defaults filled in. For tests of a plugin's own checks, the ones behind its schema (the server
  // never calls create() with a document its schema refuses).
  std::unique_ptr<Instance> createAsGiven(const bb_plugin_descriptor* descriptor,
                                          const std::string& config_json = "{}",
                                          const std::string& settings_json = "{}",
                                          const std::string& instance_id = "test") {
    if (descriptor == nullptr) {
      throw std::invalid_argument("descriptor is NULL");
    }
    auto ctx = std::make_unique<Ctx>();
    ctx->host = this;
    ctx->plugin_name = descriptor->name != nullptr ? descriptor->name : "";
    ctx->instance_id = instance_id;
    ctx->kind = descriptor->kind;
    ctx->data_dir = (std::filesystem::path(data_root_) / instance_id).string();
    std::filesystem::create_directories(ctx->data_dir);
    bb_error err = sdk::detail::makeError();
    void* self = nullptr;
    int32_t rc =
        descriptor->create(&api_, reinterpret_cast<bb_host_ctx*>(ctx.get()), config_json.data(),
                           config_json.size(), settings_json.data(), settings_json.size(), &self, &err);
    sdk::detail::throwIfFailed(rc, err);
    return std::unique_ptr<Instance>(new Instance(this, descriptor, self, std::move(ctx)));
  }

  // Calls an op that takes (self, ..., bb_error*) and throws sdk::Error if it fails.
  template <class Fn, class... Args> void call(Fn fn, Args&&... args) {
    bb_error err = sdk::detail::makeError();
    sdk::detail::throwIfFailed(fn(std::forward<Args>(args)..., &err), err);
  }

  // Delivers an event to every matching subscription, synchronously on this thread.
  void emit(const std::string& topic, const std::string& payload_json, uint32_t payload_version = 1) {
    std::vector<Subscription> targets;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (const auto& [id, sub] : subscriptions_) {
        if (sub.topic == "*" || sub.topic == topic) {
          targets.push_back(sub);
        }
      }
    }
    std::string id = "evt_test_" + std::to_string(++event_counter_);
    for (const Subscription& s : targets) {
      bb_event e{};
      e.struct_size = sizeof(bb_event);
      e.id = id.c_str();
      e.type = topic.c_str();
      e.timestamp_ms = now_ms_.load();
      e.payload_json = payload_json.data();
      e.payload_len = payload_json.size();
      e.payload_version = payload_version;
      s.cb(s.user, &e);
    }
  }

  // The host's clock (now_ms, event timestamps): 2024-01-15T14:30:00Z until set. Any thread.
  void setNowMs(int64_t now_ms) { now_ms_ = now_ms; }
  int64_t nowMs() const { return now_ms_; }

  // The answer of a plugin route as the server would build it.
  struct RouteResult {
    int status = 0;
    std::string body;
  };

  // Checks a body against a route's declared schema (register_route_with_body) the way the server
  // does: the refusal, or nullopt to let the request through. This header carries no JSON Schema
  // validator, so without a checker bodies reach the handler unchecked; a plugin's tests that
  // depend on the server's refusals set one (the server's own tests use the server's checker).
  using BodyChecker = std::function<std::optional<RouteResult>(const std::string& schema_json, bool optional,
                                                               const std::string& body)>;
  void setBodyChecker(BodyChecker checker) {
    std::lock_guard<std::mutex> lock(mutex_);
    body_checker_ = std::move(checker);
  }

  // The body schema a route declared, as text; nullopt for a route without one (or no such route).
  std::optional<std::string> bodySchema(const std::string& method, const std::string& pattern) const {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const Route& r : routes_) {
      if (r.method == method && r.pattern == pattern && r.has_body) {
        return r.body_schema;
      }
    }
    return std::nullopt;
  }

  // A principal holding every permission, the default caller of callRoute.
  static sdk::Principal adminPrincipal() {
    sdk::Principal p;
    p.id = "test:admin";
    p.display_name = "test admin";
    p.permissions = BB_PERM_ADMIN;
    return p;
  }

  // Calls the route whose pattern matches `path` (no query string; pass `query` separately) the way
  // the server would after authentication: 404 when no route matches, 403 when `principal` lacks
  // the route's permission, error codes mapped to statuses with {"detail","code"} bodies.
  RouteResult callRoute(const std::string& method, const std::string& path, const std::string& body = "",
                        const sdk::Principal& principal = adminPrincipal(),
                        const std::string& client_ip = "127.0.0.1",
                        const std::map<std::string, std::string>& query = {}) {
    Route route;
    std::map<std::string, std::string> params;
    bool found = false;
    BodyChecker checker;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      checker = body_checker_;
      for (const Route& r : routes_) {
        if (r.method == method && matchPattern(r.pattern, path, params)) {
          route = r;
          found = true;
          break;
        }
        params.clear();
      }
    }
    if (!found) {
      return {404, R"({"detail":"no route","code":"not_found"})"};
    }
    if (route.permission != 0 && (principal.permissions & BB_PERM_ADMIN) == 0 &&
        (principal.permissions & route.permission) != route.permission) {
      return {403, R"({"detail":"forbidden","code":"forbidden"})"};
    }
    if (route.has_body && checker) {
      if (std::optional<RouteResult> refused = checker(route.body_schema, route.body_optional, body)) {
        return *refused;
      }
    }
    bb_principal p{};
    p.struct_size = sizeof p;
    sdk::detail::copyText(p.id, sizeof p.id, principal.id);
    sdk::detail::copyText(p.display_name, sizeof p.display_name, principal.display_name);
    p.permissions = principal.permissions;
    p.rate_limit_read = principal.rate_limit_read;
    p.rate_limit_write = principal.rate_limit_write;
    p.rate_limit_control = principal.rate_limit_control;
    std::vector<const char*> pn, pv, qn, qv;
    for (const auto& [k, v] : params) {
      pn.push_back(k.c_str());
      pv.push_back(v.c_str());
    }
    for (const auto& [k, v] : query) {
      qn.push_back(k.c_str());
      qv.push_back(v.c_str());
    }
    bb_http_request req{};
    req.struct_size = sizeof req;
    req.method = method.c_str();
    req.path = path.c_str();
    req.query_string = "";
    req.body = body.data();
    req.body_len = body.size();
    req.client_ip = client_ip.c_str();
    req.param_names = pn.data();
    req.param_values = pv.data();
    req.param_count = pn.size();
    req.query_names = qn.data();
    req.query_values = qv.data();
    req.query_count = qn.size();
    req.principal = &p;
    int32_t status = 200;
    std::string out;
    bb_error err = sdk::detail::makeError();
    int32_t rc = route.handler(route.user, &req, &status, &sdk::detail::appendToString, &out, &err);
    if (rc == BB_OK) {
      return {status, out};
    }
    int code = rc == BB_ERR_INVALID_ARGUMENT ? 400
               : rc == BB_ERR_NOT_FOUND      ? 404
               : rc == BB_ERR_CONFLICT       ? 409
               : rc == BB_ERR_UNSUPPORTED    ? 422
               : rc == BB_ERR_UNAVAILABLE    ? 503
                                             : 500;
    std::string reason = err.reason;
    std::string message = code == 500 ? std::string("internal error") : std::string(err.message);
    return {code, "{\"detail\":\"" + jsonEscape(message) + "\",\"code\":\"" +
                      jsonEscape(code == 500 ? "internal" : reason) + "\"}"};
  }

  // The registered routes as "METHOD pattern".
  std::vector<std::string> routes() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> out;
    for (const Route& r : routes_) {
      out.push_back(r.method + " " + r.pattern);
    }
    return out;
  }

  // Where server_data_dir points (default: data_root).
  void setServerDataDir(std::string dir) { server_data_dir_ = std::move(dir); }

  // One printer_command call as the plugin made it.
  struct PrinterCommand {
    std::string instance;
    int64_t printer_id = 0;
    std::string command_json;
  };
  // Answers printer_command (ABI 0.5) after the call is recorded and the action checked as the
  // server does (pause, resume or stop): return the result object's JSON text, or throw
  // sdk::Error to fail with its code. Unset: every command is answered "{}".
  using PrinterCommandHandler = std::function<std::string(int64_t printer_id, const std::string& action)>;
  void setPrinterCommandHandler(PrinterCommandHandler handler) {
    std::lock_guard<std::mutex> lock(mutex_);
    printer_command_handler_ = std::move(handler);
  }
  std::vector<PrinterCommand> printerCommands() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return printer_commands_;
  }
  // Waits until at least `count` printer commands arrived; false on timeout.
  bool waitForPrinterCommands(size_t count, int64_t timeout_ms) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                             [&] { return printer_commands_.size() >= count; });
  }

  std::vector<LogLine> logs() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return logs_;
  }
  bool logged(const std::string& needle) const {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const LogLine& l : logs_) {
      if (l.message.find(needle) != std::string::npos) {
        return true;
      }
    }
    return false;
  }
  std::vector<PublishedEvent> published() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return published_;
  }
  std::vector<std::string> statusReports() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return status_reports_;
  }
  // Waits until at least `count` status reports arrived; false on timeout.
  bool waitForStatusReports(size_t count, int64_t timeout_ms) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                             [&] { return status_reports_.size() >= count; });
  }
  // The kv documents, keyed by "<plugin name>/<key>".
  std::map<std::string, std::string> kv() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return kv_;
  }
  // Writes or removes a kv document behind the plugin's back, as another server instance sharing
  // the database would (then emit("kv_changed", ...) as the host does). Keyed like kv().
  void putKvDocument(const std::string& plugin_key, std::string value) {
    std::lock_guard<std::mutex> lock(mutex_);
    kv_[plugin_key] = std::move(value);
  }
  bool eraseKvDocument(const std::string& plugin_key) {
    std::lock_guard<std::mutex> lock(mutex_);
    return kv_.erase(plugin_key) > 0;
  }
  size_t subscriptionCount() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return subscriptions_.size();
  }

  class Instance {
  public:
    ~Instance() { destroy(); }
    Instance(const Instance&) = delete;
    Instance& operator=(const Instance&) = delete;

    void* self() const { return self_; }
    const bb_plugin_descriptor* descriptor() const { return descriptor_; }

    // A notifier instance's send() with `notification_json` and the absolute `deadline_ms` (on the
    // host's clock, setNow()). Calling thread; blocks as long as the plugin does.
    DeliveryOutcome send(const std::string& notification_json, int64_t deadline_ms) const {
      DeliveryOutcome out;
      out.result.struct_size = sizeof out.result;
      bb_error err = sdk::detail::makeError();
      out.rc = ops<bb_notifier_ops>()->send(self_, notification_json.data(), notification_json.size(),
                                            deadline_ms, &out.result, &err);
      out.reason = err.reason;
      out.message = err.message;
      return out;
    }
    // since ABI 0.6: the instance's send_with_attachments() with these images, as the host calls it
    // for a notification that has any (the plugin must export the op: the SDK always does).
    DeliveryOutcome sendWithAttachments(const std::string& notification_json,
                                        const std::vector<TestAttachment>& attachments,
                                        int64_t deadline_ms) const {
      DeliveryOutcome out;
      out.result.struct_size = sizeof out.result;
      bb_error err = sdk::detail::makeError();
      std::vector<bb_attachment> borrowed;
      for (const TestAttachment& a : attachments) {
        bb_attachment b{};
        b.struct_size = sizeof b;
        b.role = a.role.c_str();
        b.filename = a.filename.c_str();
        b.content_type = a.content_type.c_str();
        b.data = reinterpret_cast<const uint8_t*>(a.data.data());
        b.len = a.data.size();
        borrowed.push_back(b);
      }
      out.rc = ops<bb_notifier_ops>()->send_with_attachments(self_, notification_json.data(),
                                                             notification_json.size(), borrowed.data(),
                                                             borrowed.size(), deadline_ms, &out.result, &err);
      out.reason = err.reason;
      out.message = err.message;
      return out;
    }
    // since ABI 0.6: the instance's preview() of `notification_json`.
    PreviewOutcome preview(const std::string& notification_json) const {
      PreviewOutcome out;
      bb_error err = sdk::detail::makeError();
      out.rc = ops<bb_notifier_ops>()->preview(self_, notification_json.data(), notification_json.size(),
                                               &sdk::detail::appendToString, &out.json, &err);
      out.reason = err.reason;
      out.message = err.message;
      return out;
    }
    template <class Ops> const Ops* ops() const { return static_cast<const Ops*>(descriptor_->ops); }
    const std::string& dataDir() const { return ctx_->data_dir; }

    // Same order as the server: drop subscriptions, then destroy.
    void destroy() {
      if (self_ == nullptr) {
        return;
      }
      host_->dropSubscriptions(ctx_.get());
      descriptor_->destroy(self_);
      self_ = nullptr;
    }

  private:
    friend class FakeHost;
    Instance(FakeHost* host, const bb_plugin_descriptor* d, void* self, std::unique_ptr<Ctx> ctx)
        : host_(host), descriptor_(d), self_(self), ctx_(std::move(ctx)) {}
    FakeHost* host_;
    const bb_plugin_descriptor* descriptor_;
    void* self_;
    std::unique_ptr<Ctx> ctx_;
  };

private:
  struct Route {
    std::string method;
    std::string pattern;
    uint64_t permission = 0;
    uint32_t rate_class = 0;
    bb_route_fn handler = nullptr;
    void* user = nullptr;
    const void* owner = nullptr;
    bool has_body = false; // declared through register_route_with_body
    std::string body_schema;
    bool body_optional = false;
  };

  // `document` checked against `schema` and filled with its defaults (schema_check.hpp), or
  // sdk::Error(BB_ERR_INVALID_ARGUMENT, `reason`) with the server's "<root>.<path>: <issue>" text.
  static std::string checkedDocument(const char* schema, const std::string& document, const char* root,
                                     const char* reason) {
    std::string refusal;
    std::optional<std::string> checked;
    try {
      checked = checkAgainstSchema(schema != nullptr ? schema : "{}", document, root, refusal);
    } catch (const std::invalid_argument& e) {
      throw sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_schema",
                       std::string("the plugin's ") + root + " schema: " + e.what());
    }
    if (!checked) {
      throw sdk::Error(BB_ERR_INVALID_ARGUMENT, reason, refusal);
    }
    return *checked;
  }

  static std::string jsonEscape(const std::string& text) {
    std::string out;
    for (char c : text) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
        out += buf;
      } else {
        out += c;
      }
    }
    return out;
  }

  static std::vector<std::string> segments(const std::string& path) {
    std::vector<std::string> out;
    size_t start = 1;
    while (start <= path.size()) {
      size_t end = path.find('/', start);
      if (end == std::string::npos) {
        end = path.size();
      }
      out.push_back(path.substr(start, end - start));
      start = end + 1;
    }
    return out;
  }

  static bool matchPattern(const std::string& pattern, const std::string& path,
                           std::map<std::string, std::string>& params) {
    auto want = segments(pattern);
    auto got = segments(path);
    if (want.size() != got.size()) {
      return false;
    }
    for (size_t i = 0; i < want.size(); ++i) {
      const std::string& w = want[i];
      if (w.size() > 2 && w.front() == '{' && w.back() == '}') {
        if (got[i].empty()) {
          return false;
        }
        params[w.substr(1, w.size() - 2)] = got[i];
      } else if (w != got[i]) {
        return false;
      }
    }
    return true;
  }

  static int32_t registerRouteFn(bb_host_ctx* ctx, const char* method, const char* pattern,
                                 uint64_t permission, uint32_t rate_class, bb_route_fn handler, void* user,
                                 bb_error* err) {
    if (method == nullptr || pattern == nullptr || handler == nullptr ||
        std::string(pattern).rfind("/api/v1/", 0) != 0 || rate_class < BB_RATE_READ ||
        rate_class > BB_RATE_CONTROL) {
      sdk::detail::fillError(err, BB_ERR_INVALID_ARGUMENT, "invalid_route",
                             "bad method, pattern or rate class");
      return BB_ERR_INVALID_ARGUMENT;
    }
    FakeHost* h = hostOf(ctx);
    std::lock_guard<std::mutex> lock(h->mutex_);
    for (const Route& r : h->routes_) {
      if (r.method == method && r.pattern == pattern) {
        sdk::detail::fillError(err, BB_ERR_CONFLICT, "route_taken", "route already registered");
        return BB_ERR_CONFLICT;
      }
    }
    Route route;
    route.method = method;
    route.pattern = pattern;
    route.permission = permission;
    route.rate_class = rate_class;
    route.handler = handler;
    route.user = user;
    route.owner = ctxOf(ctx);
    h->routes_.push_back(std::move(route));
    return BB_OK;
  }

  static int32_t registerRouteWithBodyFn(bb_host_ctx* ctx, const char* method, const char* pattern,
                                         uint64_t permission, uint32_t rate_class, const char* body_schema,
                                         size_t schema_len, uint32_t body_flags, bb_route_fn handler,
                                         void* user, bb_error* err) {
    if (body_schema == nullptr || (body_flags & ~uint32_t{BB_BODY_OPTIONAL}) != 0) {
      sdk::detail::fillError(err, BB_ERR_INVALID_ARGUMENT, "invalid_body_schema", "bad body schema or flags");
      return BB_ERR_INVALID_ARGUMENT;
    }
    int32_t rc = registerRouteFn(ctx, method, pattern, permission, rate_class, handler, user, err);
    if (rc != BB_OK) {
      return rc;
    }
    FakeHost* h = hostOf(ctx);
    std::lock_guard<std::mutex> lock(h->mutex_);
    for (Route& added : h->routes_) {
      if (added.method == method && added.pattern == pattern) {
        added.has_body = true;
        added.body_schema.assign(body_schema, schema_len);
        added.body_optional = (body_flags & BB_BODY_OPTIONAL) != 0;
      }
    }
    return BB_OK;
  }

  static const char* serverDataDirFn(bb_host_ctx* ctx) {
    FakeHost* h = hostOf(ctx);
    return h->server_data_dir_.empty() ? h->data_root_.c_str() : h->server_data_dir_.c_str();
  }

  struct Subscription {
    std::string topic;
    bb_event_fn cb;
    void* user;
    const void* owner;
  };

  static FakeHost* hostOf(bb_host_ctx* ctx) { return reinterpret_cast<Ctx*>(ctx)->host; }
  static Ctx* ctxOf(bb_host_ctx* ctx) { return reinterpret_cast<Ctx*>(ctx); }
  // kv documents are namespaced by plugin name, as in the server.
  static std::string kvKey(bb_host_ctx* ctx, const char* key, size_t len) {
    return ctxOf(ctx)->plugin_name + "/" + std::string(key, len);
  }

  void dropSubscriptions(const void* owner) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = subscriptions_.begin(); it != subscriptions_.end();) {
      it = it->second.owner == owner ? subscriptions_.erase(it) : std::next(it);
    }
    // Unlike the server (where a destroyed instance's routes answer 503), the fake forgets them so
    // a test can create the plugin again on the same host.
    for (auto it = routes_.begin(); it != routes_.end();) {
      it = it->owner == owner ? routes_.erase(it) : std::next(it);
    }
  }

  static void logFn(bb_host_ctx* ctx, int32_t level, const char* msg, size_t len) {
    FakeHost* h = hostOf(ctx);
    std::lock_guard<std::mutex> lock(h->mutex_);
    h->logs_.push_back({level, ctxOf(ctx)->instance_id, std::string(msg, len)});
  }
  static int32_t publishFn(bb_host_ctx* ctx, const char* topic, const char* json, size_t len,
                           uint32_t version, bb_error* err) {
    if (topic == nullptr || *topic == '\0') {
      sdk::detail::fillError(err, BB_ERR_INVALID_ARGUMENT, "invalid_topic", "topic is empty");
      return BB_ERR_INVALID_ARGUMENT;
    }
    FakeHost* h = hostOf(ctx);
    std::lock_guard<std::mutex> lock(h->mutex_);
    h->published_.push_back({ctxOf(ctx)->instance_id, topic, std::string(json, len), version});
    h->changed_.notify_all();
    return BB_OK;
  }
  static int32_t subscribeFn(bb_host_ctx* ctx, const char* topic, bb_event_fn cb, void* user,
                             uint64_t* out_id, bb_error* err) {
    if (topic == nullptr || *topic == '\0' || cb == nullptr || out_id == nullptr) {
      sdk::detail::fillError(err, BB_ERR_INVALID_ARGUMENT, "invalid_argument",
                             "topic, callback and id are required");
      return BB_ERR_INVALID_ARGUMENT;
    }
    FakeHost* h = hostOf(ctx);
    std::lock_guard<std::mutex> lock(h->mutex_);
    uint64_t id = ++h->next_subscription_;
    h->subscriptions_[id] = {topic, cb, user, ctxOf(ctx)};
    *out_id = id;
    return BB_OK;
  }
  static int32_t unsubscribeFn(bb_host_ctx* ctx, uint64_t id, bb_error* err) {
    FakeHost* h = hostOf(ctx);
    std::lock_guard<std::mutex> lock(h->mutex_);
    auto it = h->subscriptions_.find(id);
    if (it == h->subscriptions_.end() || it->second.owner != ctxOf(ctx)) {
      sdk::detail::fillError(err, BB_ERR_NOT_FOUND, "not_found", "no such subscription");
      return BB_ERR_NOT_FOUND;
    }
    h->subscriptions_.erase(it);
    return BB_OK;
  }
  static int32_t kvGetFn(bb_host_ctx* ctx, const char* key, size_t len, bb_write_fn out, void* user,
                         bb_error* err) {
    FakeHost* h = hostOf(ctx);
    std::string value;
    {
      std::lock_guard<std::mutex> lock(h->mutex_);
      auto it = h->kv_.find(kvKey(ctx, key, len));
      if (it == h->kv_.end()) {
        sdk::detail::fillError(err, BB_ERR_NOT_FOUND, "not_found", "no such key");
        return BB_ERR_NOT_FOUND;
      }
      value = it->second;
    }
    out(user, value.data(), value.size());
    return BB_OK;
  }
  static int32_t kvPutFn(bb_host_ctx* ctx, const char* key, size_t len, const char* value, size_t value_len,
                         bb_error* err) {
    if (len == 0 || len > 256) {
      sdk::detail::fillError(err, BB_ERR_INVALID_ARGUMENT, "invalid_key", "key must be 1..256 bytes");
      return BB_ERR_INVALID_ARGUMENT;
    }
    FakeHost* h = hostOf(ctx);
    std::lock_guard<std::mutex> lock(h->mutex_);
    h->kv_[kvKey(ctx, key, len)] = std::string(value, value_len);
    return BB_OK;
  }
  static int32_t kvDeleteFn(bb_host_ctx* ctx, const char* key, size_t len, bb_error* err) {
    FakeHost* h = hostOf(ctx);
    std::lock_guard<std::mutex> lock(h->mutex_);
    if (h->kv_.erase(kvKey(ctx, key, len)) == 0) {
      sdk::detail::fillError(err, BB_ERR_NOT_FOUND, "not_found", "no such key");
      return BB_ERR_NOT_FOUND;
    }
    return BB_OK;
  }
  static int32_t kvScanFn(bb_host_ctx* ctx, const char* prefix, size_t len, bb_kv_visit_fn visit, void* user,
                          bb_error* /*err*/) {
    FakeHost* h = hostOf(ctx);
    std::string full_prefix = kvKey(ctx, prefix, len);
    std::vector<std::pair<std::string, std::string>> rows;
    {
      std::lock_guard<std::mutex> lock(h->mutex_);
      for (auto it = h->kv_.lower_bound(full_prefix); it != h->kv_.end(); ++it) {
        if (it->first.compare(0, full_prefix.size(), full_prefix) != 0) {
          break;
        }
        rows.emplace_back(it->first.substr(ctxOf(ctx)->plugin_name.size() + 1), it->second);
      }
    }
    for (const auto& [k, v] : rows) {
      if (visit(user, k.data(), k.size(), v.data(), v.size()) != 0) {
        break;
      }
    }
    return BB_OK;
  }
  static const char* dataDirFn(bb_host_ctx* ctx) { return ctxOf(ctx)->data_dir.c_str(); }
  static int64_t nowFn(bb_host_ctx* ctx) { return hostOf(ctx)->now_ms_; }
  static int32_t reportStatusFn(bb_host_ctx* ctx, const char* json, size_t len, bb_error* err) {
    if (ctxOf(ctx)->kind != BB_KIND_PRINTER_DRIVER) {
      sdk::detail::fillError(err, BB_ERR_UNSUPPORTED, "unsupported", "only printer drivers report status");
      return BB_ERR_UNSUPPORTED;
    }
    FakeHost* h = hostOf(ctx);
    std::lock_guard<std::mutex> lock(h->mutex_);
    h->status_reports_.emplace_back(json, len);
    h->changed_.notify_all();
    return BB_OK;
  }

  static int32_t printerCommandFn(bb_host_ctx* ctx, int64_t printer_id, const char* json, size_t len,
                                  bb_write_fn out, void* out_user, bb_error* err) {
    FakeHost* h = hostOf(ctx);
    std::string command(json != nullptr ? json : "", json != nullptr ? len : 0);
    PrinterCommandHandler handler;
    {
      std::lock_guard<std::mutex> lock(h->mutex_);
      h->printer_commands_.push_back({ctxOf(ctx)->instance_id, printer_id, command});
      handler = h->printer_command_handler_;
      h->changed_.notify_all();
    }
    // The server's rule, without a JSON parser in this header: exactly one of three bodies.
    std::string action;
    for (const char* a : {"pause", "resume", "stop"}) {
      if (command == std::string("{\"action\":\"") + a + "\"}") {
        action = a;
      }
    }
    if (action.empty()) {
      sdk::detail::fillError(err, BB_ERR_INVALID_ARGUMENT, "invalid_command",
                             "command must be {\"action\": \"pause\" | \"resume\" | \"stop\"}");
      return BB_ERR_INVALID_ARGUMENT;
    }
    return sdk::detail::guard(err, [&] {
      std::string result = handler ? handler(printer_id, action) : std::string("{}");
      if (out != nullptr) {
        out(out_user, result.data(), result.size());
      }
      return BB_OK;
    });
  }

  std::string data_root_;
  bb_host_api api_{};
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<LogLine> logs_;
  std::vector<PublishedEvent> published_;
  std::vector<std::string> status_reports_;
  std::map<std::string, std::string> kv_;
  std::map<uint64_t, Subscription> subscriptions_;
  std::vector<Route> routes_;
  BodyChecker body_checker_;
  std::string server_data_dir_;
  PrinterCommandHandler printer_command_handler_;
  std::vector<PrinterCommand> printer_commands_;
  uint64_t next_subscription_ = 0;
  std::atomic<uint64_t> event_counter_{0};
  std::atomic<int64_t> now_ms_{1705329000000}; // 2024-01-15T14:30:00Z
};

} // namespace bambuddy::testing
