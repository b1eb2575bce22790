// printer_command (ABI 0.5): only pause/resume/stop pass, the core's errors keep their meaning as
// ABI codes, every call is logged, and a host without printers says so.
#include "common/service_error.h"
#include "plugins/host_services.h"
#include "support/core_services.h"

#include <bambuddy/sdk.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

namespace bambuddy::plugins {
namespace host_printer_command_test {

void appendTo(void* user, const char* data, size_t len) {
  static_cast<std::string*>(user)->append(data, len);
}

class HostPrinterCommandTest : public ::testing::Test {
protected:
  HostPrinterCommandTest() {
    ctx_->services = &services_;
    ctx_->plugin_name = "notifier.mqtt";
    ctx_->instance_id = "ha";
    ctx_->kind = BB_KIND_NOTIFIER;
    ctx_->data_dir = core_.dir().path();
    ctx_->log_component = "plugin:notifier.mqtt/ha";
  }

  struct Call {
    int32_t rc = -1;
    std::string out;
    bb_error err{};
  };

  Call call(int64_t printer_id, const std::string& command) {
    Call c;
    c.err.struct_size = sizeof c.err;
    c.rc = hostApi()->printer_command(ctx_->handle(), printer_id, command.data(), command.size(), &appendTo,
                                      &c.out, &c.err);
    return c;
  }

  testing::CoreServices core_;
  HostServices services_{core_.logger(), core_.bus(), core_.kv(), core_.dir().path(),
                         [] { return int64_t{1705329000000}; }};
  std::shared_ptr<InstanceContext> ctx_ = std::make_shared<InstanceContext>();
  std::vector<std::pair<int64_t, nlohmann::json>> calls_;
};

TEST_F(HostPrinterCommandTest, PassesTheThreeActionsAndLogsEach) {
  ASSERT_NE(hostApi()->printer_command, nullptr);
  services_.printer_command = [&](int64_t id, const nlohmann::json& command) {
    calls_.emplace_back(id, command);
    return nlohmann::json{{"sent", command["action"]}};
  };
  for (const char* action : {"pause", "resume", "stop"}) {
    Call c = call(7, std::string("{\"action\":\"") + action + "\"}");
    EXPECT_EQ(c.rc, BB_OK) << c.err.message;
    EXPECT_EQ(nlohmann::json::parse(c.out), (nlohmann::json{{"sent", action}}));
  }
  ASSERT_EQ(calls_.size(), 3u);
  EXPECT_EQ(calls_[0].first, 7);
  EXPECT_EQ(calls_[2].second, (nlohmann::json{{"action", "stop"}}));
  EXPECT_NE(
      core_.log().find("[plugin:notifier.mqtt/ha] printer command from plugin instance notifier.mqtt/ha: "
                       "printer 7 pause"),
      std::string::npos)
      << core_.log();
}

TEST_F(HostPrinterCommandTest, RefusesEveryOtherCommand) {
  services_.printer_command = [&](int64_t id, const nlohmann::json& command) {
    calls_.emplace_back(id, command);
    return nlohmann::json::object();
  };
  for (const std::string& bad :
       {std::string(R"({"action":"start_print","archive_id":1})"), std::string(R"({"action":"start_print"})"),
        std::string(R"({"action":"pause","extra":1})"), std::string(R"({"action":5})"), std::string("[]"),
        std::string("not json"), std::string()}) {
    Call c = call(1, bad);
    EXPECT_EQ(c.rc, BB_ERR_INVALID_ARGUMENT) << bad;
    EXPECT_STREQ(c.err.reason, "invalid_command") << bad;
  }
  EXPECT_TRUE(calls_.empty());
}

TEST_F(HostPrinterCommandTest, MapsTheRegistrysErrors) {
  struct Case {
    ServiceError::Kind kind;
    int32_t code;
  };
  for (Case k : {Case{ServiceError::Kind::NotFound, BB_ERR_NOT_FOUND},
                 Case{ServiceError::Kind::Conflict, BB_ERR_CONFLICT},
                 Case{ServiceError::Kind::Unsupported, BB_ERR_UNSUPPORTED},
                 Case{ServiceError::Kind::Unavailable, BB_ERR_UNAVAILABLE},
                 Case{ServiceError::Kind::Invalid, BB_ERR_INVALID_ARGUMENT}}) {
    services_.printer_command = [&](int64_t, const nlohmann::json&) -> nlohmann::json {
      throw ServiceError(k.kind, "state_conflict", "printer 3 is idle");
    };
    Call c = call(3, R"({"action":"pause"})");
    EXPECT_EQ(c.rc, k.code);
    EXPECT_STREQ(c.err.reason, "state_conflict");
    EXPECT_STREQ(c.err.message, "printer 3 is idle");
  }
}

TEST_F(HostPrinterCommandTest, HostWithoutPrintersIsUnsupported) {
  Call c = call(1, R"({"action":"pause"})");
  EXPECT_EQ(c.rc, BB_ERR_UNSUPPORTED);
  EXPECT_STREQ(c.err.reason, "no_printers");
}

// The SDK's wrapper calls only hosts that have the function: abi_minor 5 or later and a table
// long enough to hold it.
TEST_F(HostPrinterCommandTest, SdkWrapperChecksTheHostsVersion) {
  services_.printer_command = [&](int64_t id, const nlohmann::json& command) {
    calls_.emplace_back(id, command);
    return nlohmann::json{{"ok", true}};
  };
  sdk::Host current(hostApi(), ctx_->handle());
  EXPECT_EQ(nlohmann::json::parse(current.printerCommand(4, "resume")), (nlohmann::json{{"ok", true}}));
  ASSERT_EQ(calls_.size(), 1u);
  EXPECT_EQ(calls_[0].second, (nlohmann::json{{"action", "resume"}}));
  try {
    current.printerCommand(4, "start_print");
    ADD_FAILURE() << "start_print passed";
  } catch (const sdk::Error& e) {
    EXPECT_EQ(e.code(), BB_ERR_INVALID_ARGUMENT);
  }

  bb_host_api older = *hostApi();
  older.abi_minor = 4;
  bb_host_api shorter = *hostApi();
  shorter.struct_size = static_cast<uint32_t>(offsetof(bb_host_api, printer_command));
  for (const bb_host_api* api : {&older, &shorter}) {
    sdk::Host host(api, ctx_->handle());
    try {
      host.printerCommand(4, "pause");
      ADD_FAILURE() << "called a host without printer_command";
    } catch (const sdk::Error& e) {
      EXPECT_EQ(e.code(), BB_ERR_UNSUPPORTED);
    }
  }
  EXPECT_EQ(calls_.size(), 1u);
}

} // namespace host_printer_command_test
} // namespace bambuddy::plugins
