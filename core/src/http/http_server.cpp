// The only file that includes Pistache. It replaces Pistache's request entry point
// (Http::Handler::onInput) so that every answer this layer gives is JSON, requests are read with
// our own limits, and handlers run on the worker pool; see http_server.h for the contract.
#include "http/http_server.h"

#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <shared_mutex>
#include <stdexcept>
#include <vector>

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/peer.h>

#include "common/logger.h"
#include "common/time.h"
#include "http/request_head.h"
#include "http/response_prep.h"
#include "http/router.h"
#include "http/stream_writer.h"
#include "http/url.h"
#include "http/worker_pool.h"

namespace bambuddy::http {

namespace {

namespace PH = Pistache::Http;
namespace PT = Pistache::Tcp;
using Clock = std::chrono::steady_clock;

constexpr const char* kLog = "http";
constexpr const char* kConnectionDataKey = "bambuddy.connection";

// Keeps responses on one connection in request order: pipelined requests run on different
// workers and may finish in any order.
struct ResponseOrder {
  // Recursive: a file pump that fails at once finishes (and drains) on the thread that started it.
  std::recursive_mutex mutex;
  uint64_t next_seq = 0;                            // the response allowed on the wire next
  std::map<uint64_t, std::function<void()>> parked; // finished early, waiting for their turn
  bool streaming = false; // a file body is still going out: later responses wait for it
  // Responses handed to Pistache's write queue whose write has not settled yet.
  std::atomic<int> queued_writes{0};

  // Sends whatever may go next. Called with `mutex` held.
  void drainLocked() {
    while (!streaming) {
      auto it = parked.find(next_seq);
      if (it == parked.end()) {
        return;
      }
      std::function<void()> send = std::move(it->second);
      parked.erase(it);
      ++next_seq;
      if (send) {
        send(); // may set `streaming`
      }
    }
  }
};

constexpr size_t kFileChunkBytes = 256 * 1024;
// SO_SNDBUF of a streamed response's socket (the kernel doubles it for its bookkeeping).
constexpr int kStreamSendBufferBytes = 64 * 1024;
// Bytes read and thrown away after a refusal was written, and in all, before the connection of a
// refused request is closed.
constexpr uint64_t kMaxDiscardBytes = 1024 * 1024;
constexpr uint64_t kMaxDiscardTotalBytes = 16 * 1024 * 1024;

// One request on its way to a response.
struct Exchange {
  std::weak_ptr<PT::Peer> peer;
  std::shared_ptr<ResponseOrder> order;
  uint64_t seq = 0;
  std::string version = "HTTP/1.1";
  std::string method_label = "-"; // for the log, also when the method was not understood
  Request request;
  bool head = false;  // HEAD: headers only
  bool close = false; // half-close the connection after the response
  Clock::time_point started = Clock::now();
  // Set when routing and the guard already ran as the headers arrived (requests with a body).
  const RouteSpec* route = nullptr;
  // The route the path matched, also when the guard refused the request (for the observer).
  const RouteSpec* matched = nullptr;
  std::vector<std::pair<std::string, std::string>> extra_headers;
};

// An upload body on its way to a temporary file. The file goes when this does, unless the
// finished request took it over (BodyFile then removes it).
struct UploadSink {
  int fd = -1;
  std::string path;
  uint64_t size = 0;
  uint64_t left = 0;
  ~UploadSink() {
    if (fd >= 0) {
      ::close(fd);
    }
    if (!path.empty()) {
      ::unlink(path.c_str());
    }
  }
};

// What this layer tracks per connection, next to Pistache's own parser.
class StreamPump;

struct ConnectionState {
  std::shared_ptr<ResponseOrder> order = std::make_shared<ResponseOrder>();
  // Set once a streamed response (StreamBody) started on this connection: nothing may follow it,
  // so later input is discarded, and a disconnection ends the stream at once.
  std::atomic<bool> stream_started{false};
  std::mutex stream_mutex;
  std::weak_ptr<StreamPump> stream;
  uint64_t next_seq = 0; // sequence number for the next request (reactor thread only)

  std::string head; // bytes of the current request up to the end of its header block
  bool head_complete = false;
  std::optional<RequestHead> parsed;
  uint64_t fed = 0;     // bytes of the current request given to Pistache's parser
  uint64_t limit = 0;   // size limit of the current request (0 until its head is read)
  bool discard = false; // a fatal error was answered: ignore the rest of the input
  // Set (from the write's continuation) once an answer that closes the connection is written.
  std::atomic<bool> closing_answer_sent{false};
  uint64_t discarded = 0; // bytes ignored since that answer was written; past a bound: closed
  uint64_t discarded_total = 0;
  // A request whose head passed routing and the guard, waiting for its body.
  std::shared_ptr<Exchange> pending;
  // Set while an upload body streams to a file instead of Pistache's parser.
  std::unique_ptr<UploadSink> upload;
  Clock::time_point upload_refreshed{};

  void nextRequest() {
    head.clear();
    head_complete = false;
    parsed.reset();
    fed = 0;
    limit = 0;
    pending.reset();
    upload.reset();
  }
};

std::optional<Method> fromPistache(PH::Method method) {
  switch (method) {
  case PH::Method::Get:
    return Method::Get;
  case PH::Method::Head:
    return Method::Head;
  case PH::Method::Post:
    return Method::Post;
  case PH::Method::Put:
    return Method::Put;
  case PH::Method::Patch:
    return Method::Patch;
  case PH::Method::Delete:
    return Method::Delete;
  case PH::Method::Options:
    return Method::Options;
  default:
    return std::nullopt; // TRACE, CONNECT
  }
}

std::string peerIp(const PT::Peer& peer) {
  std::string ip = peer.address().host();
  // A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d; rate limits want the IPv4 form.
  constexpr std::string_view kMapped = "::ffff:";
  if (ip.size() > kMapped.size() && ip.compare(0, kMapped.size(), kMapped) == 0 &&
      ip.find('.') != std::string::npos) {
    ip.erase(0, kMapped.size());
  }
  return ip;
}

std::string hostPortLabel(const std::string& host, uint16_t port) {
  bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Pistache::Address resolveAddress(const std::string& host, uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (rc != 0 || found == nullptr) {
    throw std::runtime_error(rc != 0 ? gai_strerror(rc) : "host not found");
  }
  Pistache::IP ip(found->ai_addr);
  ::freeaddrinfo(found);
  return Pistache::Address(ip, Pistache::Port(port));
}

std::string joinMethods(const std::vector<Method>& methods) {
  std::string out;
  for (Method method : methods) {
    if (!out.empty()) {
      out += ", ";
    }
    out += methodName(method);
  }
  return out;
}

Response internalError() {
  return Response::error(500, "internal", "internal error");
}

class FlightGuard;

// Shared by every Pistache handler clone, the workers and HttpServer.
class ServerCore : public std::enable_shared_from_this<ServerCore> {
public:
  ServerCore(const HttpServerOptions& options, Router& router, Logger& logger)
      : options_(options), router_(router), logger_(logger),
        workers_(options.worker_threads, options.worker_queue_capacity) {}

  size_t maxRequestSize() const { return static_cast<size_t>(options_.max_request_size_bytes); }

  // A POST to one of the upload paths: its body may be larger and goes to a temporary file.
  bool isUpload(const RequestHead& head) const {
    if (head.method != "POST" || options_.upload_paths.empty()) {
      return false;
    }
    std::string path = head.target.substr(0, head.target.find('?'));
    for (const std::string& upload : options_.upload_paths) {
      if (path == upload) {
        return true;
      }
    }
    return false;
  }

  // The limit for one request: larger for uploads.
  size_t limitFor(const RequestHead& head) const {
    if (options_.max_upload_size_bytes > options_.max_request_size_bytes && isUpload(head)) {
      return static_cast<size_t>(options_.max_upload_size_bytes);
    }
    return maxRequestSize();
  }

  // A new, empty, private (0600) file for an upload body; throws std::runtime_error with the
  // reason when it cannot be made.
  std::unique_ptr<UploadSink> openUploadFile(uint64_t size) {
    std::string dir = options_.upload_temp_dir.empty() ? std::filesystem::temp_directory_path().string()
                                                       : options_.upload_temp_dir;
    auto sink = std::make_unique<UploadSink>();
    for (int attempt = 0; attempt < 8; ++attempt) {
      uint64_t token;
      {
        std::lock_guard<std::mutex> lock(random_mutex_);
        token = random_();
      }
      char name[40];
      std::snprintf(name, sizeof name, "/upload-%016llx.part", static_cast<unsigned long long>(token));
      std::string path = dir + name;
      int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (fd >= 0) {
        sink->fd = fd;
        sink->path = std::move(path);
        sink->size = size;
        sink->left = size;
        return sink;
      }
      if (errno != EEXIST) {
        throw std::runtime_error("cannot create a temporary file in " + dir + ": " + std::strerror(errno));
      }
    }
    throw std::runtime_error("cannot create a temporary file in " + dir);
  }

  // Reactor thread: a complete request goes to the worker pool (or is refused at once).
  void dispatch(const std::shared_ptr<Exchange>& exchange) {
    bool draining = false;
    {
      std::lock_guard<std::mutex> lock(flight_mutex_);
      ++in_flight_;
      draining = draining_;
    }
    if (draining) {
      respond(exchange, Response::error(503, "shutting_down", "the server is shutting down"));
      return;
    }
    auto self = shared_from_this();
    if (!workers_.post([self, exchange] { self->run(exchange); })) {
      respond(exchange, Response::error(503, "overloaded", "too many requests in progress; retry shortly"));
    }
  }

  // Reactor thread: answer without running a handler (malformed or oversized input).
  // `on_reactor`: called on the reactor thread that owns the connection, which lets a refusal be
  // written straight to the socket when nothing is ahead of it (see respond()).
  void answerNow(const std::shared_ptr<Exchange>& exchange, Response response, bool on_reactor = false) {
    {
      std::lock_guard<std::mutex> lock(flight_mutex_);
      ++in_flight_;
    }
    respond(exchange, std::move(response), on_reactor);
  }

  // Writes the response (from any thread), logs the access line, and releases the in-flight
  // count once the bytes are written or the write has failed.
  void respond(const std::shared_ptr<Exchange>& exchange, Response response, bool on_reactor = false);

  // --- for FilePump
  bool post(std::function<void()> task) { return workers_.post(std::move(task)); }

  // The peer, unless it is gone or the server no longer sends.
  std::shared_ptr<PT::Peer> livePeer(const std::weak_ptr<PT::Peer>& weak_peer) {
    if (sendsClosed()) {
      return nullptr;
    }
    return weak_peer.lock();
  }

  // Pistache closes a connection whose parser was last reset longer ago than the keep-alive
  // timeout, even while a long download is flowing; resetting it (on the reactor thread, and only
  // while no next request has started to arrive) keeps that clock measuring inactivity.
  void refreshIdleClock(const std::weak_ptr<PT::Peer>& weak_peer) {
    if (workers_.onWorkerThread()) {
      return; // only the reactor thread may touch the parser
    }
    auto peer = weak_peer.lock();
    if (!peer) {
      return;
    }
    auto data = peer->tryGetData(kConnectionDataKey);
    if (!data) {
      return;
    }
    auto& state = *std::static_pointer_cast<ConnectionState>(data);
    if (state.head.empty() && state.fed == 0 && !state.upload) {
      PH::Handler::getParser(peer)->reset();
    }
  }

  bool onWorkerThread() const { return workers_.onWorkerThread(); }
  void logError(const std::string& line) { logger_.error(kLog, line); }

  // Reactor thread only: there the descriptor is known to still belong to this peer (Pistache
  // closes it on that thread), so it is safe to shut down.
  void shutdownOnReactor(const std::shared_ptr<PT::Peer>& peer, int how) {
    std::shared_lock<std::shared_mutex> lock(send_mutex_);
    if (!sends_closed_ && !workers_.onWorkerThread()) {
      ::shutdown(peer->fd(), how);
    }
  }

  // Shuts the socket down (`how`) once what is queued for it is written: an empty write, whose
  // continuation runs on the reactor thread, where the descriptor is known to be this peer's.
  void shutdownAfterQueued(const std::shared_ptr<PT::Peer>& peer, int how) {
    std::weak_ptr<PT::Peer> weak = peer;
    auto self = shared_from_this();
    try {
      peer->send(Pistache::RawBuffer(std::string(), 0))
          .then(
              [weak, self, how](ssize_t) {
                if (auto alive = weak.lock()) {
                  self->shutdownOnReactor(alive, how);
                }
              },
              [](std::exception_ptr) {});
    } catch (const std::exception&) {
    }
  }

  // Called once per dispatch()/answerNow().
  void finishOne() {
    std::lock_guard<std::mutex> lock(flight_mutex_);
    --in_flight_;
    if (in_flight_ == 0) {
      idle_.notify_all();
    }
  }

  size_t beginDrain() {
    std::lock_guard<std::mutex> lock(flight_mutex_);
    draining_ = true;
    return in_flight_;
  }

  // True when nothing is in flight; false with the count left when the wait timed out.
  bool waitIdle(std::chrono::milliseconds grace, size_t& left) {
    std::unique_lock<std::mutex> lock(flight_mutex_);
    bool idle = idle_.wait_for(lock, grace, [this] { return in_flight_ == 0; });
    left = in_flight_;
    return idle;
  }

  // After this no thread touches Pistache's transport again, so the endpoint can shut down.
  void closeSends() {
    std::unique_lock<std::shared_mutex> lock(send_mutex_);
    sends_closed_ = true;
  }

  void stopWorkers() { workers_.stop(); }

  // stop(): streamed responses never finish on their own, so they end here instead of holding the
  // graceful stop for its whole grace period; none starts afterwards.
  void endStreams();
  // A stream ended (StreamPump::end): the server lets go of it.
  void forgetStream(const StreamPump* pump);

  // Reactor thread, on accept: remember which socket this peer owns.
  void trackPeer(const std::shared_ptr<PT::Peer>& peer) {
    struct stat st {};
    if (::fstat(peer->fd(), &st) != 0) {
      return;
    }
    std::lock_guard<std::mutex> lock(peers_mutex_);
    if (peers_.size() >= prune_at_) {
      // A peer object that is gone was removed by Pistache, which closed its socket.
      peers_.erase(std::remove_if(peers_.begin(), peers_.end(),
                                  [](const TrackedPeer& tracked) { return tracked.peer.expired(); }),
                   peers_.end());
      prune_at_ = std::max<size_t>(64, peers_.size() * 2);
    }
    peers_.push_back(TrackedPeer{peer, peer->fd(), st.st_dev, st.st_ino});
  }

  // After the endpoint is destroyed: Pistache 0.0.5 closes a socket only when it removes a peer,
  // not when it shuts down, so connections still open then would leak and their clients would
  // hang. A descriptor still naming the very socket seen at accept time is one of those.
  void closeLeftoverSockets() {
    std::lock_guard<std::mutex> lock(peers_mutex_);
    size_t closed = 0;
    for (const TrackedPeer& tracked : peers_) {
      struct stat st {};
      if (::fstat(tracked.fd, &st) == 0 && st.st_dev == tracked.dev && st.st_ino == tracked.ino) {
        ::shutdown(tracked.fd, SHUT_RDWR);
        ::close(tracked.fd);
        ++closed;
      }
    }
    peers_.clear();
    if (closed > 0) {
      logger_.info(kLog, "closed " + std::to_string(closed) + " connection(s) left open at shutdown");
    }
  }

private:
  struct TrackedPeer {
    std::weak_ptr<PT::Peer> peer;
    int fd;
    dev_t dev;
    ino_t ino;
  };

  bool sendsClosed() {
    std::shared_lock<std::shared_mutex> lock(send_mutex_);
    return sends_closed_;
  }

  // Worker thread.
  void run(const std::shared_ptr<Exchange>& exchange) {
    if (sendsClosed()) {
      // Accepted before stop() but never started: its answer could not be delivered anyway.
      respond(exchange, Response::error(503, "shutting_down", "the server is shutting down"));
      return;
    }
    if (exchange->route == nullptr) {
      if (auto refused = authorize(*exchange)) {
        respond(exchange, std::move(*refused));
        return;
      }
    }
    respond(exchange, callHandler(*exchange));
  }

public:
  // Routing and the guard. On success the exchange carries its route and the guard's extra
  // headers, and nullopt is returned; otherwise the answer to send instead (404, 405, 401, ...).
  // Runs on a worker, or on the reactor thread for a request whose body has not been read yet.
  std::optional<Response> authorize(Exchange& exchange) {
    Request& request = exchange.request;
    Router::Match match = router_.match(request.method, request.path);
    if (!match.route) {
      if (match.path_matched_other_method) {
        Response response = Response::error(405, "method_not_allowed",
                                            "method " + std::string(methodName(request.method)) +
                                                " is not allowed for " + request.path);
        response.headers.emplace_back("Allow", joinMethods(match.allowed));
        return response;
      }
      return Response::error(404, "not_found",
                             "no route for " + std::string(methodName(request.method)) + " " + request.path);
    }
    request.params = std::move(match.params);
    exchange.matched = match.route;
    try {
      if (guard_) {
        if (auto denied = guard_(*match.route, request, exchange.extra_headers)) {
          appendHeaders(*denied, exchange.extra_headers);
          return denied;
        }
      }
    } catch (const std::exception& e) {
      logger_.error(kLog, "request guard for " + logSafe(request.path) + " failed: " + e.what());
      return internalError();
    } catch (...) {
      logger_.error(kLog,
                    "request guard for " + logSafe(request.path) + " failed with a non-standard exception");
      return internalError();
    }
    exchange.route = match.route;
    return std::nullopt;
  }

private:
  Response callHandler(Exchange& exchange) {
    Request& request = exchange.request;
    std::string what = std::string(methodName(request.method)) + " " + request.path;
    try {
      Response response = serve(*exchange.route, request);
      appendHeaders(response, exchange.extra_headers);
      return response;
    } catch (const std::exception& e) {
      logger_.error(kLog, "handler for " + logSafe(what) + " failed: " + e.what());
    } catch (...) {
      logger_.error(kLog, "handler for " + logSafe(what) + " failed with a non-standard exception");
    }
    return internalError();
  }

  // `streamed`: the body follows as a stream (no Content-Length, nothing from out.body).
  static std::string serialize(const Exchange& exchange, const PreparedResponse& out, bool streamed = false);
  void transmit(const std::weak_ptr<PT::Peer>& weak_peer, std::string text,
                const std::shared_ptr<FlightGuard>& guard, bool close,
                const std::shared_ptr<ResponseOrder>& order);
  void streamFile(const std::weak_ptr<PT::Peer>& weak_peer, std::string head_text,
                  const std::shared_ptr<FlightGuard>& guard, bool close, std::shared_ptr<FileBody> file,
                  const std::shared_ptr<ResponseOrder>& order);
  void streamEvents(const std::weak_ptr<PT::Peer>& weak_peer, std::string head_text,
                    const std::shared_ptr<FlightGuard>& guard, std::shared_ptr<StreamBody> body,
                    const std::shared_ptr<ResponseOrder>& order);

  static void appendHeaders(Response& response,
                            const std::vector<std::pair<std::string, std::string>>& extra) {
    response.headers.insert(response.headers.end(), extra.begin(), extra.end());
  }

public:
  // Set once before start(); read by workers afterwards.
  RequestGuard guard_;
  ResponseObserver observer_;

private:
  HttpServerOptions options_;
  Router& router_;
  Logger& logger_;
  WorkerPool workers_;

  std::mutex flight_mutex_;
  std::condition_variable idle_;
  size_t in_flight_ = 0;
  bool draining_ = false;

  std::shared_mutex send_mutex_;
  bool sends_closed_ = false;

  std::mutex random_mutex_;
  std::mt19937_64 random_{std::random_device{}()};

  std::mutex peers_mutex_;
  std::vector<TrackedPeer> peers_;
  size_t prune_at_ = 64;

  std::mutex streams_mutex_;
  // The open streams. Owned here: nothing else keeps a pump that writes directly alive between
  // writes (the producer may let go of its sink once it has asked for the close).
  std::map<const StreamPump*, std::shared_ptr<StreamPump>> streams_;
  bool streams_ended_ = false;
  std::shared_ptr<StreamWriter> stream_writer_; // made with the first stream
};

// Releases one in-flight count exactly once: when the write settles, or at the latest when
// Pistache drops the write's continuation (it does so without settling it if the peer is gone).
class FlightGuard {
public:
  explicit FlightGuard(std::shared_ptr<ServerCore> core) : core_(std::move(core)) {}
  ~FlightGuard() { release(); }
  FlightGuard(const FlightGuard&) = delete;
  FlightGuard& operator=(const FlightGuard&) = delete;

  void release() {
    if (!released_.exchange(true)) {
      core_->finishOne();
    }
  }

private:
  std::shared_ptr<ServerCore> core_;
  std::atomic<bool> released_{false};
};

void ServerCore::respond(const std::shared_ptr<Exchange>& exchange, Response response, bool on_reactor) {
  auto guard = std::make_shared<FlightGuard>(shared_from_this());
  const std::string what =
      exchange->method_label + " " +
      logSafe(exchange->request.path.empty() ? std::string("-") : exchange->request.path);

  PreparedResponse out = prepareResponse(std::move(response));
  for (const std::string& problem : out.problems) {
    logger_.warn(kLog, "response to " + what + ": " + problem);
  }
  if (!out.status_ok) {
    out = prepareResponse(internalError());
  }
  std::shared_ptr<StreamBody> stream_body;
  if (out.stream_body && !exchange->head && !statusForbidsBody(out.status)) {
    // A stream's end is the connection's end: it has no length to announce.
    stream_body = out.stream_body;
    exchange->close = true;
  }
  out.stream_body.reset();
  out.headers.emplace_back("Date", formatHttpDate(nowUtcMs()));
  out.headers.emplace_back("Connection", exchange->close ? "close" : "keep-alive");
  std::string text = serialize(*exchange, out, stream_body != nullptr);

  std::shared_lock<std::shared_mutex> lock(send_mutex_);
  bool deliverable = !sends_closed_ && !exchange->peer.expired();

  // The access line is written before the response, so it exists once a client has its answer.
  double ms = std::chrono::duration<double, std::milli>(Clock::now() - exchange->started).count();
  char timing[32];
  std::snprintf(timing, sizeof(timing), "%.1fms", ms);
  std::string line = what + " " + std::to_string(out.status) + " " + timing + " " +
                     (exchange->request.client_ip.empty() ? "-" : exchange->request.client_ip);
  if (!deliverable) {
    line += sends_closed_ ? " (not sent: server stopped)" : " (not sent: client gone)";
  }
  logger_.info(kLog, line);
  if (observer_) {
    observer_(exchange->matched, exchange->request.method, out.status, ms / 1000.0);
  }

  std::function<void()> send; // empty: nothing to send, but the turn still passes
  std::shared_ptr<FileBody> file_body;
  if (out.file_body && !exchange->head && !statusForbidsBody(out.status)) {
    file_body = std::move(out.file_body);
  }
  std::shared_ptr<ResponseOrder> order = exchange->order;
  if (deliverable && on_reactor && !file_body && !stream_body) {
    // A refusal answered while its connection keeps sending: Pistache would write the answer only
    // after it has drained the socket, which a client pushing a body can keep full. Written here,
    // on the thread that owns the socket, when no earlier answer is still waiting or queued.
    std::lock_guard<std::recursive_mutex> order_lock(order->mutex);
    auto peer = exchange->peer.lock();
    if (peer && exchange->seq == order->next_seq && !order->streaming && order->queued_writes.load() == 0) {
      ssize_t sent = ::send(peer->fd(), text.data(), text.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (sent == static_cast<ssize_t>(text.size())) {
        ++order->next_seq;
        if (exchange->close) {
          if (auto data = peer->tryGetData(kConnectionDataKey)) {
            std::static_pointer_cast<ConnectionState>(data)->closing_answer_sent = true;
          }
          ::shutdown(peer->fd(), SHUT_WR);
        }
        guard->release();
        order->drainLocked();
        return;
      }
      if (sent > 0) {
        text.erase(0, static_cast<size_t>(sent)); // the rest goes through the write queue
      }
    }
  }
  if (deliverable) {
    send = [this, peer = exchange->peer, text = std::move(text), guard, close = exchange->close,
            file_body = std::move(file_body), stream_body = std::move(stream_body), order]() mutable {
      if (stream_body) {
        streamEvents(peer, std::move(text), guard, std::move(stream_body), order);
      } else if (file_body) {
        streamFile(peer, std::move(text), guard, close, std::move(file_body), order);
      } else {
        transmit(peer, std::move(text), guard, close, order);
      }
    };
  }
  std::lock_guard<std::recursive_mutex> order_lock(order->mutex);
  order->parked.emplace(exchange->seq, std::move(send));
  order->drainLocked();
}

// Sends a file body chunk by chunk: each chunk is read (on a worker) only after the previous one
// was written, so one download holds at most one chunk in memory and no thread waits for a slow
// client. Later responses on the connection wait until the last chunk is out.
class FilePump : public std::enable_shared_from_this<FilePump> {
public:
  FilePump(std::shared_ptr<ServerCore> core, std::weak_ptr<PT::Peer> peer, std::shared_ptr<FileBody> file,
           std::shared_ptr<FlightGuard> guard, bool close, std::shared_ptr<ResponseOrder> order)
      : core_(std::move(core)), peer_(std::move(peer)), file_(std::move(file)), guard_(std::move(guard)),
        close_(close), order_(std::move(order)) {}

  // Continuation of a write: on the peer's reactor thread, or on the thread that queued it when
  // the write settled first. Either way the next chunk is read on a worker.
  void written(bool ok) {
    if (!ok) {
      finish(false);
      return;
    }
    if (offset_ >= file_->sizeBytes()) {
      if (close_) {
        if (auto peer = peer_.lock()) {
          core_->shutdownOnReactor(peer, SHUT_WR);
        }
      }
      finish(true);
      return;
    }
    auto self = shared_from_this();
    core_->refreshIdleClock(peer_);
    if (!core_->post([self] { self->next(); })) {
      finish(false);
    }
  }

  // Worker thread.
  void next() {
    std::shared_ptr<PT::Peer> peer = core_->livePeer(peer_);
    if (!peer) {
      finish(false);
      return;
    }
    size_t want = static_cast<size_t>(std::min<uint64_t>(kFileChunkBytes, file_->sizeBytes() - offset_));
    std::string chunk(want, '\0');
    size_t got = 0;
    while (got < want) {
      ssize_t n = ::pread(file_->fd(), chunk.data() + got, want - got, static_cast<off_t>(offset_ + got));
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        abort(peer, n < 0 ? std::strerror(errno) : "the file is shorter than announced");
        return;
      }
      got += static_cast<size_t>(n);
    }
    offset_ += got;
    auto self = shared_from_this();
    try {
      peer->send(Pistache::RawBuffer(std::move(chunk), got))
          .then([self](ssize_t) { self->written(true); },
                [self](std::exception_ptr) { self->written(false); });
    } catch (const std::exception&) {
      finish(false);
    }
  }

  // The head promised bytes that cannot be read: the only honest end is to cut the connection so
  // the client sees a short body. The cut happens on the reactor thread, after what was queued.
  void abort(const std::shared_ptr<PT::Peer>& peer, const std::string& reason) {
    core_->logError("file response cut short: " + reason);
    core_->shutdownAfterQueued(peer, SHUT_RDWR);
    finish(false);
  }

  void finish(bool /*complete*/) {
    if (finished_.exchange(true)) {
      return;
    }
    guard_->release();
    std::lock_guard<std::recursive_mutex> lock(order_->mutex);
    order_->streaming = false;
    order_->drainLocked();
  }

private:
  std::shared_ptr<ServerCore> core_;
  std::weak_ptr<PT::Peer> peer_;
  std::shared_ptr<FileBody> file_;
  std::shared_ptr<FlightGuard> guard_;
  bool close_;
  std::shared_ptr<ResponseOrder> order_;
  uint64_t offset_ = 0;
  std::atomic<bool> finished_{false};
};

void ServerCore::streamFile(const std::weak_ptr<PT::Peer>& weak_peer, std::string head_text,
                            const std::shared_ptr<FlightGuard>& guard, bool close,
                            std::shared_ptr<FileBody> file, const std::shared_ptr<ResponseOrder>& order) {
  // Runs with the order's mutex held (from drainLocked) and send_mutex_ held shared.
  std::shared_ptr<PT::Peer> peer = sends_closed_ ? nullptr : weak_peer.lock();
  if (!peer) {
    return; // the guard releases the count
  }
  auto pump = std::make_shared<FilePump>(shared_from_this(), weak_peer, std::move(file), guard, close, order);
  order->streaming = true;
  try {
    size_t head_size = head_text.size();
    peer->send(Pistache::RawBuffer(std::move(head_text), head_size))
        .then([pump](ssize_t) { pump->written(true); }, [pump](std::exception_ptr) { pump->written(false); });
  } catch (const std::exception& e) {
    order->streaming = false;
    logger_.error(kLog, std::string("queueing a response failed: ") + e.what());
  }
}

// A streamed response body (StreamBody): the sink its producer writes to.
//
// The head (and whatever the body writes while it opens) goes out through Pistache, in order after
// the connection's earlier responses. Once that write has settled, the pump takes a descriptor of
// its own for the socket (a dup, made on the reactor thread) and from then on writes directly,
// non-blocking, on the producer's thread; only when the client is behind does it wait for
// StreamWriter's EPOLLOUT (stream_writer.h says why). Bytes the socket did not take stay in
// `pending_`, whose unsent size the producer watches (pendingBytes()) to drop a client that cannot
// keep up, so nothing queues without bound. Pistache's own writes of the stream (the head, and
// empty writes that keep its idle clock fresh) settle on the peer's reactor thread, where the
// clock may be refreshed and the descriptor duplicated.
class StreamPump : public StreamSink, public StreamTarget, public std::enable_shared_from_this<StreamPump> {
public:
  // `idle_refresh`: how often a quiet stream refreshes Pistache's idle clock (well inside the
  // keep-alive timeout).
  StreamPump(std::shared_ptr<ServerCore> core, std::weak_ptr<PT::Peer> peer, std::shared_ptr<StreamBody> body,
             std::shared_ptr<FlightGuard> guard, std::shared_ptr<ResponseOrder> order,
             std::chrono::milliseconds idle_refresh, std::shared_ptr<StreamWriter> writer)
      : core_(std::move(core)), peer_(std::move(peer)), body_(std::move(body)), guard_(std::move(guard)),
        order_(std::move(order)), idle_refresh_(idle_refresh), writer_(std::move(writer)) {}

  // The head first, then what the body writes while it opens, as one write.
  void begin(std::string head) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      append(std::move(head));
    }
    body_->open(shared_from_this());
    {
      std::lock_guard<std::mutex> lock(mutex_);
      started_ = true;
    }
    flush();
  }

  bool write(std::string bytes) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (ended_ || closing_) {
        return false;
      }
      append(std::move(bytes));
      // Writing directly, only a full socket makes bytes wait (a write in flight through Pistache
      // is then an empty one that refreshes the idle clock, which direct bytes need not wait for).
      if (!started_ || waiting_ || (direct_fd_ < 0 && in_flight_)) {
        return true; // goes out when the write in flight settles, or the socket has room
      }
    }
    flush();
    return true;
  }

  size_t pendingBytes() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return pending_.size() - sent_ + in_flight_bytes_;
  }

  void closeWith(std::string last) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (ended_ || closing_) {
        return;
      }
      closing_ = true;
      if (!started_) {
        append(std::move(last)); // still inside open(): the head in pending_ must go out first
        return;
      }
      // What is not on its way yet is dropped, except the rest of a write the socket took only in
      // part: the client must not see half of it.
      const bool partial = !chunk_ends_.empty() && sent_ > chunk_start_;
      std::string kept = partial ? pending_.substr(sent_, chunk_ends_.front() - sent_) : std::string();
      pending_.clear();
      chunk_ends_.clear();
      sent_ = 0;
      chunk_start_ = 0;
      append(std::move(kept));
      append(std::move(last));
    }
    flush();
  }

  void keepAlive() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      const Clock::time_point now = Clock::now();
      if (!started_ || ended_ || in_flight_ || now - last_settled_ < idle_refresh_) {
        return;
      }
      in_flight_ = true; // an empty write through Pistache: its continuation refreshes the idle clock
      last_settled_ = now;
    }
    send(std::string());
  }

  void onWritable() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      waiting_ = false;
      if (direct_fd_ >= 0) {
        writer_->want(watch_id_, false); // the one-shot fired: watch for a hang-up again
      }
    }
    flush();
  }

  void onHangup() override { end(); }

  // The client went away, a write failed, the stream is finished, or the server stops.
  void end() {
    auto self = shared_from_this(); // the server's reference may be the last; it goes below
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (ended_) {
        return;
      }
      ended_ = true;
      pending_.clear();
      chunk_ends_.clear();
      sent_ = 0;
      chunk_start_ = 0;
      if (direct_fd_ >= 0) {
        // Under the lock: no write can be using the descriptor while it closes.
        writer_->unwatch(watch_id_);
        ::close(direct_fd_);
        direct_fd_ = -1;
      }
    }
    guard_->release();
    {
      std::lock_guard<std::recursive_mutex> lock(order_->mutex);
      order_->streaming = false;
      order_->drainLocked();
    }
    body_->closed();
    core_->forgetStream(this);
  }

  ~StreamPump() override {
    if (direct_fd_ >= 0) { // not reached (end() closes it), but a descriptor must never leak
      writer_->unwatch(watch_id_);
      ::close(direct_fd_);
    }
  }

private:
  // mutex_ held.
  void append(std::string bytes) {
    if (bytes.empty()) {
      return;
    }
    pending_ += bytes;
    chunk_ends_.push_back(pending_.size());
  }

  // mutex_ held: `n` more bytes are out.
  void advance(size_t n) {
    sent_ += n;
    while (!chunk_ends_.empty() && chunk_ends_.front() <= sent_) {
      chunk_start_ = chunk_ends_.front();
      chunk_ends_.pop_front();
    }
    if (sent_ == pending_.size()) {
      pending_.clear();
      chunk_ends_.clear();
      sent_ = 0;
      chunk_start_ = 0;
    } else if (chunk_start_ >= kCompactBytes) {
      // Only whole writes are dropped from the front, so chunk_start_ keeps telling where the write
      // being sent began.
      pending_.erase(0, chunk_start_);
      for (size_t& end : chunk_ends_) {
        end -= chunk_start_;
      }
      sent_ -= chunk_start_;
      chunk_start_ = 0;
    }
  }

  // Sends what is pending the way the stream writes now (through Pistache until the head is out,
  // then directly), and finishes the stream once a close was asked for and everything is out.
  void flush() {
    enum class Next { Nothing, SendQueued, CloseQueued, End };
    Next next = Next::Nothing;
    std::string chunk;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (ended_ || !started_) {
        return;
      }
      if (direct_fd_ >= 0) {
        while (!waiting_ && sent_ < pending_.size()) {
          ssize_t n = ::send(direct_fd_, pending_.data() + sent_, pending_.size() - sent_,
                             MSG_DONTWAIT | MSG_NOSIGNAL);
          if (n > 0) {
            advance(static_cast<size_t>(n));
            last_settled_ = Clock::now();
          } else if (n < 0 && errno == EINTR) {
            continue;
          } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            waiting_ = true;
            writer_->want(watch_id_, true);
          } else {
            next = Next::End; // reset or gone
            break;
          }
        }
        if (next == Next::Nothing && closing_ && pending_.empty() && !in_flight_) {
          ::shutdown(direct_fd_, SHUT_WR); // the client sees the end of the stream
          next = Next::End;
        }
      } else if (!in_flight_) {
        if (!pending_.empty()) {
          chunk = pending_.substr(sent_);
          pending_.clear();
          chunk_ends_.clear();
          sent_ = 0;
          chunk_start_ = 0;
          in_flight_ = true;
          in_flight_bytes_ = chunk.size();
          next = Next::SendQueued;
        } else if (closing_) {
          next = Next::CloseQueued;
        }
      }
    }
    switch (next) {
    case Next::SendQueued:
      send(std::move(chunk));
      break;
    case Next::CloseQueued:
      closeConnection();
      break;
    case Next::End:
      end();
      break;
    case Next::Nothing:
      break;
    }
  }

  // Through Pistache: the head, or an empty write that refreshes the idle clock.
  void send(std::string chunk) {
    std::shared_ptr<PT::Peer> peer = core_->livePeer(peer_);
    if (!peer) {
      end();
      return;
    }
    auto self = shared_from_this();
    try {
      size_t size = chunk.size();
      peer->send(Pistache::RawBuffer(std::move(chunk), size))
          .then([self](ssize_t) { self->written(true); },
                [self](std::exception_ptr) { self->written(false); });
    } catch (const std::exception&) {
      end();
    }
  }

  // Continuation of a write through Pistache: on the peer's reactor thread (see the class comment).
  void written(bool ok) {
    if (!ok) {
      end();
      return;
    }
    const Clock::time_point settled = Clock::now();
    if (settled - last_refresh_ >= idle_refresh_) {
      // Once per refresh period is enough (the timeout is three of them), and it is not free.
      last_refresh_ = settled;
      core_->refreshIdleClock(peer_);
    }
    if (!direct_tried_ && !core_->onWorkerThread()) {
      direct_tried_ = true;
      takeSocket();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      in_flight_ = false;
      in_flight_bytes_ = 0;
      last_settled_ = settled;
    }
    flush();
  }

  // Reactor thread, once the head is out: the stream's own descriptor for the socket, with a
  // small send buffer (the kernel would let a stalled client's grow to megabytes; the stream's own
  // backlog is bounded by its producer). Without one (no descriptors left) the stream keeps
  // writing through Pistache.
  void takeSocket() {
    std::shared_ptr<PT::Peer> peer = peer_.lock();
    if (!peer) {
      return;
    }
    const int bytes = kStreamSendBufferBytes;
    ::setsockopt(peer->fd(), SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
    const int fd = ::fcntl(peer->fd(), F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
      core_->logError(std::string("event stream: no descriptor of its own (") + std::strerror(errno) +
                      "); writing through the reactor");
      return;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    if (ended_) {
      ::close(fd);
      return;
    }
    const uint64_t id = writer_->watch(fd, weak_from_this());
    if (id == 0) {
      ::close(fd);
      return;
    }
    direct_fd_ = fd;
    watch_id_ = id;
  }

  // Before the stream writes directly: everything is out through Pistache; half-close (the client
  // sees the end), on the reactor thread by way of an empty write's continuation.
  void closeConnection() {
    if (std::shared_ptr<PT::Peer> peer = core_->livePeer(peer_)) {
      core_->shutdownAfterQueued(peer, SHUT_WR);
    }
    end();
  }

  static constexpr size_t kCompactBytes = 64 * 1024;

  std::shared_ptr<ServerCore> core_;
  std::weak_ptr<PT::Peer> peer_;
  std::shared_ptr<StreamBody> body_;
  std::shared_ptr<FlightGuard> guard_;
  std::shared_ptr<ResponseOrder> order_;
  const std::chrono::milliseconds idle_refresh_;
  std::shared_ptr<StreamWriter> writer_;

  mutable std::mutex mutex_;
  std::string pending_;           // bytes not yet taken by the socket, from sent_ on
  size_t sent_ = 0;               // of pending_, already sent
  std::deque<size_t> chunk_ends_; // where each write() ends in pending_ (closeWith keeps writes whole)
  size_t chunk_start_ = 0;        // where the first write of chunk_ends_ begins
  size_t in_flight_bytes_ = 0;    // handed to Pistache, not settled
  bool started_ = false;
  bool in_flight_ = false; // a write through Pistache has not settled
  bool waiting_ = false;   // direct: the socket is full, StreamWriter calls back
  bool closing_ = false;
  bool ended_ = false;
  int direct_fd_ = -1;
  uint64_t watch_id_ = 0;
  Clock::time_point last_settled_ = Clock::now();
  bool direct_tried_ = false;           // reactor thread only
  Clock::time_point last_refresh_ = {}; // reactor thread only
};

void ServerCore::streamEvents(const std::weak_ptr<PT::Peer>& weak_peer, std::string head_text,
                              const std::shared_ptr<FlightGuard>& guard, std::shared_ptr<StreamBody> body,
                              const std::shared_ptr<ResponseOrder>& order) {
  // Runs with the order's mutex held (from drainLocked) and send_mutex_ held shared.
  std::shared_ptr<PT::Peer> peer = sends_closed_ ? nullptr : weak_peer.lock();
  if (!peer) {
    return; // the guard releases the count; the body was never opened
  }
  // A third of the keep-alive timeout, at most 5 s: a few refreshes fit in every timeout.
  const auto idle_refresh =
      std::chrono::milliseconds(std::clamp<int64_t>(options_.keepalive_timeout_ms / 3, 1, 5000));
  std::shared_ptr<StreamPump> pump;
  {
    std::lock_guard<std::mutex> lock(streams_mutex_);
    if (streams_ended_) {
      return;
    }
    if (!stream_writer_) {
      try {
        stream_writer_ = std::make_shared<StreamWriter>();
      } catch (const std::exception& e) {
        logger_.error(kLog, e.what());
        return;
      }
    }
    pump = std::make_shared<StreamPump>(shared_from_this(), weak_peer, std::move(body), guard, order,
                                        idle_refresh, stream_writer_);
    streams_[pump.get()] = pump;
  }
  if (auto data = peer->tryGetData(kConnectionDataKey)) {
    auto state = std::static_pointer_cast<ConnectionState>(data);
    std::lock_guard<std::mutex> lock(state->stream_mutex);
    state->stream = pump;
    state->stream_started = true;
  }
  order->streaming = true;
  pump->begin(std::move(head_text));
}

void ServerCore::forgetStream(const StreamPump* pump) {
  std::shared_ptr<StreamPump> dropped; // released after the lock: its body may take other locks
  std::lock_guard<std::mutex> lock(streams_mutex_);
  auto it = streams_.find(pump);
  if (it != streams_.end()) {
    dropped = std::move(it->second);
    streams_.erase(it);
  }
}

void ServerCore::endStreams() {
  std::map<const StreamPump*, std::shared_ptr<StreamPump>> streams;
  {
    std::lock_guard<std::mutex> lock(streams_mutex_);
    streams_ended_ = true;
    streams.swap(streams_);
  }
  for (const auto& [key, pump] : streams) {
    pump->end();
  }
  std::shared_ptr<StreamWriter> writer;
  {
    std::lock_guard<std::mutex> lock(streams_mutex_);
    writer = std::move(stream_writer_);
  }
  if (writer) {
    writer->stop();
  }
}

void ServerCore::transmit(const std::weak_ptr<PT::Peer>& weak_peer, std::string text,
                          const std::shared_ptr<FlightGuard>& guard, bool close,
                          const std::shared_ptr<ResponseOrder>& order) {
  // Runs with send_mutex_ held shared; parked responses may run after stop() closed sends.
  std::shared_ptr<PT::Peer> peer = sends_closed_ ? nullptr : weak_peer.lock();
  if (!peer) {
    return; // the guard releases the count
  }
  auto self = shared_from_this();
  size_t size = text.size();
  try {
    // Peer::send queues the bytes on the reactor's write queue; see serialize() for why the
    // response does not go through Http::ResponseWriter.
    order->queued_writes.fetch_add(1);
    peer->send(Pistache::RawBuffer(std::move(text), size))
        .then(
            [guard, weak_peer, close, self, order](ssize_t) {
              order->queued_writes.fetch_sub(1);
              // Only on a reactor thread is the fd known to still belong to this peer (Pistache
              // closes it there); when the write settled before we attached, skip the half-close
              // and let the keep-alive timeout reap the connection.
              auto alive = weak_peer.lock();
              if (close && alive) {
                if (auto data = alive->tryGetData(kConnectionDataKey)) {
                  std::static_pointer_cast<ConnectionState>(data)->closing_answer_sent = true;
                }
                if (!self->workers_.onWorkerThread()) {
                  ::shutdown(alive->fd(), SHUT_WR);
                }
              }
              guard->release();
            },
            [guard, order](std::exception_ptr) {
              order->queued_writes.fetch_sub(1);
              guard->release();
            });
  } catch (const std::exception& e) {
    logger_.error(kLog, std::string("queueing a response failed: ") + e.what());
  }
}

std::string ServerCore::serialize(const Exchange& exchange, const PreparedResponse& out, bool streamed) {
  // Responses are serialized here and queued with Peer::send rather than through
  // Http::ResponseWriter, for three reasons measured on Pistache 0.0.5:
  // - ResponseWriter::send returns a chained promise whose continuations Pistache runs without
  //   its lock; attaching one from a worker thread races with the reactor (ThreadSanitizer).
  // - It flips the peer's idle flag, a plain bool the reactor reads, from the calling thread.
  // - It always writes a Content-Length for the body it sends: wrong for HEAD (must announce the
  //   GET length without the body) and for 204/304 (must have none).
  bool bodyless = statusForbidsBody(out.status);
  std::optional<size_t> length;
  if (!bodyless && !streamed) {
    length = out.file_body ? static_cast<size_t>(out.file_body->sizeBytes()) : out.body.size();
  }
  std::string text = serializeHead(exchange.version, out.status,
                                   PH::codeString(static_cast<PH::Code>(out.status)), out.headers, length);
  if (!exchange.head && !bodyless && !streamed) {
    text += out.body;
  }
  return text;
}

// The Pistache handler. One clone runs per reactor thread; all share the ServerCore.
class RequestHandler final : public PH::Handler {
public:
  HTTP_PROTOTYPE(RequestHandler)

  explicit RequestHandler(std::shared_ptr<ServerCore> core) : core_(std::move(core)) {}

  // Unused: onInput below hands requests to the core directly.
  void onRequest(const PH::Request&, PH::ResponseWriter response) override {
    response.send(PH::Code::Internal_Server_Error, "{\"detail\":\"internal error\",\"code\":\"internal\"}");
  }

private:
  // Replaces Http::Handler::onConnection: installs the same request parser Pistache would, and
  // registers the socket for the shutdown cleanup.
  void onConnection(const std::shared_ptr<PT::Peer>& peer) override {
    peer->putData(ParserData, std::make_shared<PH::RequestParser>(getMaxRequestSize()));
    peer->putData(kConnectionDataKey, std::make_shared<ConnectionState>());
    core_->trackPeer(peer);
  }

  // A streamed response ends when its client goes; Pistache drops the continuations of writes
  // still queued for a gone peer, so the pump would otherwise never learn of it.
  void onDisconnection(const std::shared_ptr<PT::Peer>& peer) override {
    std::shared_ptr<StreamPump> pump;
    if (auto data = peer->tryGetData(kConnectionDataKey)) {
      auto state = std::static_pointer_cast<ConnectionState>(data);
      std::lock_guard<std::mutex> lock(state->stream_mutex);
      pump = state->stream.lock();
    }
    if (pump) {
      pump->end();
    }
  }

  // Replaces Http::Handler::onInput (same parser, same peer bookkeeping) so that limits are
  // checked on the raw head and every error is answered in JSON.
  void onInput(const char* buffer, size_t len, const std::shared_ptr<PT::Peer>& peer) override;

  std::shared_ptr<ConnectionState> connectionState(const std::shared_ptr<PT::Peer>& peer) {
    auto data = peer->tryGetData(kConnectionDataKey);
    if (data) {
      return std::static_pointer_cast<ConnectionState>(data);
    }
    auto state = std::make_shared<ConnectionState>();
    peer->putData(kConnectionDataKey, state);
    return state;
  }

  // Fills what is known about the request from its raw head, for responses and the log.
  void describe(Exchange& exchange, const ConnectionState& state) {
    if (!state.parsed) {
      return;
    }
    exchange.method_label = logSafe(state.parsed->method, 16);
    exchange.head = state.parsed->method == "HEAD";
    std::string query;
    splitTarget(state.parsed->target, exchange.request.path, query);
  }

  // Answers a request that cannot be served and stops reading from the connection.
  void reject(const std::shared_ptr<PT::Peer>& peer, ConnectionState& state, int status,
              const std::string& code, const std::string& detail) {
    rejectWith(peer, state, Response::error(status, code, detail));
  }

  void rejectWith(const std::shared_ptr<PT::Peer>& peer, ConnectionState& state, Response response) {
    getParser(peer)->reset();
    std::shared_ptr<Exchange> exchange = state.pending;
    if (exchange && exchange->route != nullptr) {
      // Accepted by the guard, refused afterwards (413, 411, ...): its rate-limit headers still apply.
      response.headers.insert(response.headers.end(), exchange->extra_headers.begin(),
                              exchange->extra_headers.end());
    }
    if (!exchange) {
      exchange = std::make_shared<Exchange>();
      describe(*exchange, state);
      exchange->request.client_ip = peerIp(*peer);
    }
    exchange->peer = peer;
    exchange->order = state.order;
    exchange->seq = state.next_seq++;
    exchange->close = true;
    state.nextRequest();
    state.discard = true;
    // Idle, so Pistache reaps the connection at the keep-alive timeout instead of sending its own
    // 408 after the header timeout.
    peer->setIdle(true);
    core_->answerNow(exchange, std::move(response), true);
  }

  // The request as far as its head tells, for routing and the guard before the body arrives;
  // nullptr when the method is not one we serve (the parser answers that later).
  std::shared_ptr<Exchange> exchangeFromHead(const std::shared_ptr<PT::Peer>& peer, const RequestHead& head) {
    std::optional<Method> method = parseMethod(head.method);
    if (!method) {
      return nullptr;
    }
    auto exchange = std::make_shared<Exchange>();
    Request& request = exchange->request;
    request.method = *method;
    exchange->method_label = std::string(methodName(*method));
    exchange->head = *method == Method::Head;
    const bool http10 = head.version == "HTTP/1.0";
    exchange->version = http10 ? "HTTP/1.0" : "HTTP/1.1";
    exchange->close = http10 ? !head.connection_keep_alive : head.connection_close;
    splitTarget(head.target, request.path, request.query_string);
    request.query = parseQueryString(request.query_string);
    request.headers = head.headers;
    request.client_ip = peerIp(*peer);
    return exchange;
  }

  // Writes upload body bytes to the request's file; returns how many of `len` belong to it.
  size_t consumeUpload(const char* buffer, size_t len, const std::shared_ptr<PT::Peer>& peer,
                       ConnectionState& state) {
    UploadSink& sink = *state.upload;
    const size_t take = static_cast<size_t>(std::min<uint64_t>(len, sink.left));
    size_t done = 0;
    while (done < take) {
      ssize_t n = ::write(sink.fd, buffer + done, take - done);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0) {
        core_->logError("writing an upload to " + sink.path + " failed: " + std::strerror(errno));
        rejectWith(peer, state,
                   Response::error(507, "insufficient_storage", "the server could not store the upload"));
        return len;
      }
      done += static_cast<size_t>(n);
    }
    sink.left -= take;
    // Pistache times a connection from its parser's last reset, which it never sees here.
    const auto now = Clock::now();
    if (now - state.upload_refreshed > std::chrono::seconds(1)) {
      getParser(peer)->reset();
      state.upload_refreshed = now;
    }
    if (sink.left == 0) {
      std::shared_ptr<Exchange> exchange = std::move(state.pending);
      ::close(sink.fd);
      sink.fd = -1;
      exchange->request.body_file = std::make_shared<BodyFile>(std::move(sink.path), sink.size);
      sink.path.clear();
      exchange->peer = peer;
      exchange->order = state.order;
      exchange->seq = state.next_seq++;
      peer->setIdle(true);
      state.nextRequest();
      getParser(peer)->reset();
      core_->dispatch(exchange);
    }
    return take;
  }

  // Feeds one request's worth of `buffer` to the parser; returns how many bytes it used.
  size_t consume(const char* buffer, size_t len, const std::shared_ptr<PT::Peer>& peer,
                 ConnectionState& state);
  // Returns false when the request was rejected.
  bool readHead(const char* buffer, size_t len, const std::shared_ptr<PT::Peer>& peer,
                ConnectionState& state);
  void handleComplete(const std::shared_ptr<PT::Peer>& peer, ConnectionState& state);

  std::shared_ptr<ServerCore> core_;
};

void RequestHandler::onInput(const char* buffer, size_t len, const std::shared_ptr<PT::Peer>& peer) {
  auto state = connectionState(peer);
  if (state->stream_started) {
    state->discard = true; // nothing follows a streamed response on its connection
  }
  // One read may carry several pipelined requests; each pass consumes one request's bytes.
  while (len > 0 && !state->discard) {
    size_t used = consume(buffer, len, peer, *state);
    buffer += used;
    len -= used;
  }
  if (state->discard && len > 0) {
    // A refused request's body keeps coming: once its answer went out, read a little more (so the
    // client has time to take the answer before a reset), then close rather than read it all.
    // A hard bound holds even when the answer is slow to leave.
    state->discarded_total += len;
    if (state->closing_answer_sent) {
      state->discarded += len;
    }
    if (state->discarded > kMaxDiscardBytes || state->discarded_total > kMaxDiscardTotalBytes) {
      // Closed with a reset (linger 0): a client that outpaced us has a full receive window in
      // view and sends only window probes, which a closed socket answers without a reset, so
      // an orderly close would leave its send blocked until the orphan times out (~60-100 s).
      const linger abort_on_close{1, 0};
      ::setsockopt(peer->fd(), SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
      ::shutdown(peer->fd(), SHUT_RDWR);
    }
  }
}

size_t RequestHandler::consume(const char* buffer, size_t len, const std::shared_ptr<PT::Peer>& peer,
                               ConnectionState& state) {
  size_t head_used = 0;
  if (!state.head_complete) {
    const size_t head_before = state.head.size();
    if (!readHead(buffer, len, peer, state)) {
      return len;
    }
    if (state.upload) {
      // The body goes to a file: Pistache's parser never sees this request.
      head_used = state.head.size() - head_before;
      getParser(peer)->reset();
      state.upload_refreshed = Clock::now();
    }
  }
  if (state.upload) {
    return head_used + consumeUpload(buffer + head_used, len - head_used, peer, state);
  }
  // Pistache's parser drops whatever follows a complete request in its buffer, so it is fed only
  // this request's bytes when their number is known (always, except for chunked bodies).
  size_t take = len;
  if (state.head_complete && state.parsed && !state.parsed->has_transfer_encoding) {
    uint64_t total = state.head.size() + state.parsed->content_length.value_or(0);
    take = static_cast<size_t>(std::min<uint64_t>(len, total > state.fed ? total - state.fed : 0));
  }
  auto parser = getParser(peer);
  try {
    state.fed += take;
    // Chunked bodies have no Content-Length to check up front; count them as they arrive.
    if (state.limit > 0 && state.fed > state.limit) {
      reject(peer, state, 413, "request_too_large",
             "request exceeds the limit of " + std::to_string(state.limit) + " bytes");
      return len;
    }
    if (!parser->feed(buffer, take)) {
      reject(peer, state, 413, "request_too_large",
             "request exceeds the limit of " + std::to_string(core_->maxRequestSize()) + " bytes");
      return len;
    }
    if (parser->parse() != PH::Private::State::Done) {
      // Incomplete. (Had it been given all its declared bytes it would be done; anything after
      // them is dropped rather than guessed at.)
      return len;
    }
  } catch (const PH::HttpError& e) {
    // Pistache's parser messages are fixed texts ("Unknown HTTP request method", ...).
    bool unsupported = e.code() == static_cast<int>(PH::Code::Not_Implemented);
    reject(peer, state, unsupported ? 501 : 400, unsupported ? "not_implemented" : "bad_request", e.reason());
    return len;
  } catch (const std::exception&) {
    reject(peer, state, 400, "bad_request", "malformed request");
    return len;
  }
  handleComplete(peer, state);
  return take;
}

bool RequestHandler::readHead(const char* buffer, size_t len, const std::shared_ptr<PT::Peer>& peer,
                              ConnectionState& state) {
  const size_t limit = core_->maxRequestSize();
  size_t scan_from = state.head.size() >= 3 ? state.head.size() - 3 : 0;
  size_t room = limit + 1 > state.head.size() ? limit + 1 - state.head.size() : 0;
  state.head.append(buffer, std::min(len, room));
  size_t end = findHeadEnd(state.head, scan_from);
  if (end == std::string::npos) {
    if (state.head.size() > limit) {
      reject(peer, state, 413, "request_too_large",
             "request headers exceed the limit of " + std::to_string(limit) + " bytes");
      return false;
    }
    return true;
  }
  state.head.resize(end);
  state.head_complete = true;
  state.parsed = parseRequestHead(state.head);
  if (!state.parsed) {
    return true; // malformed: Pistache's parser rejects it with its own message
  }
  const RequestHead& head = *state.parsed;
  if (head.bad_content_length) {
    reject(peer, state, 400, "bad_request", "invalid Content-Length header");
    return false;
  }
  const bool has_body = head.content_length.value_or(0) > 0 || head.has_transfer_encoding;
  if (has_body) {
    // Who is asking, and may they, is settled before a byte of the body is read or "100
    // Continue" is sent: a refused request costs its headers only.
    if (auto exchange = exchangeFromHead(peer, head)) {
      state.pending = exchange;
      if (auto refused = core_->authorize(*exchange)) {
        rejectWith(peer, state, std::move(*refused));
        return false;
      }
    }
  }
  const size_t request_limit = core_->limitFor(head);
  state.limit = request_limit;
  if (head.content_length && *head.content_length > request_limit - std::min(request_limit, end)) {
    // Refused before the body arrives (Pistache would first reserve whatever the header claims).
    reject(peer, state, 413, "request_too_large",
           "request exceeds the limit of " + std::to_string(request_limit) + " bytes");
    return false;
  }
  if (has_body && state.pending && core_->isUpload(head)) {
    if (head.has_transfer_encoding || !head.content_length) {
      reject(peer, state, 411, "length_required", "uploads need a Content-Length header (no chunked bodies)");
      return false;
    }
    try {
      state.upload = core_->openUploadFile(*head.content_length);
    } catch (const std::exception& e) {
      core_->logError(std::string("cannot accept an upload: ") + e.what());
      reject(peer, state, 507, "insufficient_storage", "the server could not store the upload");
      return false;
    }
  }
  if (head.expect_continue && has_body && head.version == "HTTP/1.1") {
    // Pistache ignores Expect, and clients such as curl then wait a second before sending.
    static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    peer->send(Pistache::RawBuffer(kContinue, kContinue.size()));
  }
  return true;
}

void RequestHandler::handleComplete(const std::shared_ptr<PT::Peer>& peer, ConnectionState& state) {
  auto parser = getParser(peer);
  PH::Request& parsed = parser->request;
  if (state.pending) {
    // Routed and authorized when its head arrived; only the body was missing.
    std::shared_ptr<Exchange> exchange = std::move(state.pending);
    exchange->request.body = parsed.body();
    exchange->peer = peer;
    exchange->order = state.order;
    exchange->seq = state.next_seq++;
    peer->setIdle(true);
    state.nextRequest();
    parser->reset();
    core_->dispatch(exchange);
    return;
  }
  auto exchange = std::make_shared<Exchange>();
  describe(*exchange, state);
  Request& request = exchange->request;
  bool http10 = parsed.version() == PH::Version::Http10;
  exchange->version = http10 ? "HTTP/1.0" : "HTTP/1.1";
  exchange->peer = peer;
  exchange->order = state.order;
  exchange->seq = state.next_seq++;
  request.client_ip = peerIp(*peer);
  request.body = parsed.body();

  if (state.parsed) {
    splitTarget(state.parsed->target, request.path, request.query_string);
    request.headers = state.parsed->headers;
    bool keep_alive = http10 ? state.parsed->connection_keep_alive : !state.parsed->connection_close;
    exchange->close = !keep_alive;
  } else {
    // Only reachable if Pistache accepts a head our reader could not split; use its view.
    request.path = parsed.resource();
    for (auto it = parsed.query().parameters_begin(); it != parsed.query().parameters_end(); ++it) {
      request.query_string += (request.query_string.empty() ? "" : "&") + it->first + "=" + it->second;
    }
    for (const auto& [name, raw] : parsed.headers().rawList()) {
      request.headers.emplace_back(name, raw.value());
    }
    exchange->close = true;
  }
  request.query = parseQueryString(request.query_string);

  std::optional<Method> method = fromPistache(parsed.method());
  exchange->method_label = PH::methodString(parsed.method());
  exchange->head = method == Method::Head;

  // Pistache marks a peer busy while a request runs and, in that state, applies the header
  // timeout counted from the end of the previous request: a handler slower than the header
  // timeout would get its connection closed with a 408. Marking it idle instead puts an
  // in-flight request under the keep-alive timeout.
  peer->setIdle(true);
  state.nextRequest();
  parser->reset();

  if (!method) {
    core_->answerNow(exchange, Response::error(501, "not_implemented",
                                               "method " + exchange->method_label + " is not supported"));
    return;
  }
  request.method = *method;
  core_->dispatch(exchange);
}

void validateOptions(const HttpServerOptions& options) {
  auto fail = [](const std::string& what) { throw std::invalid_argument("http server option " + what); };
  if (options.host.empty()) {
    fail("host must not be empty");
  }
  if (options.threads < 1) {
    fail("threads must be at least 1, got " + std::to_string(options.threads));
  }
  if (options.worker_threads < 1) {
    fail("worker_threads must be at least 1, got " + std::to_string(options.worker_threads));
  }
  if (options.worker_queue_capacity < 1) {
    fail("worker_queue_capacity must be at least 1");
  }
  if (options.max_request_size_bytes < 256) {
    fail("max_request_size_bytes must be at least 256, got " +
         std::to_string(options.max_request_size_bytes));
  }
  if (options.keepalive_timeout_ms < 1 || options.header_timeout_ms < 1 || options.body_timeout_ms < 1) {
    fail("timeouts must be at least 1 ms");
  }
  if (options.shutdown_grace_ms < 0) {
    fail("shutdown_grace_ms must not be negative");
  }
}

} // namespace

struct HttpServer::Impl {
  Impl(HttpServerOptions opts, Router& router, Logger& log)
      : options(std::move(opts)), logger(log), core(std::make_shared<ServerCore>(options, router, log)) {}

  HttpServerOptions options;
  Logger& logger;
  std::shared_ptr<ServerCore> core;
  std::unique_ptr<PH::Endpoint> endpoint;
  std::mutex lifecycle_mutex;
  bool started = false;
  std::atomic<uint16_t> port{0};
  std::atomic<bool> running{false};
};

HttpServer::HttpServer(HttpServerOptions options, Router& router, Logger& logger) {
  validateOptions(options);
  impl_ = std::make_unique<Impl>(std::move(options), router, logger);
}

HttpServer::~HttpServer() {
  stop();
  // Every worker has been joined by stop(); if start() never ran, join them now.
  impl_->core->stopWorkers();
}

void HttpServer::setGuard(RequestGuard guard) {
  std::lock_guard<std::mutex> lock(impl_->lifecycle_mutex);
  if (impl_->started) {
    throw std::logic_error("HttpServer::setGuard() must be called before start()");
  }
  impl_->core->guard_ = std::move(guard);
}

void HttpServer::setObserver(ResponseObserver observer) {
  std::lock_guard<std::mutex> lock(impl_->lifecycle_mutex);
  if (impl_->started) {
    throw std::logic_error("HttpServer::setObserver() must be called before start()");
  }
  impl_->core->observer_ = std::move(observer);
}

void HttpServer::start() {
  std::lock_guard<std::mutex> lock(impl_->lifecycle_mutex);
  if (impl_->started) {
    throw std::logic_error("HttpServer::start() may only be called once");
  }
  impl_->started = true;
  const HttpServerOptions& options = impl_->options;
  const std::string label = hostPortLabel(options.host, options.port);
  try {
    auto endpoint = std::make_unique<PH::Endpoint>(resolveAddress(options.host, options.port));
    auto pistache_options = PH::Endpoint::options()
                                .threads(options.threads)
                                .flags(PT::Options::ReuseAddr | PT::Options::NoDelay)
                                .maxRequestSize(static_cast<size_t>(
                                    std::max(options.max_request_size_bytes, options.max_upload_size_bytes)))
                                .headerTimeout(std::chrono::milliseconds(options.header_timeout_ms))
                                .bodyTimeout(std::chrono::milliseconds(options.body_timeout_ms))
                                .keepaliveTimeout(std::chrono::milliseconds(options.keepalive_timeout_ms));
    endpoint->init(pistache_options);
    endpoint->setHandler(PH::make_handler<RequestHandler>(impl_->core));
    endpoint->serveThreaded();
    impl_->port = static_cast<uint16_t>(endpoint->getPort());
    impl_->endpoint = std::move(endpoint);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot listen on " + label + ": " + e.what());
  }
  impl_->running = true;
  impl_->logger.debug(kLog, "listening on " + hostPortLabel(options.host, impl_->port));
}

uint16_t HttpServer::port() const {
  return impl_->port;
}

bool HttpServer::running() const {
  return impl_->running;
}

void HttpServer::stop() {
  std::lock_guard<std::mutex> lock(impl_->lifecycle_mutex);
  if (!impl_->endpoint) {
    return;
  }
  ServerCore& core = *impl_->core;
  const int64_t grace_ms = impl_->options.shutdown_grace_ms;
  size_t pending = core.beginDrain();
  core.endStreams();
  if (pending > 0) {
    impl_->logger.info(kLog, "stopping: waiting up to " + std::to_string(grace_ms) + " ms for " +
                                 std::to_string(pending) + " request(s) in progress");
  }
  size_t left = 0;
  if (!core.waitIdle(std::chrono::milliseconds(grace_ms), left)) {
    impl_->logger.warn(kLog, "stopping: " + std::to_string(left) + " request(s) still in progress after " +
                                 std::to_string(grace_ms) + " ms; their responses are dropped");
  }
  core.closeSends();
  impl_->endpoint->shutdown();
  impl_->endpoint.reset(); // joins the reactor threads
  core.closeLeftoverSockets();
  core.stopWorkers(); // lets running handlers return
  impl_->running = false;
  impl_->logger.debug(kLog, "stopped");
}

} // namespace bambuddy::http
