// Real core services for fuzz targets that go through a service or a REST route: a temp directory
// (removed at exit), a silent logger, a migrated SQLite database, the kv store, a running event bus
// and an empty plugin host. One per process, built on the first input and kept, like the server.
#pragma once

#include "bus/event_bus.h"
#include "common/logger.h"
#include "http/router.h"
#include "journal/event_journal.h"
#include "plugins/plugin_host.h"
#include "storage/database.h"
#include "storage/kv_store.h"
#include "storage/migrations.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

namespace bambuddy::fuzz {

inline int64_t wallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class TempDirectory {
public:
  TempDirectory() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/bambuddy-fuzz-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed for " + pattern);
    }
    path_ = pattern;
  }
  ~TempDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDirectory(const TempDirectory&) = delete;
  TempDirectory& operator=(const TempDirectory&) = delete;
  const std::string& path() const { return path_; }

private:
  std::string path_;
};

class FuzzCore {
public:
  FuzzCore()
      : null_sink_(std::fopen("/dev/null", "w")), logger_(LogLevel::Error, null_sink_),
        database_(makeOptions(dir_.path()), logger_), kv_(database_), journal_(database_),
        bus_(logger_, 10000),
        plugins_(plugins::HostServices{logger_, bus_, kv_, dir_.path(), wallClockMs, &router_}) {
    storage::migrate(database_, storage::coreMigrations(), logger_);
    bus_.start();
  }
  ~FuzzCore() {
    bus_.stop();
    std::fclose(null_sink_);
  }
  FuzzCore(const FuzzCore&) = delete;
  FuzzCore& operator=(const FuzzCore&) = delete;

  const std::string& dir() const { return dir_.path(); }
  Logger& logger() { return logger_; }
  storage::Database& database() { return database_; }
  storage::KvStore& kv() { return kv_; }
  bus::EventBus& bus() { return bus_; }
  journal::EventJournal& journal() { return journal_; }
  plugins::PluginHost& plugins() { return plugins_; }
  http::Router& router() { return router_; }

private:
  static storage::DatabaseOptions makeOptions(const std::string& dir) {
    storage::DatabaseOptions options;
    options.path = dir + "/fuzz.db";
    options.pool_size = 2;
    return options;
  }

  TempDirectory dir_;
  std::FILE* null_sink_;
  Logger logger_;
  storage::Database database_;
  storage::KvStore kv_;
  journal::EventJournal journal_;
  bus::EventBus bus_;
  http::Router router_;
  plugins::PluginHost plugins_;
};

// Routes `method path` the way the server does and serves `body` (body check, then handler). A handler that
// lets an exception out would be a 500 for client input: that is a finding, so it aborts.
inline http::Response callRoute(const http::Router& router, http::Method method, const std::string& path,
                                std::string body) {
  http::Router::Match match = router.match(method, path);
  if (match.route == nullptr) {
    std::fprintf(stderr, "fuzz harness: no route for %s\n", path.c_str());
    std::abort();
  }
  http::Request request;
  request.method = method;
  request.path = path;
  request.params = std::move(match.params);
  request.body = std::move(body);
  request.client_ip = "127.0.0.1";
  try {
    return http::serve(*match.route, request);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz harness: %s let an exception out (a 500): %s\n", path.c_str(), e.what());
    std::abort();
  }
}

} // namespace bambuddy::fuzz
