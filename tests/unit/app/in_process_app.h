// Fixtures of the app tests that run a fully started server: an App in this process on loopback
// port 0, its data in a temp dir, with the core, storage.local and auth.apikey.
#pragma once

#include "app/app.h"
#include "common/logger.h"
#include "config/core_config.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

namespace bambuddy::app {

class InProcessAppTest : public ::testing::Test {
protected:
  // `server_keys` go under server: (each line indented two spaces), `sections` at the top level.
  void startApp(const std::string& server_keys, const std::string& sections, LogLevel level) {
    std::string yaml = "server:\n  listen: 127.0.0.1:0\n" + server_keys + sections +
                       "data_dir: " + dir_.file("data") + "\nplugins:\n  search_path: [" +
                       testing::pluginDir() +
                       "]\n  load:\n    - name: storage.local\n    - name: auth.apikey\n";
    config::Environment env;
    config_ = config::parseCoreConfig(yaml, dir_.file("bambuddy.yaml"), env);
    log_ = std::fopen(dir_.file("log").c_str(), "w");
    logger_ = std::make_unique<Logger>(level, log_);
    app_ = std::make_unique<App>(config_, *logger_);
    app_->start();
  }
  void TearDown() override {
    if (app_) {
      app_->stop();
    }
    if (log_ != nullptr) {
      std::fclose(log_);
    }
  }

  testing::TempDir dir_;
  config::CoreConfig config_;
  std::FILE* log_ = nullptr;
  std::unique_ptr<Logger> logger_;
  std::unique_ptr<App> app_;
};

// A fixed key with 256 bits of entropy (the server refuses a weak BAMBUDDY_ADMIN_KEY).
inline const std::string kAdminKey = "bb_lWqNjYSE_AlFd9vMZpXWdlYNV2YY8Fcu3YYDHEHKmbU";

// The server with kAdminKey as its admin key, for the tests that walk the API. The admission
// failure limit is raised so that their many refused requests are not throttled.
class ApiKeyAppTest : public InProcessAppTest {
protected:
  void SetUp() override {
    setenv("BAMBUDDY_ADMIN_KEY", kAdminKey.c_str(), 1);
    startApp("", "auth:\n  failed_auth_per_minute: 100000\n", LogLevel::Warn);
  }
  void TearDown() override {
    InProcessAppTest::TearDown();
    unsetenv("BAMBUDDY_ADMIN_KEY");
  }
};

} // namespace bambuddy::app
