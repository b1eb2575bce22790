// FtpsClient against a real implicit-FTPS server (proftpd, tests/support/ftps_server.h), on
// loopback: transfers with the exact bytes, every failure the driver reports, TLS pinning before
// the login, the protected data channel with TLS session reuse, the clear fallback, cancel.
#include "ftps_client.h"
#include "storage_transport.h"

#include "support/ftps_server.h"
#include "support/loopback_port.h"
#include "support/temp_dir.h"
#include "support/test_cert.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

namespace bambuddy::printer_bambu {
namespace ftps_client_test {

using bambuddy::testing::FtpsServer;
using bambuddy::testing::FtpsServerOptions;
using bambuddy::testing::readFile;
using bambuddy::testing::TempDir;

int64_t nowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

std::string randomBytes(size_t size, uint32_t seed) {
  std::mt19937 generator(seed);
  std::string bytes(size, '\0');
  for (char& c : bytes) {
    c = static_cast<char>(generator() & 0xff);
  }
  return bytes;
}

FtpsEndpoint endpointOf(const FtpsServer& server) {
  FtpsEndpoint e;
  e.host = server.host();
  e.port = server.port();
  e.user = server.user();
  e.password = server.password();
  e.connect_timeout_ms = 5000;
  e.stall_timeout_ms = 5000;
  return e;
}

// An open descriptor of a local file; closed with the object.
class LocalFile {
public:
  LocalFile(const std::string& path, int flags) : fd_(::open(path.c_str(), flags | O_CLOEXEC, 0600)) {
    if (fd_ < 0) {
      throw std::runtime_error("cannot open " + path);
    }
  }
  ~LocalFile() { ::close(fd_); }
  int fd() const { return fd_; }

private:
  int fd_;
};

// A sparse file of `size` zero bytes: big uploads without writing them to disk first.
std::string sparseFile(const TempDir& dir, const std::string& name, uint64_t size) {
  std::string path = dir.write(name, "");
  if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0) {
    throw std::runtime_error("cannot size " + path);
  }
  return path;
}

// A TCP listener that completes the handshake (the kernel's backlog) and never says a word: the
// TLS handshake of a client hangs.
class SilentListener {
public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd_, 8) != 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("cannot listen on loopback");
    }
    port_ = ntohs(address.sin_port);
  }
  ~SilentListener() { ::close(fd_); }
  uint16_t port() const { return port_; }

private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

FtpsFailure failureOf(const std::function<void()>& operation, std::string* message = nullptr) {
  try {
    operation();
  } catch (const FtpsError& e) {
    if (message != nullptr) {
      *message = e.what();
    }
    return e.failure();
  }
  ADD_FAILURE() << "the operation did not fail";
  return FtpsFailure::Protocol;
}

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

const RemoteEntry* findEntry(const std::vector<RemoteEntry>& entries, const std::string& name) {
  auto it =
      std::find_if(entries.begin(), entries.end(), [&](const RemoteEntry& e) { return e.name == name; });
  return it == entries.end() ? nullptr : &*it;
}

class FtpsClientTest : public ::testing::Test {
protected:
  TempDir local_;
};

TEST_F(FtpsClientTest, UploadListDownloadKeepTheExactBytesOverOneConnection) {
  FtpsServer server;
  server.start();
  const std::string bytes = randomBytes(3 * 1024 * 1024 + 17, 1);
  LocalFile source(local_.write("source.3mf", bytes), O_RDONLY);
  ASSERT_EQ(::mkdir((server.storageDir() + "/cache").c_str(), 0755), 0);

  FtpsClient client(endpointOf(server));
  EXPECT_EQ(client.protection(), DataProtection::Auto);
  std::vector<std::pair<uint64_t, uint64_t>> reports;
  client.upload(source.fd(), bytes.size(), "/Benchy plate #1.3mf",
                [&](uint64_t done, uint64_t total) { reports.emplace_back(done, total); });
  EXPECT_EQ(readFile(server.storageDir() + "/Benchy plate #1.3mf"), bytes);
  ASSERT_FALSE(reports.empty());
  EXPECT_EQ(reports.back(), std::make_pair(uint64_t(bytes.size()), uint64_t(bytes.size())));
  for (size_t i = 1; i < reports.size(); ++i) {
    EXPECT_GT(reports[i].first, reports[i - 1].first);
    EXPECT_EQ(reports[i].second, bytes.size());
  }
  EXPECT_EQ(client.protection(), DataProtection::Private);

  std::vector<RemoteEntry> root = client.list("/");
  ASSERT_EQ(root.size(), 2u) << server.commandLog();
  const RemoteEntry* file = findEntry(root, "Benchy plate #1.3mf");
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(file->size_bytes, bytes.size());
  EXPECT_FALSE(file->is_directory);
  const RemoteEntry* cache = findEntry(root, "cache");
  ASSERT_NE(cache, nullptr);
  EXPECT_TRUE(cache->is_directory);
  EXPECT_TRUE(client.list("/cache").empty());

  const std::string copy_path = local_.write("copy.3mf", "");
  {
    LocalFile copy(copy_path, O_WRONLY);
    uint64_t last_done = 0;
    uint64_t last_total = 0;
    client.download("/Benchy plate #1.3mf", copy.fd(), 10 * 1024 * 1024, [&](uint64_t done, uint64_t total) {
      last_done = done;
      last_total = total;
    });
    EXPECT_EQ(last_done, bytes.size());
    EXPECT_EQ(last_total, bytes.size());
  }
  EXPECT_EQ(readFile(copy_path), bytes);

  // One login for all four operations; every data connection protected and resuming the control
  // connection's TLS session, which proftpd requires by default (as printers do).
  EXPECT_EQ(server.countInCommandLog("\"USER bblp\""), 1u) << server.commandLog();
  EXPECT_EQ(server.countInCommandLog("\"PROT P\" 200"), 1u) << server.commandLog();
  EXPECT_EQ(server.countInCommandLog("\"STOR Benchy plate #1.3mf\" 226"), 1u) << server.commandLog();
  const std::string tls = server.tlsLog();
  size_t reused = 0;
  for (size_t at = tls.find("client reused TLS session for data connection"); at != std::string::npos;
       at = tls.find("client reused TLS session for data connection", at + 1)) {
    ++reused;
  }
  EXPECT_EQ(reused, 4u) << tls;
  EXPECT_FALSE(contains(tls, "did not reuse")) << tls;
}

TEST_F(FtpsClientTest, ReplacesDeletesAndReportsMissingFiles) {
  FtpsServer server;
  server.start();
  FtpsClient client(endpointOf(server));
  const std::string first = randomBytes(200000, 2);
  const std::string second = randomBytes(1234, 3);
  LocalFile a(local_.write("a", first), O_RDONLY);
  LocalFile b(local_.write("b", second), O_RDONLY);
  client.upload(a.fd(), first.size(), "/job.3mf", {});
  client.upload(b.fd(), second.size(), "/job.3mf", {});
  EXPECT_EQ(readFile(server.storageDir() + "/job.3mf"), second);

  client.remove("/job.3mf");
  EXPECT_NE(::access((server.storageDir() + "/job.3mf").c_str(), F_OK), 0);
  EXPECT_TRUE(client.list("/").empty());

  std::string message;
  EXPECT_EQ(failureOf([&] { client.remove("/job.3mf"); }, &message), FtpsFailure::NotFound);
  EXPECT_TRUE(contains(message, "deletion of /job.3mf on 127.0.0.1:" + std::to_string(server.port())))
      << message;
  EXPECT_TRUE(contains(message, "550")) << message;
  LocalFile sink(local_.write("sink", ""), O_WRONLY);
  EXPECT_EQ(failureOf([&] { client.download("/missing.3mf", sink.fd(), 1000, {}); }, &message),
            FtpsFailure::NotFound);
  EXPECT_TRUE(contains(message, "download of /missing.3mf")) << message;
  EXPECT_EQ(failureOf([&] { client.list("/no-such-dir"); }, &message), FtpsFailure::NotFound);
  EXPECT_EQ(failureOf([&] { client.upload(b.fd(), second.size(), "/no-such-dir/x.3mf", {}); }, &message),
            FtpsFailure::NotFound);
  // The client is still usable after failures.
  client.upload(b.fd(), second.size(), "/again.3mf", {});
  EXPECT_EQ(readFile(server.storageDir() + "/again.3mf"), second);
}

TEST_F(FtpsClientTest, DownloadStopsAtItsLimit) {
  FtpsServer server;
  server.start();
  const std::string bytes = randomBytes(300000, 4);
  local_.write("unused", "");
  std::string stored = server.storageDir() + "/big.3mf";
  {
    LocalFile out(stored, O_WRONLY | O_CREAT);
    ASSERT_EQ(::write(out.fd(), bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  FtpsClient client(endpointOf(server));
  const std::string copy_path = local_.write("copy", "");
  LocalFile copy(copy_path, O_WRONLY);
  std::string message;
  EXPECT_EQ(failureOf([&] { client.download("/big.3mf", copy.fd(), 100000, {}); }, &message),
            FtpsFailure::LocalIo);
  EXPECT_TRUE(contains(message, "larger than the limit of 100000 bytes")) << message;
  EXPECT_LE(readFile(copy_path).size(), 100000u);
}

TEST_F(FtpsClientTest, WrongPasswordIsLoginFailedAndNeverQuoted) {
  FtpsServer server;
  server.start();
  FtpsEndpoint e = endpointOf(server);
  e.password = "WrongCode42";
  FtpsClient client(e);
  std::string message;
  EXPECT_EQ(failureOf([&] { client.list("/"); }, &message), FtpsFailure::LoginFailed);
  EXPECT_TRUE(contains(message, "listing of / on 127.0.0.1:" + std::to_string(server.port()))) << message;
  EXPECT_TRUE(contains(message, "530")) << message;
  EXPECT_FALSE(contains(message, "WrongCode42")) << message;
  EXPECT_FALSE(contains(message, server.password())) << message;
  EXPECT_EQ(failureReason(FtpsFailure::LoginFailed), std::string("ftp_login_failed"));
}

TEST_F(FtpsClientTest, NothingListeningIsConnectionRefused) {
  FtpsEndpoint e;
  e.host = "127.0.0.1";
  e.port = bambuddy::testing::pickFreeLoopbackPort();
  e.password = "12345678";
  FtpsClient client(e);
  std::string message;
  EXPECT_EQ(failureOf([&] { client.list("/"); }, &message), FtpsFailure::ConnectionRefused);
  EXPECT_TRUE(contains(message, "127.0.0.1:" + std::to_string(e.port))) << message;
  EXPECT_TRUE(contains(message, "connection refused")) << message;
}

TEST_F(FtpsClientTest, PinMismatchFailsBeforeTheLoginAndTheRightPinWorks) {
  FtpsServer server;
  server.start();
  FtpsEndpoint e = endpointOf(server);
  e.tls_mode = TlsMode::Fingerprint;
  e.fingerprint_sha256 = std::string(64, 'a');
  std::string message;
  {
    FtpsClient client(e);
    EXPECT_EQ(failureOf([&] { client.list("/"); }, &message), FtpsFailure::PinMismatch);
  }
  EXPECT_TRUE(contains(message, server.certFingerprintSha256())) << message;
  EXPECT_TRUE(contains(message, "nothing was sent")) << message;
  // The server never saw a command, so neither the user nor the password.
  EXPECT_EQ(server.countInCommandLog("USER"), 0u) << server.commandLog();
  EXPECT_EQ(server.countInCommandLog("PASS"), 0u) << server.commandLog();

  e.fingerprint_sha256 = server.certFingerprintSha256();
  FtpsClient client(e);
  const std::string bytes = randomBytes(50000, 5);
  LocalFile source(local_.write("s", bytes), O_RDONLY);
  client.upload(source.fd(), bytes.size(), "/pinned.3mf", {});
  EXPECT_EQ(readFile(server.storageDir() + "/pinned.3mf"), bytes);
  EXPECT_EQ(server.countInCommandLog("\"USER bblp\""), 1u);
}

TEST_F(FtpsClientTest, CaModeTrustsOnlyTheGivenCa) {
  FtpsServer server;
  server.start();
  FtpsEndpoint e = endpointOf(server);
  e.tls_mode = TlsMode::CaFile;
  e.ca_file = server.certFile();
  {
    FtpsClient client(e);
    EXPECT_TRUE(client.list("/").empty());
  }
  bambuddy::testing::TestCert other = bambuddy::testing::makeSelfSignedCert(local_.path(), "other");
  ASSERT_TRUE(other.ok()) << other.error;
  e.ca_file = other.cert_path;
  FtpsClient client(e);
  std::string message;
  EXPECT_EQ(failureOf([&] { client.list("/"); }, &message), FtpsFailure::TlsFailed);
  EXPECT_TRUE(contains(message, "does not verify against tls.ca_file")) << message;
  EXPECT_EQ(server.countInCommandLog("USER"), 1u) << server.commandLog(); // only the good client's

  e.ca_file = local_.file("missing-ca.pem");
  FtpsClient unreadable(e);
  EXPECT_EQ(failureOf([&] { unreadable.list("/"); }, &message), FtpsFailure::TlsFailed);
  EXPECT_TRUE(contains(message, "cannot load tls.ca_file " + e.ca_file)) << message;
  EXPECT_EQ(server.countInCommandLog("USER"), 1u) << server.commandLog();
}

TEST_F(FtpsClientTest, AutoFallsBackToAClearDataChannelWhenPrivateIsRefused) {
  FtpsServerOptions options;
  options.refuse_protected_data = true;
  FtpsServer server(options);
  server.start();
  const std::string bytes = randomBytes(400000, 6);
  LocalFile source(local_.write("s", bytes), O_RDONLY);

  FtpsClient client(endpointOf(server));
  client.upload(source.fd(), bytes.size(), "/clear.3mf", {});
  EXPECT_EQ(readFile(server.storageDir() + "/clear.3mf"), bytes);
  EXPECT_EQ(client.protection(), DataProtection::Clear);
  ASSERT_EQ(client.list("/").size(), 1u);
  // PROT P once, refused (the log shows it as mod_rewrite turned it: PROT X), then PROT C on the
  // fresh connection, which the list reused.
  EXPECT_EQ(server.countInCommandLog("\"PROT X\" 504"), 1u) << server.commandLog();
  EXPECT_EQ(server.countInCommandLog("\"PROT C\" 200"), 1u) << server.commandLog();
  EXPECT_TRUE(contains(server.tlsLog(), "Protection set to Clear")) << server.tlsLog();

  // Private, explicitly, does not fall back.
  FtpsEndpoint strict = endpointOf(server);
  strict.protection = DataProtection::Private;
  FtpsClient strict_client(strict);
  std::string message;
  EXPECT_EQ(failureOf([&] { strict_client.list("/"); }, &message), FtpsFailure::TlsFailed);
  EXPECT_TRUE(contains(message, "refused a protected data channel")) << message;
  EXPECT_EQ(strict_client.protection(), DataProtection::Private);
}

TEST_F(FtpsClientTest, ThePrintersTransportsRememberTheClearFallback) {
  FtpsServerOptions options;
  options.refuse_protected_data = true;
  FtpsServer server(options);
  server.start();
  DriverConfig config;
  config.ftp_connect_timeout_ms = 5000;
  config.ftp_stall_timeout_ms = 5000;
  PrinterSettings settings;
  settings.host = server.host();
  settings.access_code = server.password();
  settings.ftp_port = server.port();
  TransportFactory transports = ftpsTransportFactory(settings, config);
  // Three transfers, one transport each (as the driver makes them): only the first one tries the
  // protected channel.
  for (int i = 0; i < 3; ++i) {
    transports()->list("/");
  }
  EXPECT_EQ(server.countInCommandLog("\"PROT X\" 504"), 1u) << server.commandLog();
  EXPECT_EQ(server.countInCommandLog("\"PROT C\" 200"), 3u) << server.commandLog();
}

TEST_F(FtpsClientTest, FullStorageIsNoSpaceWithTheServersWords) {
  FtpsServerOptions options;
  options.max_store_file_size_bytes = 1000;
  FtpsServer server(options);
  server.start();
  const std::string bytes = randomBytes(4000, 7);
  LocalFile source(local_.write("s", bytes), O_RDONLY);
  FtpsClient client(endpointOf(server));
  std::string message;
  EXPECT_EQ(failureOf([&] { client.upload(source.fd(), bytes.size(), "/full.3mf", {}); }, &message),
            FtpsFailure::NoSpace);
  EXPECT_TRUE(contains(message, "upload of /full.3mf on 127.0.0.1:" + std::to_string(server.port())))
      << message;
  EXPECT_TRUE(contains(message, "552")) << message;
}

TEST_F(FtpsClientTest, CancelFromAnotherThreadStopsAStalledUploadAtOnce) {
  FtpsServer server;
  server.start();
  const std::string path = sparseFile(local_, "big.3mf", 256 * 1024 * 1024);
  LocalFile source(path, O_RDONLY);
  FtpsClient client(endpointOf(server));

  // The server stops answering once bytes move: curl then waits in poll, the hardest case.
  std::promise<void> moving;
  std::atomic<bool> signalled{false};
  auto upload = std::async(std::launch::async, [&]() -> FtpsFailure {
    return failureOf([&] {
      client.upload(source.fd(), 256u * 1024 * 1024, "/big.3mf", [&](uint64_t done, uint64_t) {
        if (done > 0 && !signalled.exchange(true)) {
          server.pauseSessions();
          moving.set_value();
        }
      });
    });
  });
  ASSERT_EQ(moving.get_future().wait_for(std::chrono::seconds(20)), std::future_status::ready);
  const int64_t cancelled_at = nowMs();
  client.cancel();
  ASSERT_EQ(upload.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  const int64_t took_ms = nowMs() - cancelled_at;
  EXPECT_EQ(upload.get(), FtpsFailure::Cancelled);
  EXPECT_LT(took_ms, 500) << "cancel took " << took_ms << " ms";
  std::cout << "[ measure  ] cancel during a stalled upload returned after " << took_ms << " ms\n";
  // Every later operation is cancelled too, without touching the network.
  EXPECT_EQ(failureOf([&] { client.list("/"); }), FtpsFailure::Cancelled);
}

TEST_F(FtpsClientTest, CancelInterruptsAHangingHandshake) {
  SilentListener silent;
  FtpsEndpoint e;
  e.host = "127.0.0.1";
  e.port = silent.port();
  e.password = "12345678";
  e.connect_timeout_ms = 60000;
  FtpsClient client(e);
  std::atomic<bool> started{false};
  auto list = std::async(std::launch::async, [&]() -> FtpsFailure {
    started = true;
    return failureOf([&] { client.list("/"); });
  });
  while (!started) {
    std::this_thread::yield();
  }
  // The worker may not have reached curl yet: cancel is sticky, so either way it ends Cancelled.
  const int64_t cancelled_at = nowMs();
  client.cancel();
  ASSERT_EQ(list.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  const int64_t took_ms = nowMs() - cancelled_at;
  EXPECT_EQ(list.get(), FtpsFailure::Cancelled);
  EXPECT_LT(took_ms, 500) << "cancel took " << took_ms << " ms";
}

TEST_F(FtpsClientTest, ASilentPeerIsAConnectTimeout) {
  SilentListener silent;
  FtpsEndpoint e;
  e.host = "127.0.0.1";
  e.port = silent.port();
  e.password = "12345678";
  e.connect_timeout_ms = 300;
  FtpsClient client(e);
  const int64_t started = nowMs();
  std::string message;
  EXPECT_EQ(failureOf([&] { client.list("/"); }, &message), FtpsFailure::Timeout);
  const int64_t took_ms = nowMs() - started;
  EXPECT_GE(took_ms, 300);
  EXPECT_LT(took_ms, 3000);
  EXPECT_TRUE(contains(message, "within 300 ms")) << message;
}

TEST_F(FtpsClientTest, AStalledTransferTimesOut) {
  FtpsServer server;
  server.start();
  const std::string path = sparseFile(local_, "big.3mf", 256 * 1024 * 1024);
  LocalFile source(path, O_RDONLY);
  FtpsEndpoint e = endpointOf(server);
  e.stall_timeout_ms = 1000;
  FtpsClient client(e);
  bool paused = false;
  int64_t paused_at = 0;
  std::string message;
  EXPECT_EQ(failureOf(
                [&] {
                  client.upload(source.fd(), 256u * 1024 * 1024, "/stall.3mf", [&](uint64_t done, uint64_t) {
                    if (done > 0 && !paused) {
                      paused = server.pauseSessions() > 0;
                      paused_at = nowMs();
                    }
                  });
                },
                &message),
            FtpsFailure::Timeout);
  ASSERT_TRUE(paused);
  const int64_t took_ms = nowMs() - paused_at;
  EXPECT_GE(took_ms, 1000);
  EXPECT_LT(took_ms, 4000); // the stall clock starts once the socket buffers are full
  EXPECT_TRUE(contains(message, "stalled: no byte moved for 1000 ms")) << message;
  std::cout << "[ measure  ] a 1 s stall timeout fired " << took_ms << " ms after the server stopped\n";
}

TEST_F(FtpsClientTest, DestroyingAClientWhosePrinterStoppedAnsweringIsQuick) {
  FtpsServer server;
  server.start();
  auto client = std::make_unique<FtpsClient>(endpointOf(server));
  EXPECT_TRUE(client->list("/").empty());
  ASSERT_GT(server.pauseSessions(), 0u); // the cached connection's QUIT will get no answer
  const int64_t started = nowMs();
  client.reset();
  const int64_t took_ms = nowMs() - started;
  EXPECT_LT(took_ms, 1500) << "the destructor took " << took_ms << " ms";
  std::cout << "[ measure  ] destroying the client took " << took_ms << " ms\n";
}

TEST_F(FtpsClientTest, RemotePathsAreChecked) {
  FtpsEndpoint e;
  e.host = "127.0.0.1";
  e.port = 1;
  FtpsClient client(e);
  for (const std::string& bad : {std::string("relative.3mf"), std::string("/a\r\nDELE /b"),
                                 std::string("/dir/"), std::string(""), "/" + std::string(2000, 'a')}) {
    EXPECT_EQ(failureOf([&] { client.remove(bad); }), FtpsFailure::Protocol) << bad;
  }
}

TEST(FtpsEndpointTest, BuiltFromTheDriverConfigAndPrinterSettings) {
  DriverConfig config;
  config.ftp_connect_timeout_ms = 1234;
  config.ftp_stall_timeout_ms = 5678;
  PrinterSettings settings;
  settings.host = "192.168.1.50";
  settings.access_code = "12345678";
  settings.ftp_port = 9990;
  settings.tls_mode = TlsMode::Fingerprint;
  settings.fingerprint_sha256 = std::string(64, 'b');
  settings.ftp_data_protection = DataProtection::Clear;
  FtpsEndpoint e = makeFtpsEndpoint(config, settings);
  EXPECT_EQ(e.host, "192.168.1.50");
  EXPECT_EQ(e.port, 9990);
  EXPECT_EQ(e.user, "bblp");
  EXPECT_EQ(e.password, "12345678");
  EXPECT_EQ(e.tls_mode, TlsMode::Fingerprint);
  EXPECT_EQ(e.fingerprint_sha256, std::string(64, 'b'));
  EXPECT_EQ(e.protection, DataProtection::Clear);
  EXPECT_EQ(e.connect_timeout_ms, 1234);
  EXPECT_EQ(e.stall_timeout_ms, 5678);
}

} // namespace ftps_client_test
} // namespace bambuddy::printer_bambu
