// Commands: which are accepted when, their wire format, and the driver's answers while offline.
#include "bambu_test_util.h"

#include "command_rules.h"

namespace bambuddy::printer_bambu::test {
namespace {

sdk::Error errorOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const sdk::Error& e) {
    return e;
  }
  ADD_FAILURE() << "no sdk::Error thrown";
  return sdk::Error(BB_OK, "", "");
}

TEST(BambuCommands, ParsesTheThreeActions) {
  EXPECT_EQ(parseCommand(R"({"action":"pause"})"), PrintAction::Pause);
  EXPECT_EQ(parseCommand(R"({"action":"resume"})"), PrintAction::Resume);
  EXPECT_EQ(parseCommand(R"({"action":"stop","extra":1})"), PrintAction::Stop);
}

TEST(BambuCommands, StartPrintAndUnknownActionsAreUnsupported) {
  sdk::Error start = errorOf([] {
    parseCommand(
        R"({"action":"start_print","archive_id":3,"filename":"benchy.3mf","estimated_time_s":3600})");
  });
  EXPECT_EQ(start.code(), BB_ERR_UNSUPPORTED);
  EXPECT_EQ(start.reason(), "unsupported_action");
  EXPECT_NE(std::string(start.what()).find("file"), std::string::npos) << start.what();
  EXPECT_NE(std::string(start.what()).find("transfer"), std::string::npos) << start.what();
  for (const char* text : {R"({"action":"explode"})", R"({"action":"PAUSE"})", R"({"action":""})"}) {
    sdk::Error e = errorOf([&] { parseCommand(text); });
    EXPECT_EQ(e.code(), BB_ERR_UNSUPPORTED) << text;
    EXPECT_NE(std::string(e.what()).find("pause, resume, stop"), std::string::npos);
  }
}

TEST(BambuCommands, MalformedCommandsAreInvalid) {
  for (const char* text :
       {"", "nope", "[]", "{}", R"({"action":5})", R"({"cmd":"pause"})", R"({"action":null})"}) {
    EXPECT_EQ(errorOf([&] { parseCommand(text); }).code(), BB_ERR_INVALID_ARGUMENT) << text;
  }
}

TEST(BambuCommands, StatesThatAllowEachAction) {
  const std::vector<Activity> all = {Activity::Unknown,  Activity::Idle,   Activity::Preparing,
                                     Activity::Printing, Activity::Paused, Activity::Finished,
                                     Activity::Failed};
  auto allowed = [](PrintAction action, Activity a) {
    try {
      checkCommandAllowed(action, a);
      return true;
    } catch (const sdk::Error& e) {
      EXPECT_EQ(e.code(), BB_ERR_CONFLICT);
      EXPECT_EQ(e.reason(), "invalid_state");
      return false;
    }
  };
  for (Activity a : all) {
    EXPECT_EQ(allowed(PrintAction::Pause, a), a == Activity::Printing || a == Activity::Preparing);
    EXPECT_EQ(allowed(PrintAction::Resume, a), a == Activity::Paused);
    EXPECT_EQ(allowed(PrintAction::Stop, a),
              a == Activity::Printing || a == Activity::Preparing || a == Activity::Paused);
  }
  sdk::Error e = errorOf([] { checkCommandAllowed(PrintAction::Resume, Activity::Printing); });
  EXPECT_STREQ(e.what(), "cannot resume a printer that is printing (needs paused)");
}

TEST(BambuCommands, WireFormatMatchesTheProtocolDocumentation) {
  // The documented requests, with the sequence id we send.
  auto expected = [](const std::string& name, const std::string& seq) {
    json doc = json::parse(fixture(name));
    doc.begin().value()["sequence_id"] = seq;
    return doc;
  };
  EXPECT_EQ(json::parse(printCommandPayload(PrintAction::Pause, 7)), expected("request-pause.json", "7"));
  EXPECT_EQ(json::parse(printCommandPayload(PrintAction::Resume, 8)), expected("request-resume.json", "8"));
  EXPECT_EQ(json::parse(printCommandPayload(PrintAction::Stop, 9)), expected("request-stop.json", "9"));
  EXPECT_EQ(json::parse(getVersionPayload(2)), expected("request-get-version.json", "2"));
  // pushall: the documented fields bambuddy and ha-bambulab send (no version/push_target).
  EXPECT_EQ(json::parse(pushAllPayload(1)),
            json({{"pushing", {{"command", "pushall"}, {"sequence_id", "1"}}}}));
}

TEST(BambuCommands, Capabilities) {
  json caps = json::parse(capabilitiesJson());
  EXPECT_EQ(caps["pause"], true);
  EXPECT_EQ(caps["resume"], true);
  EXPECT_EQ(caps["stop"], true);
  EXPECT_EQ(caps["start_print"], false);
  EXPECT_NE(caps["reason_start_print"].get<std::string>().find("file"), std::string::npos);
  EXPECT_EQ(caps.size(), 5u);
}

class BambuDriverOps : public ::testing::Test {
protected:
  int32_t command(const std::string& text, bb_error& err, std::string& out) {
    err = sdk::detail::makeError();
    return ops()->command(instance_->self(), text.data(), text.size(), &sdk::detail::appendToString, &out,
                          &err);
  }
  const bb_printer_driver_ops* ops() const { return instance_->ops<bb_printer_driver_ops>(); }

  testing::FakeHost host_;
  // Nothing listens on port 1 of the loopback: the driver stays offline.
  std::unique_ptr<testing::FakeHost::Instance> instance_ = host_.create(
      descriptor(), R"({"reconnect_min_ms":10000,"reconnect_max_ms":10000})",
      R"({"host":"127.0.0.1","port":1,"serial":"01S00C000000001","access_code":"abcd1234"})", "ops");
};

TEST_F(BambuDriverOps, CommandsWhileNotConnectedAreUnavailable) {
  bb_error err;
  std::string out;
  for (const char* action : {R"({"action":"pause"})", R"({"action":"resume"})", R"({"action":"stop"})"}) {
    EXPECT_EQ(command(action, err, out), BB_ERR_UNAVAILABLE) << action; // not even started
    EXPECT_STREQ(err.reason, "printer_offline");
  }
  host_.call(ops()->start, instance_->self());
  ASSERT_TRUE(host_.waitForStatusReports(1, 5000));
  EXPECT_EQ(command(R"({"action":"pause"})", err, out), BB_ERR_UNAVAILABLE);
  EXPECT_STREQ(err.reason, "printer_offline");
  EXPECT_NE(std::string(err.message).find("Connection refused"), std::string::npos) << err.message;
  EXPECT_TRUE(out.empty());
  host_.call(ops()->stop, instance_->self());
}

TEST_F(BambuDriverOps, UnsupportedAndInvalidWinOverOffline) {
  bb_error err;
  std::string out;
  EXPECT_EQ(command(R"({"action":"start_print","archive_id":1,"filename":"a.3mf"})", err, out),
            BB_ERR_UNSUPPORTED);
  EXPECT_NE(std::string(err.message).find("file"), std::string::npos);
  EXPECT_EQ(command(R"({"action":"dance"})", err, out), BB_ERR_UNSUPPORTED);
  EXPECT_EQ(command("not json", err, out), BB_ERR_INVALID_ARGUMENT);
}

TEST_F(BambuDriverOps, CapabilitiesOp) {
  std::string out;
  bb_error err = sdk::detail::makeError();
  ASSERT_EQ(ops()->capabilities(instance_->self(), &sdk::detail::appendToString, &out, &err), BB_OK);
  EXPECT_EQ(json::parse(out), json::parse(capabilitiesJson()));
}

} // namespace
} // namespace bambuddy::printer_bambu::test
