// POST /api/v1/sim/<instance id>/actions through FakeHost::callRoute, as the server would call it.
#include "sim_test_util.h"

namespace bambuddy::printer_sim::test {
namespace route_test {

class SimRoute : public SimTest {
protected:
  struct Answer {
    int status = 0;
    json body;
  };
  Answer post(const std::string& id, const std::string& body,
              const sdk::Principal& principal = bambuddy::testing::FakeHost::adminPrincipal()) {
    auto r = host_.callRoute("POST", "/api/v1/sim/" + id + "/actions", body, principal);
    return {r.status, r.body.empty() ? json() : json::parse(r.body, nullptr, false)};
  }
};

TEST_F(SimRoute, OneRoutePerInstance) {
  create(fastSettings(), "sim1");
  auto second = host_.create(descriptor(), "{}", fastSettings().dump(), "Shop_Printer-2");
  auto routes = host_.routes();
  EXPECT_EQ(routes, (std::vector<std::string>{"POST /api/v1/sim/sim1/actions",
                                              "POST /api/v1/sim/Shop_Printer-2/actions"}));
}

TEST_F(SimRoute, DrivesThePrinter) {
  create(fastSettings({{"speed", 600}}));
  start();
  Answer a = post("sim1", R"({"action":"start_print","filename":"route.3mf","estimated_time_s":6000})");
  ASSERT_EQ(a.status, 200) << a.body.dump();
  std::string job = a.body["job_id"];
  EXPECT_FALSE(job.empty());
  auto printing = waitForState("printing");
  ASSERT_TRUE(printing);
  EXPECT_EQ((*printing)["current_print"]["job_id"], job);
  EXPECT_EQ((*printing)["current_print"]["filename"], "route.3mf");

  a = post(
      "sim1",
      R"({"action":"sim_hms","code":"0300_4000_0002_0001","severity":"serious","module":"mc","message":"hot"})");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body["active_errors"], 1);
  a = post("sim1", R"({"action":"sim_fail"})");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, (json{{"state", "failed"}}));
  auto failed = waitForState("failed");
  ASSERT_TRUE(failed);
  EXPECT_EQ((*failed)["end_reason"], "error");
  EXPECT_EQ((*failed)["errors"].size(), 1u);
}

TEST_F(SimRoute, ErrorsMapToStatuses) {
  create(fastSettings({{"speed", 600}}));
  start();
  Answer a = post("sim1", R"({"action":"pause"})");
  EXPECT_EQ(a.status, 409);
  EXPECT_EQ(a.body["code"], "state_conflict");
  EXPECT_NE(a.body["detail"].get<std::string>().find("the printer is idle"), std::string::npos)
      << a.body.dump();
  a = post("sim1", "");
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.body["code"], "invalid_command");
  a = post("sim1", R"({"action":"fly"})");
  EXPECT_EQ(a.status, 422);
  EXPECT_EQ(a.body["code"], "unsupported_action");
  EXPECT_EQ(post("sim1", R"({"action":"sim_offline"})").status, 200);
  a = post("sim1", R"({"action":"start_print","filename":"x.3mf"})");
  EXPECT_EQ(a.status, 503);
  EXPECT_EQ(a.body["code"], "not_connected");
  EXPECT_EQ(post("sim1", R"({"action":"sim_online"})").body, (json{{"state", "idle"}}));
  stop();
  a = post("sim1", R"({"action":"sim_online"})");
  EXPECT_EQ(a.status, 503);
  EXPECT_EQ(a.body["code"], "not_started");
}

TEST_F(SimRoute, NeedsAdmin) {
  create();
  start();
  sdk::Principal controller;
  controller.id = "key:7";
  controller.permissions = BB_PERM_PRINTERS_CONTROL | BB_PERM_PRINTERS_READ;
  ASSERT_TRUE(waitForState("idle"));
  EXPECT_EQ(post("sim1", R"({"action":"sim_offline"})", controller).status, 403);
  EXPECT_EQ(reports().back()["connected"], true) << "a refused call changed the printer";
}

TEST_F(SimRoute, LogsTheCaller) {
  create();
  start();
  sdk::Principal admin = bambuddy::testing::FakeHost::adminPrincipal();
  admin.id = "key:42";
  EXPECT_EQ(post("sim1", R"({"action":"sim_clear_errors"})", admin).status, 200);
  EXPECT_TRUE(host_.logged("sim_clear_errors from POST /api/v1/sim/.../actions by key:42"));
}

TEST_F(SimRoute, IdThatCannotBeASegmentGetsNoRoute) {
  create(fastSettings(), "printer.one");
  EXPECT_TRUE(host_.routes().empty());
  bool warned = false;
  for (const auto& line : host_.logs()) {
    if (line.level == BB_LOG_WARN && line.message.find("'printer.one'") != std::string::npos) {
      warned = true;
    }
  }
  EXPECT_TRUE(warned);
  // The driver itself works without its route.
  start();
  EXPECT_FALSE(startPrint("a.3mf", 60).empty());
}

TEST_F(SimRoute, TakenRouteIsLoggedAndTheInstanceStillWorks) {
  create(fastSettings(), "dup");
  // A second live instance under the same id stands in for the server's destroy-and-recreate,
  // where the old route is still registered.
  auto again = host_.create(descriptor(), "{}", fastSettings().dump(), "dup");
  bool informed = false;
  for (const auto& line : host_.logs()) {
    if (line.level == BB_LOG_INFO && line.message.find("already registered") != std::string::npos) {
      informed = true;
    }
  }
  EXPECT_TRUE(informed);
  EXPECT_EQ(host_.routes().size(), 1u);
  host_.call(again->ops<bb_printer_driver_ops>()->start, again->self());
  host_.call(again->ops<bb_printer_driver_ops>()->stop, again->self());
}

TEST_F(SimRoute, RouteGoesAwayWithTheInstanceAndComesBack) {
  create(fastSettings(), "sim1");
  instance_.reset();
  EXPECT_TRUE(host_.routes().empty());
  create(fastSettings(), "sim1");
  start();
  EXPECT_EQ(post("sim1", R"({"action":"sim_offline"})").status, 200);
}

} // namespace route_test
} // namespace bambuddy::printer_sim::test
