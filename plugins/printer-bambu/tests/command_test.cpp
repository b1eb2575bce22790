// Commands: which are accepted when, their wire format, and the driver's answers while offline.
#include "bambu_test_util.h"

#include "command_rules.h"

namespace bambuddy::printer_bambu::test {
namespace command_test {

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

TEST(BambuCommands, StartPrintIsAnActionAndUnknownActionsAreUnsupported) {
  EXPECT_EQ(parseCommand(R"({"action":"start_print","archive_id":3,"filename":"benchy.3mf"})"),
            PrintAction::StartPrint);
  for (const char* text : {R"({"action":"explode"})", R"({"action":"PAUSE"})", R"({"action":""})"}) {
    sdk::Error e = errorOf([&] { parseCommand(text); });
    EXPECT_EQ(e.code(), BB_ERR_UNSUPPORTED) << text;
    EXPECT_NE(std::string(e.what()).find("pause, resume, stop, start_print"), std::string::npos);
  }
  // Control characters in an unknown action never reach the message (or the log) raw.
  sdk::Error e = errorOf([] { parseCommand("{\"action\":\"a\\nb\"}"); });
  EXPECT_NE(std::string(e.what()).find("'a?b'"), std::string::npos) << e.what();
}

TEST(BambuCommands, CommandsAreSizeAndDepthLimited) {
  std::string deep = std::string(40, '[') + std::string(40, ']');
  EXPECT_EQ(errorOf([&] { parseCommand(R"({"action":"pause","x":)" + deep + "}"); }).code(),
            BB_ERR_INVALID_ARGUMENT);
  std::string big = R"({"action":"pause","x":")" + std::string(70000, 'a') + R"("})";
  EXPECT_EQ(errorOf([&] { parseCommand(big); }).code(), BB_ERR_INVALID_ARGUMENT);
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
    bool start_ok = true;
    try {
      checkCommandAllowed(PrintAction::StartPrint, a);
    } catch (const sdk::Error& e) {
      start_ok = false;
      EXPECT_EQ(e.code(), BB_ERR_CONFLICT);
      EXPECT_EQ(e.reason(), "printer_busy");
    }
    EXPECT_EQ(start_ok, a == Activity::Idle || a == Activity::Finished || a == Activity::Failed);
    EXPECT_EQ(allowed(PrintAction::Pause, a), a == Activity::Printing || a == Activity::Preparing);
    EXPECT_EQ(allowed(PrintAction::Resume, a), a == Activity::Paused);
    EXPECT_EQ(allowed(PrintAction::Stop, a),
              a == Activity::Printing || a == Activity::Preparing || a == Activity::Paused);
  }
  sdk::Error e = errorOf([] { checkCommandAllowed(PrintAction::Resume, Activity::Printing); });
  EXPECT_STREQ(e.what(), "cannot resume a printer that is printing (needs paused)");
  sdk::Error busy = errorOf([] { checkCommandAllowed(PrintAction::StartPrint, Activity::Printing); });
  EXPECT_STREQ(busy.what(),
               "cannot start a print on a printer that is printing (needs idle, finished or failed)");
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
  EXPECT_EQ(caps["start_print"], true);
  EXPECT_FALSE(caps.contains("reason_start_print"));
  EXPECT_EQ(caps["fetch_print_file"], true);
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
  // A valid start_print needs the connection too; the file is opened and closed again.
  const std::string start =
      json({{"action", "start_print"},
            {"archive_id", 1},
            {"filename", "a.3mf"},
            {"file", {{"path", "/proc/self/exe"}, {"size", 1}, {"sha256", std::string(64, 'a')}}}})
          .dump();
  EXPECT_EQ(command(start, err, out), BB_ERR_INVALID_ARGUMENT); // size differs from the file's
  EXPECT_STREQ(err.reason, "file_unreadable");
  EXPECT_NE(std::string(err.message).find("file.size says 1"), std::string::npos) << err.message;
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
  // A bad start_print is refused for what is wrong with it, before the connection is looked at.
  EXPECT_EQ(command(R"({"action":"start_print","archive_id":1,"filename":"a.3mf"})", err, out),
            BB_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(err.message).find("file is required"), std::string::npos) << err.message;
  EXPECT_EQ(command(R"({"action":"dance"})", err, out), BB_ERR_UNSUPPORTED);
  EXPECT_EQ(command("not json", err, out), BB_ERR_INVALID_ARGUMENT);
}

TEST_F(BambuDriverOps, CapabilitiesOp) {
  std::string out;
  bb_error err = sdk::detail::makeError();
  ASSERT_EQ(ops()->capabilities(instance_->self(), &sdk::detail::appendToString, &out, &err), BB_OK);
  EXPECT_EQ(json::parse(out), json::parse(capabilitiesJson()));
}

} // namespace command_test
} // namespace bambuddy::printer_bambu::test
