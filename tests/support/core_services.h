// Real core services over a temp directory for tests of code that needs them (plugin host, host
// API): a logger writing to a file the test can read, a migrated SQLite database, the kv store and
// a running event bus. Header-only; include it only from tests that link bambuddy_plugins.
#pragma once

#include "bus/event_bus.h"
#include "common/logger.h"
#include "storage/database.h"
#include "storage/kv_store.h"
#include "storage/migrations.h"
#include "support/temp_dir.h"

#include <cstdio>
#include <memory>
#include <string>

namespace bambuddy::testing {

class CoreServices {
public:
  explicit CoreServices(size_t bus_capacity = 1000) {
    log_path_ = dir_.file("host.log");
    log_file_ = std::fopen(log_path_.c_str(), "w+");
    logger_ = std::make_unique<Logger>(LogLevel::Debug, log_file_);
    storage::DatabaseOptions options;
    options.path = dir_.file("test.db");
    database_ = std::make_unique<storage::Database>(options, *logger_);
    storage::migrate(*database_, storage::coreMigrations(), *logger_);
    kv_ = std::make_unique<storage::KvStore>(*database_);
    bus_ = std::make_unique<bus::EventBus>(*logger_, bus_capacity);
    bus_->start();
  }
  ~CoreServices() {
    bus_->stop();
    std::fclose(log_file_);
  }
  CoreServices(const CoreServices&) = delete;
  CoreServices& operator=(const CoreServices&) = delete;

  const TempDir& dir() const { return dir_; }
  Logger& logger() { return *logger_; }
  storage::KvStore& kv() { return *kv_; }
  storage::Database& database() { return *database_; }
  bus::EventBus& bus() { return *bus_; }

  // Everything logged so far.
  std::string log() {
    std::fflush(log_file_);
    return readFile(log_path_);
  }

private:
  TempDir dir_;
  std::string log_path_;
  std::FILE* log_file_ = nullptr;
  std::unique_ptr<Logger> logger_;
  std::unique_ptr<storage::Database> database_;
  std::unique_ptr<storage::KvStore> kv_;
  std::unique_ptr<bus::EventBus> bus_;
};

} // namespace bambuddy::testing
