// Requests with bodies are routed and authorized from their headers, before the body is read;
// upload bodies stream to a file and file responses stream from one. A real HttpServer on
// loopback, driven over raw sockets.
#include "http/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "common/logger.h"
#include "http/router.h"
#include "support/http_client.h"
#include "support/temp_dir.h"

namespace bambuddy::http {
namespace body_after_auth_test {

using bambuddy::testing::httpRawRequest;
using bambuddy::testing::httpRequest;
using bambuddy::testing::HttpResult;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

// A raw client socket with deadline-bound reads.
class RawSocket {
public:
  explicit RawSocket(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawSocket() { ::close(fd_); }
  bool connected() const { return connected_; }
  int fd() const { return fd_; }

  // False when the peer refused the bytes (reset or closed).
  bool sendAll(const std::string& data) {
    size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
      if (n <= 0) {
        return false;
      }
      done += static_cast<size_t>(n);
    }
    return true;
  }

  // Reads until `done(text)` holds, the peer closes, or the deadline passes.
  template <class Done> std::string readUntil(Done done, int timeout_ms, bool* closed = nullptr) {
    std::string text;
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!done(text)) {
      int left = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
      if (left <= 0) {
        break;
      }
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, left) <= 0) {
        break;
      }
      char buffer[65536];
      ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) {
        if (closed != nullptr) {
          *closed = true;
        }
        break;
      }
      text.append(buffer, static_cast<size_t>(n));
    }
    return text;
  }

private:
  int fd_ = -1;
  bool connected_ = false;
};

bool hasCompleteHead(const std::string& text) {
  return text.find("\r\n\r\n") != std::string::npos;
}

RouteSpec route(Method method, std::string pattern, Handler handler) {
  RouteSpec spec;
  spec.method = method;
  spec.pattern = std::move(pattern);
  spec.permission = "authenticated";
  spec.rate_class = RateClass::Write;
  spec.handler = std::move(handler);
  return spec;
}

std::string pattern(size_t size) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) {
    out[i] = static_cast<char>('a' + (i * 7 + i / 977) % 26);
  }
  return out;
}

class BodyAfterAuthTest : public ::testing::Test {
protected:
  void SetUp() override {
    log_path_ = temp_dir_.file("server.log");
    log_file_ = std::fopen(log_path_.c_str(), "a");
    ASSERT_NE(log_file_, nullptr);
    logger_ = std::make_unique<Logger>(LogLevel::Debug, log_file_);
    upload_dir_ = temp_dir_.path() + "/uploads";
    std::filesystem::create_directories(upload_dir_);

    router_.add(route(Method::Post, "/api/test/echo", [this](const Request& request) {
      handler_calls_++;
      return Response::json(200, json{{"body", request.body}, {"file", request.body_file != nullptr}});
    }));
    router_.add(route(Method::Post, "/api/test/upload", [this](const Request& request) {
      handler_calls_++;
      json out;
      out["in_memory"] = request.body.size();
      if (request.body_file) {
        std::ifstream in(request.body_file->path(), std::ios::binary);
        std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        out["file_size"] = request.body_file->sizeBytes();
        out["matches"] = content == expected_upload_;
        struct stat st {};
        ::stat(request.body_file->path().c_str(), &st);
        out["mode"] = st.st_mode & 0777;
      }
      return Response::json(201, out);
    }));
    router_.add(route(Method::Get, "/api/test/file", [this](const Request&) {
      Response response;
      response.content_type = "application/octet-stream";
      int fd = ::open(download_path_.c_str(), O_RDONLY | O_CLOEXEC);
      struct stat st {};
      ::fstat(fd, &st);
      response.file_body = std::make_shared<FileBody>(fd, static_cast<uint64_t>(st.st_size));
      return response;
    }));
    router_.add(route(Method::Get, "/api/test/hello", [](const Request&) {
      return Response::json(200, json{{"hello", "world"}});
    }));
  }

  void TearDown() override {
    server_.reset();
    logger_.reset();
    std::fclose(log_file_);
  }

  void startServer(int64_t max_upload = 64 << 20) {
    HttpServerOptions options;
    options.host = "127.0.0.1";
    options.max_request_size_bytes = 16 * 1024;
    options.upload_paths = {"/api/test/upload"};
    options.max_upload_size_bytes = max_upload;
    options.upload_temp_dir = upload_dir_;
    server_ = std::make_unique<HttpServer>(options, router_, *logger_);
    // The guard: only "X-API-Key: good" passes; it counts its calls and the thread it ran on.
    server_->setGuard(
        [this](const RouteSpec&, Request& request,
               std::vector<std::pair<std::string, std::string>>& extra) -> std::optional<Response> {
          guard_calls_++;
          extra.emplace_back("X-Guarded", "1");
          if (request.header("X-API-Key").value_or("") != "good") {
            return Response::error(401, "invalid_api_key", "no");
          }
          request.principal = Principal{"p1", "test", 0, {}, 0, 0, 0};
          return std::nullopt;
        });
    server_->start();
  }

  size_t filesInUploadDir() {
    size_t n = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(upload_dir_)) {
      ++n;
    }
    return n;
  }

  // Waits (bounded) until the upload directory is empty.
  bool uploadDirEmptied(int timeout_ms = 5000) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (Clock::now() < deadline) {
      if (filesInUploadDir() == 0) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return filesInUploadDir() == 0;
  }

  bambuddy::testing::TempDir temp_dir_;
  std::string log_path_;
  std::FILE* log_file_ = nullptr;
  std::unique_ptr<Logger> logger_;
  std::string upload_dir_;
  std::string download_path_;
  std::string expected_upload_;
  Router router_;
  std::unique_ptr<HttpServer> server_;
  std::atomic<int> guard_calls_{0};
  std::atomic<int> handler_calls_{0};
};

TEST_F(BodyAfterAuthTest, RefusedBeforeBodyAndWithoutContinue) {
  startServer();
  RawSocket socket(server_->port());
  ASSERT_TRUE(socket.connected());
  // Announces 50 MB and waits for 100 Continue, as curl does: it must get the 401 instead.
  ASSERT_TRUE(socket.sendAll("POST /api/test/upload?filename=a.3mf HTTP/1.1\r\nHost: x\r\n"
                             "Content-Length: 50000000\r\nExpect: 100-continue\r\n\r\n"));
  bool closed = false;
  std::string answer = socket.readUntil([](const std::string&) { return false; }, 3000, &closed);
  EXPECT_EQ(answer.rfind("HTTP/1.1 401 ", 0), 0u) << answer;
  EXPECT_EQ(answer.find("100 Continue"), std::string::npos) << answer;
  EXPECT_NE(answer.find("invalid_api_key"), std::string::npos);
  EXPECT_NE(answer.find("Connection: close"), std::string::npos);
  EXPECT_NE(answer.find("X-Guarded: 1"), std::string::npos);
  EXPECT_TRUE(closed) << "the connection stays open after a refused upload";
  EXPECT_EQ(handler_calls_.load(), 0);
  EXPECT_EQ(guard_calls_.load(), 1);
  EXPECT_TRUE(uploadDirEmptied(100)) << "no upload file is made for a refused request";
}

TEST_F(BodyAfterAuthTest, UnknownRouteWithBodyIsRefusedBeforeBody) {
  startServer();
  RawSocket socket(server_->port());
  ASSERT_TRUE(socket.connected());
  ASSERT_TRUE(socket.sendAll("POST /api/nothing HTTP/1.1\r\nHost: x\r\nContent-Length: 9000000\r\n\r\n"));
  std::string answer = socket.readUntil(hasCompleteHead, 3000);
  EXPECT_EQ(answer.rfind("HTTP/1.1 404 ", 0), 0u) << answer;
  EXPECT_EQ(guard_calls_.load(), 0);
}

TEST_F(BodyAfterAuthTest, AcceptedRequestGetsContinueThenItsBody) {
  startServer();
  RawSocket socket(server_->port());
  ASSERT_TRUE(socket.connected());
  ASSERT_TRUE(socket.sendAll("POST /api/test/echo HTTP/1.1\r\nHost: x\r\nX-API-Key: good\r\n"
                             "Content-Length: 7\r\nExpect: 100-continue\r\n\r\n"));
  std::string interim = socket.readUntil(hasCompleteHead, 3000);
  EXPECT_EQ(interim, "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(socket.sendAll("{\"a\":1}"));
  std::string answer =
      socket.readUntil([](const std::string& t) { return t.find("}") != std::string::npos; }, 3000);
  EXPECT_EQ(answer.rfind("HTTP/1.1 200 ", 0), 0u) << answer;
  EXPECT_NE(answer.find(R"({"body":"{\"a\":1}","file":false})"), std::string::npos) << answer;
  EXPECT_NE(answer.find("X-Guarded: 1"), std::string::npos)
      << "the guard's headers reach the handler's answer";
  EXPECT_EQ(guard_calls_.load(), 1) << "the guard runs once per request";
}

TEST_F(BodyAfterAuthTest, RefusedBodyThatKeepsComingClosesTheConnection) {
  startServer();
  RawSocket socket(server_->port());
  ASSERT_TRUE(socket.connected());
  // No Expect: the client pushes its body at once. The server answers 401 and, rather than read
  // 64 MB it will throw away, closes the connection after a little.
  std::atomic<bool> refused{false};
  std::atomic<size_t> sent{0};
  std::thread writer([&] {
    const std::string chunk(256 * 1024, 'z');
    if (!socket.sendAll("POST /api/test/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 67108864\r\n\r\n")) {
      refused = true;
      return;
    }
    while (sent < (64u << 20)) {
      if (!socket.sendAll(chunk)) {
        refused = true;
        return;
      }
      sent += chunk.size();
    }
  });
  std::string answer = socket.readUntil(hasCompleteHead, 5000);
  writer.join();
  EXPECT_EQ(answer.rfind("HTTP/1.1 401 ", 0), 0u) << answer;
  EXPECT_TRUE(refused.load()) << "the server read all " << sent.load() << " bytes of a refused body";
  EXPECT_EQ(handler_calls_.load(), 0);
}

TEST_F(BodyAfterAuthTest, UploadBodyStreamsToAPrivateFileThatIsRemovedAfterwards) {
  startServer();
  expected_upload_ = pattern(3 * 1024 * 1024 + 17);
  HttpResult result = httpRequest("127.0.0.1", server_->port(), "POST", "/api/test/upload", expected_upload_,
                                  {{"X-API-Key", "good"}}, 10000);
  ASSERT_EQ(result.status, 201) << result.error << result.body;
  json body = json::parse(result.body);
  EXPECT_EQ(body["in_memory"], 0) << "an upload body must not be held in memory";
  EXPECT_EQ(body["file_size"], expected_upload_.size());
  EXPECT_EQ(body["matches"], true);
  EXPECT_EQ(body["mode"], 0600);
  EXPECT_TRUE(uploadDirEmptied()) << "the upload file outlives its request";
}

TEST_F(BodyAfterAuthTest, UploadAboveTheLimitIs413BeforeTheBody) {
  startServer(1 << 20);
  RawSocket socket(server_->port());
  ASSERT_TRUE(socket.connected());
  ASSERT_TRUE(socket.sendAll("POST /api/test/upload HTTP/1.1\r\nHost: x\r\nX-API-Key: good\r\n"
                             "Content-Length: 2000000\r\nExpect: 100-continue\r\n\r\n"));
  std::string answer = socket.readUntil(hasCompleteHead, 3000);
  EXPECT_EQ(answer.rfind("HTTP/1.1 413 ", 0), 0u) << answer;
  EXPECT_TRUE(uploadDirEmptied(100));
}

TEST_F(BodyAfterAuthTest, ChunkedUploadNeedsALength) {
  startServer();
  HttpResult result = httpRawRequest("127.0.0.1", server_->port(),
                                     "POST /api/test/upload HTTP/1.1\r\nHost: x\r\nX-API-Key: good\r\n"
                                     "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  ASSERT_EQ(result.status, 411) << result.error;
  EXPECT_EQ(json::parse(result.body)["code"], "length_required");
  EXPECT_EQ(handler_calls_.load(), 0);
}

TEST_F(BodyAfterAuthTest, AbandonedUploadLeavesNoFile) {
  startServer();
  {
    RawSocket socket(server_->port());
    ASSERT_TRUE(socket.connected());
    ASSERT_TRUE(socket.sendAll("POST /api/test/upload HTTP/1.1\r\nHost: x\r\nX-API-Key: good\r\n"
                               "Content-Length: 1000000\r\n\r\n" +
                               std::string(300000, 'q')));
    // The file exists while the body flows.
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    while (filesInUploadDir() == 0 && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_EQ(filesInUploadDir(), 1u);
  } // the client goes away mid-body
  EXPECT_TRUE(uploadDirEmptied()) << "a partial upload was left behind";
  EXPECT_EQ(handler_calls_.load(), 0);
}

TEST_F(BodyAfterAuthTest, FileBodyStreamsInOrderWithPipelinedRequests) {
  startServer();
  const std::string content = pattern(5 * 1024 * 1024 + 3);
  download_path_ = temp_dir_.file("download.bin");
  {
    std::ofstream out(download_path_, std::ios::binary);
    out << content;
  }
  RawSocket socket(server_->port());
  ASSERT_TRUE(socket.connected());
  // A download, then a small request, pipelined in one write: the small answer must come after
  // every byte of the file, not in the middle of it.
  ASSERT_TRUE(socket.sendAll("GET /api/test/file HTTP/1.1\r\nHost: x\r\nX-API-Key: good\r\n\r\n"
                             "GET /api/test/hello HTTP/1.1\r\nHost: x\r\nX-API-Key: good\r\n\r\n"));
  std::string text = socket.readUntil(
      [](const std::string& t) { return t.find(R"({"hello":"world"})") != std::string::npos; }, 15000);
  size_t head_end = text.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos) << text.substr(0, 200);
  std::string head = text.substr(0, head_end);
  EXPECT_EQ(head.rfind("HTTP/1.1 200 ", 0), 0u) << head;
  EXPECT_NE(head.find("Content-Length: " + std::to_string(content.size())), std::string::npos) << head;
  ASSERT_GE(text.size(), head_end + 4 + content.size());
  EXPECT_TRUE(text.compare(head_end + 4, content.size(), content) == 0) << "the file arrived damaged";
  std::string rest = text.substr(head_end + 4 + content.size());
  EXPECT_EQ(rest.rfind("HTTP/1.1 200 ", 0), 0u) << rest.substr(0, 200);
}

TEST_F(BodyAfterAuthTest, HeadOfAFileBodyAnnouncesItsLengthOnly) {
  startServer();
  download_path_ = temp_dir_.file("small.bin");
  {
    std::ofstream out(download_path_, std::ios::binary);
    out << pattern(1000);
  }
  HttpResult result = httpRawRequest("127.0.0.1", server_->port(),
                                     "HEAD /api/test/file HTTP/1.1\r\nHost: x\r\nX-API-Key: good\r\n"
                                     "Connection: close\r\n\r\n",
                                     5000, true);
  ASSERT_EQ(result.status, 200) << result.error;
  EXPECT_EQ(result.headers["content-length"], "1000");
  EXPECT_TRUE(result.body.empty());
}

} // namespace body_after_auth_test
} // namespace bambuddy::http
