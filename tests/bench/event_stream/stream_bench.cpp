// The event stream under load: N Server-Sent Events clients (status on) connected to the real server
// while P simulated printers (printer.sim) report once a second and print what a queue feeds them.
// Measures the server's CPU and RSS (and RSS growth over the run) and the latency from a queue POST
// to its queue_item_added event at every client, p50/p99/max, and the event-to-client latency
// itself: from the moment the server decided the event (the journal's created_at_ms, read from the
// server's database after the run; both processes share the machine's wall clock) to the moment
// the client's epoll loop saw the frame. The clients are one epoll thread in this process, so their
// own scheduling is part of the latency. Prints figures; never passes or fails.
//
// usage: stream_bench [--clients 1000] [--printers 10] [--duration-s 60] [--posts-per-s 2] [--no-status]
#include "bench_report.h"
#include "journal_events.h"
#include "proc_stats.h"

#include "support/http_client.h"
#include "support/server_process.h"
#include "support/temp_dir.h"
#include "support/three_mf_sample.h"

#include <nlohmann/json.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

using namespace bambuddy;
using namespace bambuddy::bench;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

struct Options {
  int clients = 1000;
  int printers = 10;
  int duration_s = 60;
  double posts_per_s = 2;
  bool status = true; // clients ask for status snapshots (?status=1)
};

Options parseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        throw std::invalid_argument(arg + " needs a value");
      }
      return argv[++i];
    };
    if (arg == "--clients") {
      o.clients = std::stoi(value());
    } else if (arg == "--printers") {
      o.printers = std::stoi(value());
    } else if (arg == "--duration-s") {
      o.duration_s = std::stoi(value());
    } else if (arg == "--posts-per-s") {
      o.posts_per_s = std::stod(value());
    } else if (arg == "--no-status") {
      o.status = false;
    } else {
      throw std::invalid_argument("unknown option " + arg);
    }
  }
  if (o.clients < 1 || o.clients > 20000 || o.printers < 1 || o.duration_s < 5 || o.posts_per_s <= 0) {
    throw std::invalid_argument("out of range");
  }
  return o;
}

// One SSE connection, read by the epoll loop.
struct Conn {
  int fd = -1;
  std::string buffer;
  bool head_done = false;
  int status = 0;
  uint64_t queue_events = 0; // queue_item_added seen so far: the n-th answers the n-th POST
  uint64_t frames = 0;
  bool ended = false;
};

// The epoll loop over every client: counts frames and records when each queue_item_added arrived.
class Clients {
public:
  Clients(uint16_t port, const std::string& key, int count, bool status) {
    epoll_ = ::epoll_create1(0);
    conns_.resize(static_cast<size_t>(count));
    const std::string request = std::string("GET /api/v1/events/stream") + (status ? "?status=1" : "") +
                                " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: " + key +
                                "\r\nAccept: text/event-stream\r\n\r\n";
    for (size_t i = 0; i < conns_.size(); ++i) {
      Conn& c = conns_[i];
      c.fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(port);
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (c.fd < 0 || ::connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        throw std::runtime_error(std::string("client connect: ") + std::strerror(errno));
      }
      ::send(c.fd, request.data(), request.size(), MSG_NOSIGNAL);
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = i;
      ::epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev);
    }
    thread_ = std::thread([this] { loop(); });
  }
  ~Clients() {
    stop_ = true;
    thread_.join();
    for (Conn& c : conns_) {
      ::close(c.fd);
    }
    ::close(epoll_);
  }

  // When the poster sent POST number n (1-based): the reference for that event's latency.
  void posted(uint64_t n, Clock::time_point at) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (sent_at_.size() < n) {
      sent_at_.resize(n);
    }
    sent_at_[n - 1] = at;
  }

  size_t open() const { return open_.load(); }
  uint64_t frames() const { return frames_.load(); }
  std::vector<int64_t> latenciesUs() {
    std::lock_guard<std::mutex> lock(mutex_);
    return latencies_us_;
  }
  // Per queue_item_added event id: the wall-clock time (microseconds since the epoch) at which
  // each client's epoll loop saw it.
  std::unordered_map<std::string, std::vector<int64_t>> arrivalsByEventId() {
    std::lock_guard<std::mutex> lock(mutex_);
    return arrivals_;
  }
  uint64_t ended() const { return ended_.load(); }
  // Per event: POST sent -> first client had it, and first client -> last client had it (the
  // fan-out's spread), in microseconds.
  void spreads(std::vector<int64_t>& to_first, std::vector<int64_t>& first_to_last) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (size_t n = 0; n < first_at_.size() && n < sent_at_.size(); ++n) {
      if (first_at_[n] == Clock::time_point{}) {
        continue;
      }
      to_first.push_back(
          std::chrono::duration_cast<std::chrono::microseconds>(first_at_[n] - sent_at_[n]).count());
      first_to_last.push_back(
          std::chrono::duration_cast<std::chrono::microseconds>(last_at_[n] - first_at_[n]).count());
    }
  }

private:
  void loop() {
    std::vector<epoll_event> events(256);
    char chunk[65536];
    while (!stop_) {
      int n = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 100);
      const Clock::time_point now = Clock::now();
      wall_us_ = std::chrono::duration_cast<std::chrono::microseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
      for (int i = 0; i < n; ++i) {
        Conn& c = conns_[events[i].data.u64];
        ssize_t got = ::recv(c.fd, chunk, sizeof chunk, 0);
        if (got <= 0) {
          if (!c.ended) {
            c.ended = true;
            ++ended_;
            ::epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
          }
          continue;
        }
        c.buffer.append(chunk, static_cast<size_t>(got));
        consume(c, now);
      }
    }
  }

  void consume(Conn& c, Clock::time_point now) {
    if (!c.head_done) {
      size_t end = c.buffer.find("\r\n\r\n");
      if (end == std::string::npos) {
        return;
      }
      c.status = std::atoi(c.buffer.c_str() + c.buffer.find(' ') + 1);
      c.head_done = true;
      c.buffer.erase(0, end + 4);
      if (c.status == 200) {
        ++open_;
      }
    }
    size_t start = 0;
    while (true) {
      size_t end = c.buffer.find("\n\n", start);
      if (end == std::string::npos) {
        break;
      }
      if (c.buffer.find("event: queue_item_added\n", start) < end) {
        ++c.queue_events;
        std::lock_guard<std::mutex> lock(mutex_);
        const size_t id_at = c.buffer.find("id: ", start);
        if (id_at < end) {
          const size_t id_end = c.buffer.find('\n', id_at);
          arrivals_[c.buffer.substr(id_at + 4, id_end - id_at - 4)].push_back(wall_us_);
        }
        if (c.queue_events <= sent_at_.size() && sent_at_[c.queue_events - 1] != Clock::time_point{}) {
          const size_t n = c.queue_events - 1;
          latencies_us_.push_back(
              std::chrono::duration_cast<std::chrono::microseconds>(now - sent_at_[n]).count());
          if (first_at_.size() <= n) {
            first_at_.resize(n + 1);
            last_at_.resize(n + 1);
          }
          if (first_at_[n] == Clock::time_point{}) {
            first_at_[n] = now;
          }
          last_at_[n] = now;
        }
      }
      ++c.frames;
      ++frames_;
      start = end + 2;
    }
    c.buffer.erase(0, start);
  }

  int epoll_ = -1;
  std::vector<Conn> conns_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> open_{0};
  std::atomic<uint64_t> frames_{0};
  std::atomic<uint64_t> ended_{0};
  std::mutex mutex_;
  std::vector<Clock::time_point> sent_at_;
  std::vector<Clock::time_point> first_at_;
  std::vector<Clock::time_point> last_at_;
  std::vector<int64_t> latencies_us_;
  int64_t wall_us_ = 0; // the loop's thread only
  std::unordered_map<std::string, std::vector<int64_t>> arrivals_;
};

void raiseFdLimit() {
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);
}

int run(const Options& o) {
  raiseFdLimit();
  testing::TempDir dir;
  const std::string key = randomAdminKey();
  std::string yaml =
      "server:\n  listen: 127.0.0.1:0\n  event_stream: {per_key_limit: 100000, max_streams: 100000}\n"
      "auth:\n  rate_limits: {read: 1000000, write: 1000000, control: 1000000}\n"
      "data_dir: " +
      dir.file("data") + "\nplugins:\n  search_path: [" + testing::pluginDir() +
      "]\n  load:\n    - name: storage.local\n    - name: auth.apikey\n    - name: printer.sim\n"
      "      instances:\n";
  for (int i = 1; i <= o.printers; ++i) {
    yaml += "        - {id: sim-" + std::to_string(i) + ", name: Sim " + std::to_string(i) +
            ", settings: {speed: 60, report_interval_ms: 1000}}\n";
  }
  testing::ServerProcess server(testing::serverBinary(), {"--config", dir.write("bambuddy.yaml", yaml)},
                                {{"BAMBUDDY_ADMIN_KEY", key}});
  if (!server.waitReady(30000)) {
    std::printf("the server did not start:\n%s\n", server.log().c_str());
    return 1;
  }
  const uint16_t port = server.port();
  auto call = [&](const std::string& method, const std::string& path, const std::string& body,
                  const std::string& type = "application/json") {
    return testing::httpRequest("127.0.0.1", port, method, path, body,
                                {{"X-API-Key", key}, {"Content-Type", type}}, 15000);
  };
  testing::HttpResult uploaded = call("POST", "/api/v1/archives?filename=bench.3mf",
                                      testing::sampleThreeMf("bench", 120, 3.0), "application/octet-stream");
  if (uploaded.status != 201) {
    std::printf("upload failed: %d %s\n", uploaded.status, uploaded.body.c_str());
    return 1;
  }
  const int64_t archive = json::parse(uploaded.body)["id"];

  const ProcSample idle = sampleProcess(server.pid());
  const Clock::time_point connecting = Clock::now();
  Clients clients(port, key, o.clients, o.status);
  while (clients.open() < static_cast<size_t>(o.clients) && secondsSince(connecting) < 60) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const double connect_s = secondsSince(connecting);
  std::this_thread::sleep_for(std::chrono::seconds(3)); // the first status round reaches everyone
  const ProcSample before = sampleProcess(server.pid());
  const auto threads_before = sampleThreads(server.pid());
  const uint64_t frames_before = clients.frames();
  const double client_cpu_before = selfCpuSeconds();
  const Clock::time_point started = Clock::now();

  uint64_t posts = 0;
  int failed_posts = 0;
  std::vector<int64_t> post_us;
  const auto interval = std::chrono::duration<double>(1.0 / o.posts_per_s);
  while (secondsSince(started) < o.duration_s) {
    const Clock::time_point due = started + std::chrono::duration_cast<Clock::duration>(interval * posts);
    std::this_thread::sleep_until(due);
    const Clock::time_point sent = Clock::now();
    clients.posted(posts + 1, sent);
    testing::HttpResult r = call("POST", "/api/v1/queue", json{{"archive_id", archive}}.dump());
    post_us.push_back(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sent).count());
    ++posts;
    failed_posts += r.status == 201 ? 0 : 1;
  }
  std::this_thread::sleep_for(std::chrono::seconds(2)); // the last events arrive
  const double window_s = secondsSince(started);
  const ProcSample after = sampleProcess(server.pid());
  const double client_cpu = selfCpuSeconds() - client_cpu_before;
  const auto threads_after = sampleThreads(server.pid());
  std::vector<int64_t> latencies = clients.latenciesUs();
  std::sort(latencies.begin(), latencies.end());
  std::vector<int64_t> to_first;
  std::vector<int64_t> spread;
  clients.spreads(to_first, spread);
  std::sort(to_first.begin(), to_first.end());
  std::sort(spread.begin(), spread.end());
  std::sort(post_us.begin(), post_us.end());
  // Event decided -> at a client. created_at_ms is whole milliseconds (truncated), so each figure
  // may be up to 1 ms too high, never too low.
  std::vector<int64_t> event_to_client;
  const auto decided = readJournal(dir.file("data/bambuddy.db"));
  size_t unmatched = 0;
  for (const auto& [id, arrivals] : clients.arrivalsByEventId()) {
    auto found = decided.find(id);
    if (found == decided.end() || found->second.type != "queue_item_added") {
      unmatched += arrivals.size();
      continue;
    }
    for (int64_t at_us : arrivals) {
      event_to_client.push_back(at_us - found->second.created_at_ms * 1000);
    }
  }
  std::sort(event_to_client.begin(), event_to_client.end());
  const uint64_t expected = posts * static_cast<uint64_t>(o.clients);

  std::printf("event stream benchmark: %d clients (status %s), %d printer.sim printers reporting every "
              "1 s, %.1f queue POSTs/s for %d s, %ld cores, %s build\n",
              o.clients, o.status ? "on" : "off", o.printers, o.posts_per_s, o.duration_s,
              sysconf(_SC_NPROCESSORS_ONLN), BENCH_BUILD_TYPE);
  if (std::string(BENCH_BUILD_TYPE) != "Release" || BENCH_SANITIZED) {
    std::printf("WARNING: not a Release build; the figures say little\n");
  }
  std::printf("  clients connected:          %zu of %d in %.2f s (ended early: %llu)\n", clients.open(),
              o.clients, connect_s, static_cast<unsigned long long>(clients.ended()));
  std::printf("  frames received:            %.0f per second (events and status)\n",
              static_cast<double>(clients.frames() - frames_before) / window_s);
  std::printf("  server CPU:                 %.1f %% of one core\n",
              100.0 * (after.cpu_s - before.cpu_s) / window_s);
  std::printf("  clients' CPU (this process): %.1f %% of one core\n", 100.0 * client_cpu / window_s);
  std::printf("  server threads:             %s\n",
              threadBreakdown(threads_before, threads_after, window_s).c_str());
  std::printf("  server RSS:                 %.1f MiB idle, %.1f MiB with the clients, %.1f MiB at the end "
              "(growth %.1f MiB; peak %.1f MiB)\n",
              idle.rss_kib / 1024.0, before.rss_kib / 1024.0, after.rss_kib / 1024.0,
              (after.rss_kib - before.rss_kib) / 1024.0, after.hwm_kib / 1024.0);
  std::printf("  POST -> event at a client:  p50 %.2f ms, p99 %.2f ms, max %.2f ms over %zu deliveries "
              "(%zu of %llu expected; %d POSTs failed)\n",
              percentileMs(latencies, 50), percentileMs(latencies, 99), percentileMs(latencies, 100),
              latencies.size(), latencies.size(), static_cast<unsigned long long>(expected), failed_posts);
  std::printf("  event -> client:            p50 %.2f ms, p99 %.2f ms, max %.2f ms over %zu deliveries "
              "(from the journal's created_at_ms, +0..1 ms; %zu arrivals without a journal entry)\n",
              percentileMs(event_to_client, 50), percentileMs(event_to_client, 99),
              percentileMs(event_to_client, 100), event_to_client.size(), unmatched);
  std::printf(
      "  of which:                   POST answered p50 %.2f / p99 %.2f ms; POST -> first client p50 %.2f / "
      "p99 %.2f ms; first -> last client (fan-out) p50 %.2f / p99 %.2f ms\n",
      percentileMs(post_us, 50), percentileMs(post_us, 99), percentileMs(to_first, 50),
      percentileMs(to_first, 99), percentileMs(spread, 50), percentileMs(spread, 99));
  // The server's own view of the part ahead of the stream (bambuddy_event_stream_delay_seconds).
  testing::HttpResult metrics = call("GET", "/api/v1/metrics", "");
  constexpr const char* kBucketPrefix = "bambuddy_event_stream_delay_seconds_bucket{le=\"";
  std::string shares;
  double count = 0;
  double sum = 0;
  for (size_t pos = 0; pos < metrics.body.size();) {
    size_t end = metrics.body.find('\n', pos);
    const std::string line =
        metrics.body.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    pos = end == std::string::npos ? metrics.body.size() : end + 1;
    const double value = std::atof(line.c_str() + line.rfind(' ') + 1);
    if (line.rfind("bambuddy_event_stream_delay_seconds_count", 0) == 0) {
      count = value;
    } else if (line.rfind("bambuddy_event_stream_delay_seconds_sum", 0) == 0) {
      sum = value;
    } else if (line.rfind(kBucketPrefix, 0) == 0) {
      const size_t from = std::strlen(kBucketPrefix);
      const std::string le = line.substr(from, line.find('"', from) - from);
      if (le == "0.005" || le == "0.01" || le == "0.025" || le == "0.05" || le == "0.1") {
        shares +=
            " <=" + le + " s: " + std::to_string(value).substr(0, std::to_string(value).find('.')) + ";";
      }
    }
  }
  std::printf(
      "  event decided -> received by the stream (server's histogram): %.0f events, mean %.2f ms;%s\n", count,
      count > 0 ? 1000.0 * sum / count : 0.0, shares.c_str());
  // ... and where that time went, stage by stage (bambuddy_journal_stage_seconds: mean per stage).
  std::map<std::string, std::pair<double, double>> stages; // stage -> (sum, count)
  for (size_t pos = 0; pos < metrics.body.size();) {
    size_t end = metrics.body.find('\n', pos);
    const std::string line =
        metrics.body.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    pos = end == std::string::npos ? metrics.body.size() : end + 1;
    for (const bool is_sum : {true, false}) {
      const std::string prefix =
          std::string("bambuddy_journal_stage_seconds") + (is_sum ? "_sum{stage=\"" : "_count{stage=\"");
      if (line.rfind(prefix, 0) == 0) {
        const std::string stage = line.substr(prefix.size(), line.find('"', prefix.size()) - prefix.size());
        const double value = std::atof(line.c_str() + line.rfind(' ') + 1);
        (is_sum ? stages[stage].first : stages[stage].second) = value;
      }
    }
  }
  std::string by_stage;
  for (const auto& [stage, sc] : stages) {
    char item[96];
    std::snprintf(item, sizeof item, " %s %.2f ms;", stage.c_str(),
                  sc.second > 0 ? 1000.0 * sc.first / sc.second : 0.0);
    by_stage += item;
  }
  std::printf("  journal stages, mean per entry:%s\n", by_stage.c_str());
  printLogProblems(server.log(), 10, "  log: ");
  server.stop();
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  auto options = parseOrUsage(parseArgs, argc, argv, "stream_bench",
                              "usage: stream_bench [--clients 1000] [--printers 10] [--duration-s 60] "
                              "[--posts-per-s 2] [--no-status]\n");
  if (!options) {
    return 2;
  }
  try {
    return run(*options);
  } catch (const std::exception& e) {
    std::printf("stream_bench failed: %s\n", e.what());
    return 1;
  }
}
