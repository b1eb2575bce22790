// Uploads a file of random bytes (a 3MF does not compress either) to a local implicit-FTPS
// server with FtpsClient, as the driver does before a print starts, and prints per run: seconds,
// MB/s, and this process's CPU seconds (user + sys, getrusage) spent in the upload. The server is
// proftpd on loopback, so the figures are the client's and TLS's cost, not a printer's Wi-Fi.
#include "ftps_client.h"

#include "support/ftps_server.h"
#include "support/temp_dir.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

using bambuddy::printer_bambu::DataProtection;
using bambuddy::printer_bambu::FtpsClient;
using bambuddy::printer_bambu::FtpsEndpoint;
using bambuddy::testing::FtpsServer;
using bambuddy::testing::FtpsServerOptions;
using bambuddy::testing::TempDir;

namespace {

double cpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double wallSeconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

void writeRandomFile(const std::string& path, uint64_t size) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    std::perror("fopen");
    std::exit(1);
  }
  std::mt19937_64 generator(42);
  std::string block(1 << 20, '\0');
  for (uint64_t written = 0; written < size; written += block.size()) {
    for (size_t i = 0; i < block.size(); i += 8) {
      uint64_t v = generator();
      std::memcpy(&block[i], &v, 8);
    }
    std::fwrite(block.data(), 1, std::min<uint64_t>(block.size(), size - written), f);
  }
  std::fclose(f);
}

void runMode(const char* label, bool clear, const std::string& file, uint64_t size, int runs) {
  FtpsServerOptions options;
  options.refuse_protected_data = clear;
  FtpsServer server(options);
  server.start();
  FtpsEndpoint e;
  e.host = server.host();
  e.port = server.port();
  e.password = server.password();
  e.protection = clear ? DataProtection::Clear : DataProtection::Private;
  FtpsClient client(e);
  int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
  for (int run = 1; run <= runs; ++run) {
    const double wall0 = wallSeconds();
    const double cpu0 = cpuSeconds();
    client.upload(fd, size, "/bench.3mf", {});
    const double wall = wallSeconds() - wall0;
    const double cpu = cpuSeconds() - cpu0;
    struct stat stored {};
    stat((server.storageDir() + "/bench.3mf").c_str(), &stored);
    std::printf("%-30s run %d: %6.3f s  %7.1f MB/s  client CPU %5.3f s (%3.0f %% of the wall time), stored "
                "%lld bytes\n",
                label, run, wall, size / 1e6 / wall, cpu, 100.0 * cpu / wall,
                static_cast<long long>(stored.st_size));
  }
  close(fd);
}

} // namespace

int main(int argc, char** argv) {
  uint64_t size_mb = 50;
  int runs = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--size-mb") == 0) {
      size_mb = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (std::strcmp(argv[i], "--runs") == 0) {
      runs = std::atoi(argv[i + 1]);
    }
  }
  TempDir dir;
  const std::string file = dir.file("bench.3mf");
  const uint64_t size = size_mb * 1000 * 1000;
  writeRandomFile(file, size);
  std::printf(
      "ftps_upload_bench: %llu MB of random bytes to proftpd on 127.0.0.1 (implicit TLS), %d runs each, "
      "one connection per mode (the first run includes connect + login)\n",
      static_cast<unsigned long long>(size_mb), runs);
  runMode("PROT P (TLS data, reused)", false, file, size, runs);
  runMode("PROT C (clear data)", true, file, size, runs);
  return 0;
}
