// Printer commands relayed between server instances (cluster/command_relay.h), on SQLite and on a
// real PostgreSQL 15: a request asked of an instance that does not connect the printer is run once
// by the one that does and its answer returned as it is; a request nobody takes is withdrawn and
// answered 503.
#include "cluster/command_relay.h"

#include "backend_database.h"
#include "common/logger.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace bambuddy::cluster {
namespace command_relay_test {

class CommandRelayTest : public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    std::string problem;
    ASSERT_TRUE(backend_.open(GetParam(), "relay", logger_, problem)) << problem;
    storage::Database& db = *backend_.db;
    // a connects printer 1; b connects nothing.
    holder_ = std::make_unique<CommandRelay>(
        db, logger_, "a",
        [this](int64_t printer, const std::string& kind, const nlohmann::json& request) {
          if (kind == "slow") {
            // A printer that takes its time: held until the test lets it go.
            std::unique_lock<std::mutex> lock(mutex_);
            gate_cv_.wait(lock, [this] { return gate_open_; });
          }
          std::lock_guard<std::mutex> lock(mutex_);
          ran_.push_back(kind + " " + std::to_string(printer) + " " + request.dump());
          if (kind == "resume") {
            return CommandRelay::Answer{409, R"({"detail":"not paused","code":"state_conflict"})"};
          }
          return CommandRelay::Answer{200, R"({"accepted":true})"};
        },
        [](int64_t printer) { return printer == 1; });
    asker_ = std::make_unique<CommandRelay>(
        db, logger_, "b",
        [](int64_t, const std::string&, const nlohmann::json&) { return CommandRelay::Answer{}; },
        [](int64_t) { return false; });
    // What the change feed does between instances.
    holder_->setPublisher([this](const std::string& topic) {
      if (topic == CommandRelay::kAnswersTopic) {
        asker_->answered();
      }
    });
    asker_->setPublisher([this](const std::string& topic) {
      if (topic == CommandRelay::kRequestsTopic) {
        holder_->requested();
      }
    });
    holder_->start();
    asker_->start();
  }

  void TearDown() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      gate_open_ = true; // nothing stays held when a test ends early
    }
    gate_cv_.notify_all();
  }

  std::FILE* log_file_ = std::tmpfile();
  Logger logger_{LogLevel::Warn, log_file_};
  test::BackendDatabase backend_;
  std::mutex mutex_;
  std::condition_variable gate_cv_;
  bool gate_open_ = false;
  std::vector<std::string> ran_;
  std::unique_ptr<CommandRelay> holder_;
  std::unique_ptr<CommandRelay> asker_;
};

TEST_P(CommandRelayTest, TheInstanceConnectedToThePrinterRunsTheRequestOnceAndItsAnswerComesBack) {
  CommandRelay::Answer paused = asker_->send(1, "pause", {{"printers", nullptr}}, 10000);
  EXPECT_EQ(paused.status, 200);
  EXPECT_EQ(paused.body, R"({"accepted":true})");
  CommandRelay::Answer refused = asker_->send(1, "resume", {{"printers", {1, 2}}}, 10000);
  EXPECT_EQ(refused.status, 409) << "an error answer comes back as it is";
  EXPECT_EQ(refused.body, R"({"detail":"not paused","code":"state_conflict"})");
  std::lock_guard<std::mutex> lock(mutex_);
  EXPECT_EQ(ran_,
            (std::vector<std::string>{R"(pause 1 {"printers":null})", R"(resume 1 {"printers":[1,2]})"}));
  long long left = -1;
  backend_.db->read(
      [&](soci::session& session) { session << "SELECT COUNT(*) FROM printer_commands", soci::into(left); });
  EXPECT_EQ(left, 0) << "answered rows are removed";
}

TEST_P(CommandRelayTest, ARequestNobodyTakesIsWithdrawnAndAnswered503) {
  CommandRelay::Answer answer = asker_->send(2, "stop", {{"printers", nullptr}}, 600);
  EXPECT_EQ(answer.status, 503);
  EXPECT_NE(answer.body.find("printer_elsewhere"), std::string::npos) << answer.body;
  holder_->runPending();
  std::lock_guard<std::mutex> lock(mutex_);
  EXPECT_TRUE(ran_.empty()) << "withdrawn: never run later";
}

TEST_P(CommandRelayTest, ASlowCommandDoesNotHoldUpAnother) {
  CommandRelay::Answer slow;
  std::thread first([&] { slow = asker_->send(1, "slow", {{"printers", nullptr}}, 10000); });
  CommandRelay::Answer paused = asker_->send(1, "pause", {{"printers", nullptr}}, 10000);
  EXPECT_EQ(paused.status, 200) << "answered while the slow one still runs";
  {
    std::lock_guard<std::mutex> lock(mutex_);
    EXPECT_EQ(ran_, std::vector<std::string>{R"(pause 1 {"printers":null})"});
    gate_open_ = true;
  }
  gate_cv_.notify_all();
  first.join();
  EXPECT_EQ(slow.status, 200);
}

INSTANTIATE_TEST_SUITE_P(Backends, CommandRelayTest, ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

} // namespace command_relay_test
} // namespace bambuddy::cluster
