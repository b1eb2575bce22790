// The HTTP server: Pistache underneath (http_server.cpp is the only file that includes it), our
// Router and plain Request/Response types on top.
//
// What callers can rely on:
// - Every handler runs on a worker pool, never on a reactor thread. A full queue answers
//   503 {"code":"overloaded"}; a handler exception answers exactly
//   {"detail":"internal error","code":"internal"} and its text goes only to the log.
// - No route: 404 {"code":"not_found"}; path known but not for this method: 405
//   {"code":"method_not_allowed"} with an Allow header. TRACE/CONNECT: 501 {"code":"not_implemented"}.
// - A request with a body is routed and passed through the guard (setGuard) as soon as its headers
//   are complete, on the reactor thread: a refusal (404, 405, 401, 403, 429, ...) is answered
//   before any of the body is read and before "100 Continue", and the connection is closed (after
//   1 MiB of body that still arrives, abruptly). Requests without a body are routed and guarded on
//   a worker.
// - A request (line + headers + body) over max_request_size_bytes: 413 {"code":"request_too_large"},
//   refused as soon as the headers declare too much, then the connection is closed. Malformed
//   requests: 400 {"code":"bad_request"}. "Expect: 100-continue" is answered once the request is
//   accepted.
// - Upload paths: see HttpServerOptions::upload_paths (bodies in files, 411 without a length).
// - Response::file_body is sent in chunks read on workers as the client takes them; responses
//   pipelined after it wait for its last byte.
// - Response::stream_body (StreamBody) is sent as it is written, without a Content-Length and with
//   "Connection: close"; input after its request is discarded. Its sink never blocks: bytes written
//   while a write is in flight are joined into the next one, and pendingBytes() shows the backlog.
//   The socket's send buffer is capped at 64 KiB, so a stalled client pins little kernel memory.
//   It ends when the client goes (Pistache's disconnection, at once), when a write fails, after
//   closeWith(), or at stop(), which ends every stream first instead of waiting out the grace.
//   The one non-JSON answer left is Pistache's own empty 408 when the first request on a
//   connection does not arrive within header_timeout_ms / body_timeout_ms.
// - One access-log line per request (component "http"): method, path without the query string,
//   status, duration, client IP. Never headers, query strings or bodies.
// - HTTP/1.1 connections are persistent unless the client sends "Connection: close". Pipelined
//   requests are answered in order (not for chunked request bodies, whose followers are dropped).
// - A request in progress is bounded by keepalive_timeout_ms: Pistache closes a connection idle
//   that long, and one that is busy with a handler counts as idle (otherwise Pistache would cut
//   it after header_timeout_ms with a 408).
// - stop() is graceful: new requests get 503 {"code":"shutting_down"}, requests already accepted
//   get their responses for up to shutdown_grace_ms, then the listener shuts down and every
//   connection still open is closed.
#pragma once

#include "http/http_types.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace bambuddy {
class Logger;
}

namespace bambuddy::http {

class Router;

struct HttpServerOptions {
  std::string host = "127.0.0.1"; // IPv4 or IPv6 literal ("::1") or a resolvable name
  uint16_t port = 0;              // 0 = ephemeral; read it back with HttpServer::port()
  int threads = 2;                // Pistache reactor threads
  int worker_threads = 4;         // handler threads
  size_t worker_queue_capacity = 1024;
  int64_t max_request_size_bytes = 1024 * 1024; // request line + headers + body
  int64_t keepalive_timeout_ms = 15000;         // idle persistent connection, and in-flight handler budget
  int64_t header_timeout_ms = 10000;            // first request on a connection: line + headers
  int64_t body_timeout_ms = 30000;              // first request on a connection: complete body
  int64_t shutdown_grace_ms = 5000;
  // POSTs to these exact paths (file uploads) may carry bodies up to max_upload_size_bytes;
  // every other request keeps max_request_size_bytes. Checked from Content-Length before any of
  // the body is read. Upload bodies need a Content-Length (411 otherwise) and are written to a
  // private temporary file in upload_temp_dir (Request::body_file), never held in memory.
  std::vector<std::string> upload_paths;
  int64_t max_upload_size_bytes = 0;
  std::string upload_temp_dir; // "" = the system's temporary directory
};

class HttpServer {
public:
  // Throws std::invalid_argument naming the first bad option.
  HttpServer(HttpServerOptions options, Router& router, Logger& logger);
  ~HttpServer(); // stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Installs the guard every routed request passes before its handler (see RequestGuard). Call
  // before start().
  void setGuard(RequestGuard guard);
  // Installs the observer told about every answer (metrics). Call before start().
  void setObserver(ResponseObserver observer);

  // Binds and starts serving. Throws std::runtime_error("cannot listen on HOST:PORT: <reason>")
  // (IPv6 hosts are bracketed: "[::1]:8080"), std::logic_error when called twice.
  void start();
  // The bound port (the real one when options.port was 0); 0 before start().
  uint16_t port() const;
  // Graceful stop, see above. Returns once running handlers have returned. Idempotent.
  void stop();
  bool running() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace bambuddy::http
