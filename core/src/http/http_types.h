// Plain request/response types of the REST layer. Nothing here knows about Pistache, so every
// resource, the auth chain and the tests build against these alone.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace bambuddy::http {

enum class Method { Get, Head, Post, Put, Patch, Delete, Options };

// Rate-limit class of a route. None = public and unlimited (health).
enum class RateClass { None, Read, Write, Control };

// "GET", "HEAD", ...
std::string_view methodName(Method method);
// Exact, case-sensitive method token (HTTP methods are case-sensitive); nullopt otherwise.
std::optional<Method> parseMethod(std::string_view token);
// "none", "read", "write", "control"
std::string_view rateClassName(RateClass rate_class);

// The authenticated caller of a request, as established by the auth chain. Permissions are the
// BB_PERM_* bits of sdk/include/bambuddy/abi.h; rate limits of 0 mean "the server default".
struct Principal {
  std::string id;
  std::string display_name;
  uint64_t permissions = 0;
  std::vector<int64_t> printer_ids; // empty = every printer
  uint32_t rate_limit_read = 0;
  uint32_t rate_limit_write = 0;
  uint32_t rate_limit_control = 0;
};

// A request body that was written to a file instead of memory (uploads, see
// HttpServerOptions::upload_paths). The file is removed when the last holder lets go.
class BodyFile {
public:
  BodyFile(std::string path, uint64_t size_bytes) : path_(std::move(path)), size_bytes_(size_bytes) {}
  ~BodyFile();
  BodyFile(const BodyFile&) = delete;
  BodyFile& operator=(const BodyFile&) = delete;

  const std::string& path() const { return path_; }
  uint64_t sizeBytes() const { return size_bytes_; }

private:
  std::string path_;
  uint64_t size_bytes_;
};

// A response body sent from an open file descriptor in chunks, so a large download is never held
// whole in memory. Owns the descriptor (closed on destruction); `size_bytes` are read from
// offset 0 with pread, so the descriptor's own offset does not matter.
class FileBody {
public:
  FileBody(int fd, uint64_t size_bytes) : fd_(fd), size_bytes_(size_bytes) {}
  ~FileBody();
  FileBody(const FileBody&) = delete;
  FileBody& operator=(const FileBody&) = delete;

  int fd() const { return fd_; }
  uint64_t sizeBytes() const { return size_bytes_; }

private:
  int fd_;
  uint64_t size_bytes_;
};

// The writing end of a streamed response body (Server-Sent Events), handed to StreamBody::open
// once the response head is queued. Thread-safe; no call blocks or calls back into the body.
class StreamSink {
public:
  virtual ~StreamSink() = default;
  // Queues bytes after whatever is queued already. False (nothing queued) once the connection is
  // gone, the server stops or close() was called.
  virtual bool write(std::string bytes) = 0;
  // Bytes handed to write() that the kernel has not taken yet (a slow client's backlog).
  virtual size_t pendingBytes() const = 0;
  // Drops what is queued and not yet being written, queues `last` (may be empty) instead, and ends
  // the response after it: the connection is closed once those bytes are out. For a client too slow
  // to keep up, which is told so in `last`.
  virtual void closeWith(std::string last) = 0;
  // Call every few seconds while nothing is written: a stream that is quiet on purpose is not an
  // idle connection, and this keeps the server's keep-alive timeout from closing it.
  virtual void keepAlive() = 0;
};

// A response body of unknown length that the server writes as it is produced (Server-Sent Events).
// The response goes out without a Content-Length and with "Connection: close"; the connection
// carries nothing after it.
class StreamBody {
public:
  virtual ~StreamBody() = default;
  // Called once, when the head is queued, on a worker or reactor thread; `sink` stays usable until
  // closed(). Writes made from inside open() come right after the head.
  virtual void open(std::shared_ptr<StreamSink> sink) = 0;
  // Called once when the stream ended: the client went away, the server is stopping, a write
  // failed, or closeWith() finished. Any thread, possibly from inside one of the sink's own calls
  // on the thread that made it (so it must not take a lock held around sink calls); must be quick
  // and must not call the sink. Not called when open() never was (the client
  // left before the head went out, or the request was HEAD): the body is then just destroyed.
  virtual void closed() = 0;
};

struct Request {
  Method method = Method::Get;
  // Path as sent, still percent-encoded, without the query string.
  std::string path;
  // Raw text after '?', without the '?' (may carry secrets: never log it).
  std::string query_string;
  // Decoded query parameters ('+' is a space); for a repeated key the first value wins.
  std::map<std::string, std::string> query;
  // Decoded values of the route's {name} segments.
  std::map<std::string, std::string> params;
  // The body, except on upload paths, where it is in `body_file` and this stays empty.
  std::string body;
  // Peer address of the TCP connection ("127.0.0.1", "::1"); IPv4-mapped IPv6 is shown as IPv4.
  std::string client_ip;
  // Request headers in arrival order, names as sent.
  std::vector<std::pair<std::string, std::string>> headers;
  // Set by the request guard for routes that need authentication; empty on public routes.
  std::optional<Principal> principal;
  // Upload paths only: the body, in a file (see `body`).
  std::shared_ptr<const BodyFile> body_file;
  // On a route with a body check: the body, parsed and checked, set just before the handler runs.
  std::shared_ptr<const nlohmann::json> json_body;

  // Value of the first header with this name, compared case-insensitively.
  std::optional<std::string> header(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string body;
  // Sent as the Content-Type header unless `headers` sets one explicitly; empty = none.
  std::string content_type = "application/json";
  // Extra response headers. Connection, Content-Length and Transfer-Encoding belong to the
  // server and are ignored; a repeated name is sent once with the values joined by ", ".
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, the body is sent from this file instead of `body` (which must be empty).
  std::shared_ptr<FileBody> file_body;
  // When set, the body is produced by this stream instead of `body` (which must be empty); see
  // StreamBody. Ignored for HEAD and for statuses without a body.
  std::shared_ptr<StreamBody> stream_body;

  // Body is `body` serialized compactly; invalid UTF-8 in strings is replaced, never thrown.
  static Response json(int status, const nlohmann::json& body);
  // The API's error shape: {"detail": detail, "code": code}.
  static Response error(int status, std::string code, std::string detail);
};

using Handler = std::function<Response(const Request&)>;

struct RouteSpec;

// Runs after routing and before the route's handler: on a worker thread for requests without a
// body, and on the HTTP reactor thread as soon as the headers of a request with a body are
// complete (so a refused request is answered before its body is read); it must therefore be quick
// and never block. It may rewrite the request (client_ip behind a trusted proxy, principal).
// Returning a response answers with it instead of calling the handler (401, 403, 429);
// `extra_headers` are added to whatever response goes out, the handler's included (rate-limit
// headers).
using RequestGuard =
    std::function<std::optional<Response>(const RouteSpec& route, Request& request,
                                          std::vector<std::pair<std::string, std::string>>& extra_headers)>;

// Told about every answer the server sends, on the thread that sends it (a worker or a reactor
// thread): the route the path matched (null when none did; set also when the guard refused), the
// request's method, the status, and the seconds from the request's arrival to the answer. Must be
// quick and must not throw.
using ResponseObserver =
    std::function<void(const RouteSpec* route, Method method, int status, double seconds)>;

// The declared JSON body of a route. The server runs admit() after the request guard (so an
// unauthenticated or unauthorized request is refused before its body is looked at) and before the
// handler; the route's OpenAPI entry serves schema() as is, so the document and the check are one.
class BodyCheck {
public:
  virtual ~BodyCheck() = default;
  // The JSON Schema the body must meet.
  virtual const nlohmann::json& schema() const = 0;
  // False when an empty body is read as {} (the body is optional).
  virtual bool required() const = 0;
  // Parses and checks request.body: nullopt with request.json_body set, or the refusal (400/413).
  virtual std::optional<Response> admit(Request& request) const = 0;
};

struct RouteSpec {
  Method method = Method::Get;
  // "/api/v1/printers/{id}": literal segments and whole-segment {name} parameters.
  std::string pattern;
  // "" = public, otherwise the permission's wire name, e.g. "settings:read".
  std::string permission;
  RateClass rate_class = RateClass::None;
  std::string summary;
  Handler handler;
  // False for routes that are not part of the REST API (the web interface's files): they are left
  // out of GET /api/v1/openapi.json.
  bool in_openapi = true;
  // The JSON body the route takes, checked before the handler runs; null for routes without a
  // JSON body (no body, or a raw upload).
  std::shared_ptr<const BodyCheck> body = nullptr;
  // The caller may authenticate with a single-use stream token in the query (`?token=`) instead of
  // an API key header: for browsers' EventSource, which cannot set headers (GET /events/stream).
  bool accepts_stream_token = false;
};

// Runs a routed, authorized request: the route's body check, then (when it admits the body) the
// handler. Exceptions from the handler pass through.
Response serve(const RouteSpec& route, Request& request);

} // namespace bambuddy::http
