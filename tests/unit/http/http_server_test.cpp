// A real HttpServer on loopback, port 0, driven by the raw-socket test client.
#include "http/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "support/gate.h"

#include <gtest/gtest.h>

#include "common/logger.h"
#include "http/router.h"
#include "support/http_client.h"
#include "support/sse_client.h"
#include "support/temp_dir.h"

namespace bambuddy::http {
namespace http_server_test {

using bambuddy::testing::HttpConnection;
using bambuddy::testing::httpRawRequest;
using bambuddy::testing::httpRequest;
using bambuddy::testing::HttpResult;
using nlohmann::json;

using bambuddy::testing::Gate;

RouteSpec route(Method method, std::string pattern, Handler handler) {
  RouteSpec spec;
  spec.method = method;
  spec.pattern = std::move(pattern);
  spec.rate_class = RateClass::None;
  spec.handler = std::move(handler);
  return spec;
}

bool canBindIpv6Loopback() {
  int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
  if (fd < 0) {
    return false;
  }
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_loopback;
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

class HttpServerTest : public ::testing::Test {
protected:
  void SetUp() override {
    // Append mode, read back through a separate handle: reading must not move the writer.
    log_path_ = temp_dir_.file("server.log");
    log_file_ = std::fopen(log_path_.c_str(), "a");
    ASSERT_NE(log_file_, nullptr);
    logger_ = std::make_unique<Logger>(LogLevel::Debug, log_file_);

    router_.add(route(Method::Get, "/api/test/hello", [](const Request&) {
      return Response::json(200, json{{"hello", "world"}});
    }));
    router_.add(route(Method::Get, "/api/test/headers", [](const Request&) {
      Response response = Response::json(200, json{{"ok", true}});
      response.headers = {
          {"X-RateLimit-Remaining", "5"}, {"Retry-After", "30"}, {"X-Bad", "a\r\nX-Injected: 1"}};
      return response;
    }));
    router_.add(route(Method::Post, "/api/test/echo/{id}", [](const Request& request) {
      json body;
      body["method"] = std::string(methodName(request.method));
      body["path"] = request.path;
      body["query_string"] = request.query_string;
      body["query"] = request.query;
      body["params"] = request.params;
      body["body"] = request.body;
      body["key"] = request.header("x-api-key").value_or("");
      body["client_ip"] = request.client_ip;
      return Response::json(201, body);
    }));
    router_.add(route(Method::Get, "/api/test/ip", [](const Request& request) {
      return Response::json(200, json{{"client_ip", request.client_ip}});
    }));
    router_.add(route(Method::Delete, "/api/test/hello", [](const Request&) {
      return Response{204, "", "", {}};
    }));
    router_.add(route(Method::Get, "/api/test/throw",
                      [](const Request&) -> Response { throw std::runtime_error("boom: secret detail"); }));
    router_.add(route(Method::Get, "/api/test/slow", [this](const Request&) {
      gate_.enter();
      return Response::json(200, json{{"slow", std::string(2000, 'x')}});
    }));
  }

  void TearDown() override {
    gate_.open();
    server_.reset();
    logger_.reset();
    std::fclose(log_file_);
  }

  static HttpServerOptions defaultOptions() {
    HttpServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 2;
    options.worker_threads = 4;
    options.max_request_size_bytes = 16 * 1024;
    options.keepalive_timeout_ms = 10000;
    options.header_timeout_ms = 5000;
    options.body_timeout_ms = 5000;
    options.shutdown_grace_ms = 5000;
    return options;
  }

  void startServer(HttpServerOptions options = defaultOptions()) {
    server_ = std::make_unique<HttpServer>(options, router_, *logger_);
    server_->start();
    ASSERT_NE(server_->port(), 0);
  }

  HttpResult call(const std::string& method, const std::string& path, const std::string& body = "",
                  const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    return httpRequest(host_, server_->port(), method, path, body, headers);
  }

  std::string logText() { return bambuddy::testing::readFile(log_path_); }

  bambuddy::testing::TempDir temp_dir_;
  std::string log_path_;
  std::FILE* log_file_ = nullptr;
  std::unique_ptr<Logger> logger_;
  Router router_;
  Gate gate_;
  std::string host_ = "127.0.0.1";
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, AnswersJson) {
  startServer();
  HttpResult result = call("GET", "/api/test/hello");
  ASSERT_EQ(result.status, 200) << result.error;
  EXPECT_EQ(result.headers["content-type"], "application/json");
  EXPECT_EQ(result.body, R"({"hello":"world"})");
  EXPECT_EQ(result.headers["content-length"], "17");
  EXPECT_EQ(result.headers["date"].size(), 29u); // "Sun, 06 Nov 1994 08:49:37 GMT"
}

TEST_F(HttpServerTest, CustomResponseHeadersArrive) {
  startServer();
  HttpResult result = call("GET", "/api/test/headers");
  ASSERT_EQ(result.status, 200) << result.error;
  EXPECT_EQ(result.headers["x-ratelimit-remaining"], "5");
  EXPECT_EQ(result.headers["retry-after"], "30");
  EXPECT_EQ(result.headers.count("x-bad"), 0u);
  EXPECT_EQ(result.headers.count("x-injected"), 0u);
  EXPECT_NE(logText().find("dropped header X-Bad"), std::string::npos);
}

TEST_F(HttpServerTest, PassesRequestFieldsToHandler) {
  startServer();
  HttpResult result = call("POST", "/api/test/echo/my%20id?a=1&b=x%20y&a=2", R"({"n":1})",
                           {{"X-API-Key", "k-123"}, {"Content-Type", "application/json"}});
  ASSERT_EQ(result.status, 201) << result.error;
  json body = json::parse(result.body);
  EXPECT_EQ(body["method"], "POST");
  EXPECT_EQ(body["path"], "/api/test/echo/my%20id");
  EXPECT_EQ(body["query_string"], "a=1&b=x%20y&a=2");
  EXPECT_EQ(body["query"], (json{{"a", "1"}, {"b", "x y"}}));
  EXPECT_EQ(body["params"], (json{{"id", "my id"}}));
  EXPECT_EQ(body["body"], R"({"n":1})");
  EXPECT_EQ(body["key"], "k-123");
  EXPECT_EQ(body["client_ip"], "127.0.0.1");
}

TEST_F(HttpServerTest, UnknownRouteIsJson404) {
  startServer();
  HttpResult result = call("GET", "/x?secret=1");
  ASSERT_EQ(result.status, 404) << result.error;
  EXPECT_EQ(result.headers["content-type"], "application/json");
  EXPECT_EQ(result.body, R"({"detail":"no route for GET /x","code":"not_found"})");
}

TEST_F(HttpServerTest, WrongMethodIsJson405WithAllow) {
  startServer();
  HttpResult result = call("PUT", "/api/test/hello", "{}");
  ASSERT_EQ(result.status, 405) << result.error;
  EXPECT_EQ(result.headers["allow"], "GET, HEAD, DELETE");
  json body = json::parse(result.body);
  EXPECT_EQ(body["code"], "method_not_allowed");
  EXPECT_EQ(body["detail"], "method PUT is not allowed for /api/test/hello");
}

TEST_F(HttpServerTest, ThrowingHandlerGivesExact500AndServerKeepsServing) {
  startServer();
  HttpResult result = call("GET", "/api/test/throw");
  ASSERT_EQ(result.status, 500) << result.error;
  EXPECT_EQ(result.body, R"({"detail":"internal error","code":"internal"})");
  EXPECT_EQ(result.headers["content-type"], "application/json");
  std::string log = logText();
  EXPECT_NE(log.find("handler for GET /api/test/throw failed: boom: secret detail"), std::string::npos)
      << log;

  HttpResult after = call("GET", "/api/test/hello");
  EXPECT_EQ(after.status, 200) << after.error;
}

TEST_F(HttpServerTest, HeadAnswersGetRouteWithoutBody) {
  startServer();
  HttpConnection connection;
  ASSERT_TRUE(connection.connect(host_, server_->port())) << connection.error();
  HttpResult head = connection.request("HEAD", "/api/test/hello");
  ASSERT_EQ(head.status, 200) << head.error;
  EXPECT_EQ(head.headers["content-length"], "17"); // the GET body's length
  EXPECT_EQ(head.headers["content-type"], "application/json");
  EXPECT_TRUE(head.body.empty());
  // Had the HEAD response carried a body, this second response would be misread.
  HttpResult get = connection.request("GET", "/api/test/hello");
  ASSERT_EQ(get.status, 200) << get.error;
  EXPECT_EQ(get.body, R"({"hello":"world"})");
}

TEST_F(HttpServerTest, NoContentHasNoBodyAndKeepsConnection) {
  startServer();
  HttpConnection connection;
  ASSERT_TRUE(connection.connect(host_, server_->port())) << connection.error();
  HttpResult deleted = connection.request("DELETE", "/api/test/hello");
  ASSERT_EQ(deleted.status, 204) << deleted.error;
  EXPECT_EQ(deleted.headers.count("content-length"), 0u);
  EXPECT_EQ(deleted.headers.count("content-type"), 0u);
  HttpResult get = connection.request("GET", "/api/test/hello");
  EXPECT_EQ(get.status, 200) << get.error;
}

TEST_F(HttpServerTest, Http11ConnectionsArePersistent) {
  startServer();
  HttpConnection connection;
  ASSERT_TRUE(connection.connect(host_, server_->port())) << connection.error();
  for (int i = 0; i < 3; ++i) {
    HttpResult result = connection.request("GET", "/api/test/hello");
    ASSERT_EQ(result.status, 200) << result.error;
    EXPECT_EQ(result.headers["connection"], "keep-alive");
  }
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  startServer();
  HttpConnection connection;
  ASSERT_TRUE(connection.connect(host_, server_->port())) << connection.error();
  // Three requests in one write: a slow one, a POST with a body, a fast GET.
  ASSERT_TRUE(connection.sendRaw("GET /api/test/slow HTTP/1.1\r\nHost: x\r\n\r\n"
                                 "POST /api/test/echo/2 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                                 "GET /api/test/hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(gate_.waitEntered(1));
  // The later requests finish while the first still runs (their access lines are logged first).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  auto finished = [this] {
    std::string log = logText();
    return log.find("GET /api/test/hello 200") != std::string::npos &&
           log.find("POST /api/test/echo/2 201") != std::string::npos;
  };
  while (!finished() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  ASSERT_TRUE(finished()) << logText();
  gate_.open();

  HttpResult first = connection.readResponse();
  ASSERT_EQ(first.status, 200) << first.error;
  EXPECT_NE(first.body.find("slow"), std::string::npos);
  HttpResult second = connection.readResponse();
  ASSERT_EQ(second.status, 201) << second.error;
  EXPECT_EQ(json::parse(second.body)["body"], "abc");
  HttpResult third = connection.readResponse();
  ASSERT_EQ(third.status, 200) << third.error;
  EXPECT_EQ(third.body, R"({"hello":"world"})");
}

TEST_F(HttpServerTest, ConnectionCloseIsHonoured) {
  startServer();
  HttpConnection connection;
  ASSERT_TRUE(connection.connect(host_, server_->port())) << connection.error();
  // The server also half-closes after the write when it can do so safely (see
  // RejectionClosesTheConnection); from a worker that is best effort, so only the header is checked.
  ASSERT_TRUE(connection.sendRaw("GET /api/test/hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  HttpResult result = connection.readResponse();
  ASSERT_EQ(result.status, 200) << result.error;
  EXPECT_EQ(result.headers["connection"], "close");
}

TEST_F(HttpServerTest, BodyOverLimitIsJson413) {
  HttpServerOptions options = defaultOptions();
  options.max_request_size_bytes = 1024;
  startServer(options);
  HttpResult result = call("POST", "/api/test/echo/1", std::string(4096, 'a'));
  ASSERT_EQ(result.status, 413) << result.error;
  EXPECT_EQ(result.headers["content-type"], "application/json");
  EXPECT_EQ(result.headers["connection"], "close");
  EXPECT_EQ(result.body,
            R"({"detail":"request exceeds the limit of 1024 bytes","code":"request_too_large"})");

  // Just under the limit still works.
  HttpResult fits = call("POST", "/api/test/echo/1", std::string(700, 'a'));
  EXPECT_EQ(fits.status, 201) << fits.error;
}

TEST_F(HttpServerTest, RejectionClosesTheConnection) {
  HttpServerOptions options = defaultOptions();
  options.max_request_size_bytes = 1024;
  startServer(options);
  HttpConnection connection;
  ASSERT_TRUE(connection.connect(host_, server_->port())) << connection.error();
  ASSERT_TRUE(
      connection.sendRaw("POST /api/test/echo/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n"));
  HttpResult result = connection.readResponse();
  ASSERT_EQ(result.status, 413) << result.error;
  // The rest of the body is ignored, not parsed as a new request, and the server half-closes.
  ASSERT_TRUE(connection.sendRaw(std::string(5000, 'z')));
  EXPECT_TRUE(connection.closedByServer());
}

TEST_F(HttpServerTest, ChunkedBodyOverLimitIsJson413) {
  HttpServerOptions options = defaultOptions();
  options.max_request_size_bytes = 1024;
  startServer(options);
  std::string raw = "POST /api/test/echo/1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 8; ++i) {
    raw += "100\r\n" + std::string(256, 'b') + "\r\n";
  }
  raw += "0\r\n\r\n";
  HttpResult result = httpRawRequest(host_, server_->port(), raw);
  ASSERT_EQ(result.status, 413) << result.error;
  EXPECT_EQ(json::parse(result.body)["code"], "request_too_large");

  // A small chunked body is decoded.
  HttpResult small = httpRawRequest(host_, server_->port(),
                                    "POST /api/test/echo/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                    "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  ASSERT_EQ(small.status, 201) << small.error;
  EXPECT_EQ(json::parse(small.body)["body"], "hello");
}

TEST_F(HttpServerTest, HeadersOverLimitAreJson413) {
  HttpServerOptions options = defaultOptions();
  options.max_request_size_bytes = 1024;
  startServer(options);
  HttpResult result = call("GET", "/api/test/hello", "", {{"X-Big", std::string(2000, 'h')}});
  ASSERT_EQ(result.status, 413) << result.error;
  EXPECT_EQ(json::parse(result.body)["code"], "request_too_large");
}

TEST_F(HttpServerTest, ExpectContinueIsAnsweredAndOversizeRefusedBeforeBody) {
  HttpServerOptions options = defaultOptions();
  options.max_request_size_bytes = 1024;
  startServer(options);

  HttpConnection ok;
  ASSERT_TRUE(ok.connect(host_, server_->port())) << ok.error();
  ASSERT_TRUE(ok.sendRaw("POST /api/test/echo/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                         "Expect: 100-continue\r\n\r\n"));
  HttpResult interim = ok.readResponse(5000, false, true);
  ASSERT_EQ(interim.status, 100) << interim.error;
  ASSERT_TRUE(ok.sendRaw("hello"));
  HttpResult final_response = ok.readResponse();
  ASSERT_EQ(final_response.status, 201) << final_response.error;
  EXPECT_EQ(json::parse(final_response.body)["body"], "hello");

  // Too large: refused from the headers alone, without waiting for the body.
  HttpConnection big;
  ASSERT_TRUE(big.connect(host_, server_->port())) << big.error();
  ASSERT_TRUE(big.sendRaw("POST /api/test/echo/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n"
                          "Expect: 100-continue\r\n\r\n"));
  HttpResult refused = big.readResponse(5000, false, true);
  ASSERT_EQ(refused.status, 413) << refused.error;
  EXPECT_EQ(json::parse(refused.body)["code"], "request_too_large");
}

TEST_F(HttpServerTest, MalformedRequestsAreJson400) {
  startServer();
  HttpResult garbage = httpRawRequest(host_, server_->port(), "FOO / HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(garbage.status, 400) << garbage.error;
  EXPECT_EQ(garbage.body, R"({"detail":"Unknown HTTP request method","code":"bad_request"})");

  HttpResult negative = httpRawRequest(
      host_, server_->port(), "POST /api/test/echo/1 HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n");
  ASSERT_EQ(negative.status, 400) << negative.error;
  EXPECT_EQ(negative.body, R"({"detail":"invalid Content-Length header","code":"bad_request"})");

  HttpResult trace =
      httpRawRequest(host_, server_->port(), "TRACE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_EQ(trace.status, 501) << trace.error;
  EXPECT_EQ(json::parse(trace.body)["code"], "not_implemented");

  EXPECT_EQ(call("GET", "/api/test/hello").status, 200);
}

TEST_F(HttpServerTest, SlowHandlerDoesNotBlockOthers) {
  HttpServerOptions options = defaultOptions();
  options.threads = 1; // one reactor: a blocking handler there would stall everything
  options.worker_threads = 2;
  startServer(options);
  auto slow = std::async(std::launch::async, [&] { return call("GET", "/api/test/slow"); });
  ASSERT_TRUE(gate_.waitEntered(1));

  HttpResult fast = call("GET", "/api/test/hello");
  EXPECT_EQ(fast.status, 200) << fast.error;

  gate_.open();
  HttpResult slow_result = slow.get();
  EXPECT_EQ(slow_result.status, 200) << slow_result.error;
}

TEST_F(HttpServerTest, FullQueueAnswers503Overloaded) {
  HttpServerOptions options = defaultOptions();
  options.worker_threads = 1;
  options.worker_queue_capacity = 1;
  startServer(options);
  auto running = std::async(std::launch::async, [&] { return call("GET", "/api/test/slow"); });
  ASSERT_TRUE(gate_.waitEntered(1));

  // The one worker is blocked. The first extra request takes the one queue slot (its client gives
  // up waiting; the server keeps it queued); the next one finds the queue full.
  HttpResult refused;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  do {
    refused = httpRequest(host_, server_->port(), "GET", "/api/test/hello", "", {}, 300);
  } while (refused.status != 503 && std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(refused.status, 503) << refused.error;
  EXPECT_EQ(refused.body, R"({"detail":"too many requests in progress; retry shortly","code":"overloaded"})");

  gate_.open();
  EXPECT_EQ(running.get().status, 200);
  // Served again once the worker has drained the queue.
  HttpResult later;
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  do {
    later = call("GET", "/api/test/hello");
  } while (later.status == 503 && std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(later.status, 200) << later.error;
}

TEST_F(HttpServerTest, HandlerSlowerThanHeaderTimeoutStillAnswers) {
  HttpServerOptions options = defaultOptions();
  options.header_timeout_ms = 300; // Pistache checks every 500 ms
  options.body_timeout_ms = 300;
  options.keepalive_timeout_ms = 10000;
  startServer(options);
  router_.add(route(Method::Get, "/api/test/sleepy", [](const Request&) {
    // Outlive the header timeout by several idle checks.
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1300);
    std::mutex mutex;
    std::condition_variable never;
    std::unique_lock<std::mutex> lock(mutex);
    never.wait_until(lock, until, [] { return false; });
    return Response::json(200, json{{"done", true}});
  }));
  HttpResult result = call("GET", "/api/test/sleepy");
  ASSERT_EQ(result.status, 200) << result.error;
  EXPECT_EQ(result.body, R"({"done":true})");
}

TEST_F(HttpServerTest, GracefulStopFinishesInFlightRequest) {
  startServer();
  auto in_flight = std::async(std::launch::async, [&] { return call("GET", "/api/test/slow"); });
  ASSERT_TRUE(gate_.waitEntered(1));
  uint16_t port = server_->port();

  auto stopping = std::async(std::launch::async, [&] { server_->stop(); });
  // While stop() waits for the in-flight request, new requests are refused.
  HttpResult refused;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  do {
    refused = call("GET", "/api/test/hello");
  } while (refused.status == 200 && std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(refused.status, 503) << refused.error;
  EXPECT_EQ(refused.body, R"({"detail":"the server is shutting down","code":"shutting_down"})");
  EXPECT_EQ(stopping.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);

  gate_.open();
  HttpResult finished = in_flight.get();
  ASSERT_EQ(finished.status, 200) << finished.error;
  EXPECT_EQ(json::parse(finished.body)["slow"].get<std::string>().size(), 2000u);
  ASSERT_EQ(stopping.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  stopping.get();
  EXPECT_FALSE(server_->running());

  HttpResult after = httpRequest(host_, port, "GET", "/api/test/hello");
  EXPECT_EQ(after.status, 0);
  server_->stop(); // idempotent
}

TEST_F(HttpServerTest, StopGivesUpAfterGrace) {
  HttpServerOptions options = defaultOptions();
  options.shutdown_grace_ms = 100;
  startServer(options);
  auto in_flight = std::async(std::launch::async, [&] {
    return httpRequest(host_, server_->port(), "GET", "/api/test/slow", "", {}, 10000);
  });
  ASSERT_TRUE(gate_.waitEntered(1));
  // stop() returns only after the handler has returned, so release it from another thread once
  // stop() has given up waiting (its warning is in the log).
  std::thread releaser([&] {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (logText().find("their responses are dropped") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    gate_.open();
  });
  server_->stop();
  releaser.join();
  HttpResult result = in_flight.get();
  EXPECT_EQ(result.status, 0); // its response was dropped
  EXPECT_NE(logText().find("GET /api/test/slow 200"), std::string::npos);
  EXPECT_NE(logText().find("(not sent: server stopped)"), std::string::npos);
}

TEST_F(HttpServerTest, AccessLogHasNoQueryStringOrHeaders) {
  startServer();
  HttpResult result =
      call("GET", "/api/test/hello?token=query-secret-123", "",
           {{"X-API-Key", "header-secret-456"}, {"Authorization", "Bearer bearer-secret-789"}});
  ASSERT_EQ(result.status, 200) << result.error;
  call("GET", "/nope/%1b[31m");
  std::string log = logText();
  EXPECT_NE(log.find(" INFO [http] GET /api/test/hello 200 "), std::string::npos) << log;
  EXPECT_NE(log.find("ms 127.0.0.1\n"), std::string::npos) << log;
  EXPECT_NE(log.find("[http] GET /nope/%1b[31m 404 "), std::string::npos) << log;
  for (const char* secret : {"query-secret-123", "token", "header-secret-456", "bearer-secret-789",
                             "X-API-Key", "Authorization"}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << secret << " leaked into:\n" << log;
  }
}

TEST_F(HttpServerTest, ServesOnIpv6Loopback) {
  if (!canBindIpv6Loopback()) {
    GTEST_SKIP() << "no IPv6 loopback on this machine";
  }
  HttpServerOptions options = defaultOptions();
  options.host = "::1";
  host_ = "::1";
  startServer(options);
  HttpResult result = call("GET", "/api/test/ip");
  ASSERT_EQ(result.status, 200) << result.error;
  EXPECT_EQ(json::parse(result.body)["client_ip"], "::1");
  EXPECT_NE(logText().find("listening on [::1]:" + std::to_string(server_->port())), std::string::npos);
}

TEST_F(HttpServerTest, PortInUseIsAPreciseError) {
  startServer();
  HttpServerOptions options = defaultOptions();
  options.port = server_->port();
  HttpServer second(options, router_, *logger_);
  try {
    second.start();
    FAIL() << "second server bound the same port";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "cannot listen on 127.0.0.1:" + std::to_string(server_->port()) + ": Address already in use");
  }
  EXPECT_FALSE(second.running());
  EXPECT_EQ(call("GET", "/api/test/hello").status, 200);
}

TEST_F(HttpServerTest, UnresolvableHostIsAPreciseError) {
  HttpServerOptions options = defaultOptions();
  options.host = "no-such-host.invalid";
  HttpServer server(options, router_, *logger_);
  try {
    server.start();
    FAIL() << "started on an unresolvable host";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("cannot listen on no-such-host.invalid:0: ", 0), 0u) << e.what();
  }
}

TEST_F(HttpServerTest, StartTwiceIsRefused) {
  startServer();
  EXPECT_THROW(server_->start(), std::logic_error);
}

TEST_F(HttpServerTest, RoutesAddedWhileRunningAreServed) {
  startServer();
  EXPECT_EQ(call("GET", "/api/plugin/late").status, 404);
  router_.add(route(Method::Get, "/api/plugin/late", [](const Request&) {
    return Response::json(200, json{{"late", true}});
  }));
  HttpResult result = call("GET", "/api/plugin/late");
  EXPECT_EQ(result.status, 200) << result.error;
}

TEST_F(HttpServerTest, RejectsBadOptions) {
  auto make = [this](auto mutate) {
    HttpServerOptions options = defaultOptions();
    mutate(options);
    HttpServer server(options, router_, *logger_);
  };
  EXPECT_THROW(make([](HttpServerOptions& o) { o.threads = 0; }), std::invalid_argument);
  EXPECT_THROW(make([](HttpServerOptions& o) { o.worker_threads = 0; }), std::invalid_argument);
  EXPECT_THROW(make([](HttpServerOptions& o) { o.worker_queue_capacity = 0; }), std::invalid_argument);
  EXPECT_THROW(make([](HttpServerOptions& o) { o.max_request_size_bytes = 10; }), std::invalid_argument);
  EXPECT_THROW(make([](HttpServerOptions& o) { o.header_timeout_ms = 0; }), std::invalid_argument);
  EXPECT_THROW(make([](HttpServerOptions& o) { o.shutdown_grace_ms = -1; }), std::invalid_argument);
  EXPECT_THROW(make([](HttpServerOptions& o) { o.host.clear(); }), std::invalid_argument);
  try {
    make([](HttpServerOptions& o) { o.threads = 0; });
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "http server option threads must be at least 1, got 0");
  }
}

} // namespace http_server_test
} // namespace bambuddy::http

namespace bambuddy::http {
namespace http_server_test {

// A streamed body the test drives: it writes "data: hello" when opened and hands its sink to the
// test, which writes, closes, or watches for closed().
class TestStream : public StreamBody {
public:
  void open(std::shared_ptr<StreamSink> sink) override {
    sink->write("data: hello\n\n");
    std::lock_guard<std::mutex> lock(mutex_);
    sink_ = std::move(sink);
    cv_.notify_all();
  }
  void closed() override {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    sink_.reset(); // the sink holds this body: let go so both can go
    cv_.notify_all();
  }
  std::shared_ptr<StreamSink> waitOpen(int timeout_ms = 5000) {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [this] { return sink_ != nullptr || closed_; });
    return sink_;
  }
  bool waitClosed(int timeout_ms = 5000) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [this] { return closed_; });
  }

private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::shared_ptr<StreamSink> sink_;
  bool closed_ = false;
};

class HttpStreamTest : public HttpServerTest {
protected:
  void SetUp() override {
    HttpServerTest::SetUp();
    router_.add(route(Method::Get, "/api/test/stream", [this](const Request&) {
      Response response;
      response.content_type = "text/event-stream";
      response.stream_body = stream_;
      return response;
    }));
  }

  std::shared_ptr<TestStream> stream_ = std::make_shared<TestStream>();
};

TEST_F(HttpStreamTest, AStreamGoesOutAsWrittenWithoutALengthAndEndsTheConnection) {
  startServer();
  bambuddy::testing::SseClient client;
  ASSERT_TRUE(client.open(host_, server_->port(), "/api/test/stream")) << client.error();
  EXPECT_EQ(client.status(), 200);
  EXPECT_EQ(client.headers().count("content-length"), 0u);
  EXPECT_EQ(client.headers().at("connection"), "close");
  EXPECT_EQ(client.headers().at("content-type"), "text/event-stream");
  std::shared_ptr<StreamSink> sink = stream_->waitOpen();
  ASSERT_TRUE(sink);
  auto first = client.next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->data, "hello");
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(sink->write("id: " + std::to_string(i) + "\ndata: " + std::to_string(i) + "\n\n"));
  }
  for (int i = 0; i < 50; ++i) {
    auto event = client.next();
    ASSERT_TRUE(event) << i;
    EXPECT_EQ(event->data, std::to_string(i));
  }
  sink->closeWith("event: bye\ndata: {}\n\n");
  EXPECT_FALSE(sink->write("data: late\n\n")) << "nothing after the close";
  auto last = client.next();
  ASSERT_TRUE(last);
  EXPECT_EQ(last->event, "bye");
  EXPECT_TRUE(client.ended(5000)) << "the connection ends with the stream";
  EXPECT_TRUE(stream_->waitClosed());
}

TEST_F(HttpStreamTest, AClientThatGoesAwayEndsItsStreamAtOnce) {
  startServer();
  bambuddy::testing::SseClient client;
  ASSERT_TRUE(client.open(host_, server_->port(), "/api/test/stream")) << client.error();
  std::shared_ptr<StreamSink> sink = stream_->waitOpen();
  ASSERT_TRUE(sink);
  sink.reset();
  client.close();
  EXPECT_TRUE(stream_->waitClosed(3000)) << "closed() without waiting for a write to fail";
}

TEST_F(HttpStreamTest, StopEndsOpenStreamsWithoutWaitingForTheGracePeriod) {
  HttpServerOptions options = defaultOptions();
  options.shutdown_grace_ms = 20000;
  startServer(options);
  bambuddy::testing::SseClient client;
  ASSERT_TRUE(client.open(host_, server_->port(), "/api/test/stream")) << client.error();
  ASSERT_TRUE(stream_->waitOpen());
  auto started = std::chrono::steady_clock::now();
  server_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_TRUE(stream_->waitClosed(1000));
  EXPECT_TRUE(client.ended(5000));
}

TEST_F(HttpStreamTest, AQuietStreamOutlivesTheKeepAliveTimeout) {
  HttpServerOptions options = defaultOptions();
  options.keepalive_timeout_ms = 400;
  startServer(options);
  bambuddy::testing::SseClient client;
  ASSERT_TRUE(client.open(host_, server_->port(), "/api/test/stream")) << client.error();
  std::shared_ptr<StreamSink> sink = stream_->waitOpen();
  ASSERT_TRUE(sink);
  ASSERT_TRUE(client.next());
  // Five timeouts long, nothing but keepAlive() (what the event stream's hub calls every second).
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(2000);
  while (std::chrono::steady_clock::now() < until) {
    sink->keepAlive();
    EXPECT_FALSE(client.ended(50)) << "closed as idle";
  }
  ASSERT_TRUE(sink->write("data: still here\n\n"));
  auto event = client.next();
  ASSERT_TRUE(event);
  EXPECT_EQ(event->data, "still here");
}

TEST_F(HttpStreamTest, WhatASlowClientHasNotTakenIsCountedNotQueuedWithoutBound) {
  startServer();
  bambuddy::testing::SseClient client;
  ASSERT_TRUE(client.open(host_, server_->port(), "/api/test/stream", {}, 5000, 4096)) << client.error();
  std::shared_ptr<StreamSink> sink = stream_->waitOpen();
  ASSERT_TRUE(sink);
  const std::string frame = "data: " + std::string(1000, 'x') + "\n\n";
  size_t backlog = 0;
  size_t written = 0;
  while (written < 20000 && backlog < 2 * 1024 * 1024) {
    ASSERT_TRUE(sink->write(frame));
    ++written;
    backlog = sink->pendingBytes();
  }
  EXPECT_GE(backlog, 2u * 1024 * 1024) << "the backlog of a client that reads nothing is visible";
  sink->closeWith("event: overflow\ndata: {}\n\n"); // drops what is not in flight yet
  auto events = client.until("overflow", 20000);
  ASSERT_TRUE(events) << "the client reads what was in flight, then the overflow; it got "
                      << client.raw().size() << " bytes ending in: "
                      << client.raw().substr(client.raw().size() > 120 ? client.raw().size() - 120 : 0);
  EXPECT_LT(events->size(), written + 2) << "the dropped backlog never went out";
  EXPECT_TRUE(client.ended(5000));
}

} // namespace http_server_test
} // namespace bambuddy::http
