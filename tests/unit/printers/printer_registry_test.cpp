// PrinterRegistry's records over real parts: a migrated SQLite database in a temp directory, the
// real plugin host loading the built printer.sim and printer.bambu drivers, and the YAML mirror
// across "restarts" (a new registry over the same database). Covers add, update, remove, list,
// secret redaction and the mirror; the status-to-event path has its own tests.
#include "printers/printer_registry.h"

#include "config/core_config.h"
#include "http/router.h"
#include "journal/event_journal.h"
#include "plugins/plugin_host.h"
#include "plugins/secret_fields.h"
#include "printers/printer_store.h"
#include "printers/status_feed.h"
#include "printers/status_intake.h"
#include "support/core_services.h"
#include "support/driver_config.h"
#include "support/server_process.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace bambuddy::printers {
namespace printer_registry_test {

using nlohmann::json;

constexpr const char* kAccessCode = "s3cr3t-code";

// A TCP port on loopback with nothing listening: the Bambu driver's connection attempts fail at
// once instead of waiting for a timeout.
json bambuSettings(const std::string& host = "127.0.0.1") {
  return {{"host", host}, {"serial", "01S00A000000001"}, {"access_code", kAccessCode}, {"port", 1}};
}

class PrinterRegistryTest : public ::testing::Test {
protected:
  ~PrinterRegistryTest() override { shutdown(); }

  // Loads the drivers (with the YAML printers in `sim_instances_yaml`, list items under
  // printer.sim's `instances:`) and starts a registry that mirrors them.
  void startServer(const std::string& sim_instances_yaml = "", bool load_sim = true) {
    router_ = std::make_unique<http::Router>(); // plugin routes are registered again
    // As in the server: drivers' reports reach the registry through the status intake.
    intake_ = std::make_unique<StatusIntake>(core_.logger(), nullptr);
    plugins::HostServices services{
        core_.logger(), core_.bus(), core_.kv(), core_.dir().path(), [] { return int64_t{1700000000000}; },
        router_.get()};
    services.report_status = [this](const std::string& plugin, const std::string& instance,
                                    nlohmann::json status) {
      return intake_->push(plugin, instance, std::move(status));
    };
    host_ = std::make_unique<plugins::PluginHost>(std::move(services));
    registry_ = std::make_unique<PrinterRegistry>(
        store_, *host_, journal_, core_.logger(), [] { return int64_t{1700000000000}; }, LifecycleSettings{});
    intake_->addSink([this](const std::string& driver, const std::string& instance, nlohmann::json& status) {
      return registry_->onReport(driver, instance, status);
    });
    intake_->start();
    config_ = testing::driverConfig(core_, sim_instances_yaml, load_sim);
    host_->loadAll(config_);
    registry_->start(config_);
  }

  // As the server stops: the registry first, then the drivers.
  void shutdown() {
    if (registry_) {
      registry_->stop();
    }
    if (host_) {
      host_->shutdown();
    }
    if (intake_) {
      intake_->stop();
    }
    intake_.reset();
    registry_.reset();
    host_.reset();
  }

  void restart(const std::string& sim_instances_yaml = "", bool load_sim = true) {
    shutdown();
    startServer(sim_instances_yaml, load_sim);
  }

  // The error code a registry call refuses with ("" when it did not throw).
  template <class Fn> std::string refusal(Fn fn, int* status = nullptr) {
    try {
      fn();
    } catch (const PrinterError& e) {
      if (status != nullptr) {
        *status = e.httpStatus();
      }
      return e.code();
    }
    return "";
  }

  json addBambu(const std::string& name = "X1C") {
    return registry_->create({{"name", name}, {"driver", "printer.bambu"}, {"settings", bambuSettings()}});
  }

  testing::CoreServices core_;
  PrinterStore store_{core_.database()};
  std::unique_ptr<http::Router> router_;
  config::CoreConfig config_;
  journal::EventJournal journal_{core_.database()};
  std::unique_ptr<StatusIntake> intake_;
  std::unique_ptr<plugins::PluginHost> host_;
  std::unique_ptr<PrinterRegistry> registry_;
};

TEST_F(PrinterRegistryTest, CreateStoresTheRecordStartsTheDriverAndListsIt) {
  startServer();
  json a = registry_->create({{"name", "Sim A"}, {"driver", "printer.sim"}, {"settings", {{"speed", 10}}}});
  json b = addBambu("X1C");
  EXPECT_EQ(a["name"], "Sim A");
  EXPECT_EQ(a["driver"], "printer.sim");
  EXPECT_EQ(a["source"], "api");
  EXPECT_EQ(a["instance_id"], "printer-" + std::to_string(a["id"].get<int64_t>()));
  EXPECT_EQ(a["settings"], (json{{"speed", 10}}));
  EXPECT_EQ(a["capabilities"].value("start_print", false), true);
  EXPECT_EQ(a["require_plate_clear"], false); // simulated printers: nobody stands at the bed
  EXPECT_EQ(b["require_plate_clear"], true);

  EXPECT_EQ(registry_->ids(), (std::vector<int64_t>{a["id"], b["id"]}));
  EXPECT_TRUE(registry_->exists(a["id"]));
  EXPECT_EQ(registry_->name(b["id"]), "X1C");
  EXPECT_NE(host_->findInstance("printer.sim", a["instance_id"].get<std::string>()), nullptr);

  auto row = store_.find(b["id"]);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->source, "api");
  EXPECT_EQ(row->settings["access_code"], kAccessCode); // stored, so the driver gets it at start

  // A restart creates the driver instances of REST printers again from the table.
  restart();
  EXPECT_EQ(registry_->ids(), (std::vector<int64_t>{a["id"], b["id"]}));
  EXPECT_NE(host_->findInstance("printer.bambu", b["instance_id"].get<std::string>()), nullptr);
}

TEST_F(PrinterRegistryTest, SecretsAreStoredButNeverShown) {
  startServer();
  json created = addBambu();
  const int64_t id = created["id"];
  EXPECT_EQ(created["settings"]["access_code"], plugins::kSecretMask);
  EXPECT_EQ(created["settings"]["host"], "127.0.0.1");
  EXPECT_EQ(registry_->details(id).dump().find(kAccessCode), std::string::npos);
  EXPECT_EQ(registry_->status(id).dump().find(kAccessCode), std::string::npos);

  // Sending the mask back (as a form does) keeps the stored code; so does leaving it out.
  json updated = registry_->update(
      id, {{"settings", {{"access_code", plugins::kSecretMask}, {"serial", "01S00A000000002"}}}});
  EXPECT_EQ(updated["settings"]["serial"], "01S00A000000002");
  EXPECT_EQ(updated["settings"]["access_code"], plugins::kSecretMask);
  EXPECT_EQ(store_.find(id)->settings["access_code"], kAccessCode);
  registry_->update(id, {{"settings", {{"serial", "01S00A000000003"}}}});
  EXPECT_EQ(store_.find(id)->settings["access_code"], kAccessCode);
  EXPECT_EQ(core_.log().find(kAccessCode), std::string::npos);
}

TEST_F(PrinterRegistryTest, MovingAPrinterToAnotherHostNeedsItsAccessCodeAgain) {
  startServer();
  const int64_t id = addBambu()["id"];
  int status = 0;
  EXPECT_EQ(refusal(
                [&] {
                  registry_->update(id, {{"settings", {{"host", "127.0.0.2"}}}});
                },
                &status),
            "secret_required");
  EXPECT_EQ(status, 400);
  EXPECT_EQ(store_.find(id)->settings["host"], "127.0.0.1"); // nothing changed

  json moved = registry_->update(id, {{"settings", {{"host", "127.0.0.2"}, {"access_code", "new-code"}}}});
  EXPECT_EQ(moved["settings"]["host"], "127.0.0.2");
  EXPECT_EQ(store_.find(id)->settings["access_code"], "new-code");
}

TEST_F(PrinterRegistryTest, UpdateRenamesMergesSettingsAndSurvivesARestart) {
  startServer();
  const int64_t id =
      registry_->create({{"name", "Sim"}, {"driver", "printer.sim"}, {"settings", {{"speed", 10}}}})["id"];
  json updated = registry_->update(
      id, {{"name", "Sim 2"}, {"settings", {{"print_time_s", 30}}}, {"require_plate_clear", true}});
  EXPECT_EQ(updated["name"], "Sim 2");
  EXPECT_EQ(updated["settings"], (json{{"speed", 10}, {"print_time_s", 30}})); // merged, not replaced
  EXPECT_EQ(updated["require_plate_clear"], true);

  // null removes a setting (merge patch) and the choice of the gate goes back to the default.
  updated = registry_->update(id, {{"settings", {{"speed", nullptr}}}, {"require_plate_clear", nullptr}});
  EXPECT_EQ(updated["settings"], (json{{"print_time_s", 30}}));
  EXPECT_EQ(updated["require_plate_clear"], false);

  restart();
  json after = registry_->details(id);
  EXPECT_EQ(after["name"], "Sim 2");
  EXPECT_EQ(after["settings"], (json{{"print_time_s", 30}}));
}

TEST_F(PrinterRegistryTest, BadBodiesAreRefusedWithTheirCodeAndChangeNothing) {
  startServer();
  const int64_t id = registry_->create({{"name", "Sim"}, {"driver", "printer.sim"}})["id"];
  // The body's shape (types, required and unknown keys, lengths) is the route's body schema's job
  // (tests/unit/app/body_schema_test.cpp); the registry checks what depends on loaded plugins.
  auto create = [&](const json& body) { return refusal([&] { registry_->create(body); }); };
  EXPECT_EQ(create({{"name", "x"}, {"driver", "printer.nope"}}), "invalid_driver");
  EXPECT_EQ(create({{"name", "x"}, {"driver", "printer.sim"}, {"settings", {{"speed", -1}}}}),
            "invalid_settings");
  EXPECT_EQ(create({{"name", "x"}, {"driver", "printer.bambu"}, {"settings", {{"host", "h"}}}}),
            "invalid_settings"); // serial and access_code missing

  auto update = [&](const json& body) { return refusal([&] { registry_->update(id, body); }); };
  EXPECT_EQ(update({{"settings", {{"speed", "fast"}}}}), "invalid_settings");

  int status = 0;
  EXPECT_EQ(refusal([&] { registry_->update(999, {{"name", "x"}}); }, &status), "not_found");
  EXPECT_EQ(status, 404);
  EXPECT_EQ(refusal([&] { registry_->details(999); }), "not_found");
  EXPECT_EQ(refusal([&] { registry_->remove(999); }), "not_found");

  // Only the first printer exists, unchanged, and its driver still runs.
  EXPECT_EQ(registry_->ids(), std::vector<int64_t>{id});
  EXPECT_EQ(store_.list().size(), 1u);
  EXPECT_EQ(registry_->details(id)["settings"], json::object());
  EXPECT_NE(host_->findInstance("printer.sim", registry_->details(id)["instance_id"].get<std::string>()),
            nullptr);
}

TEST_F(PrinterRegistryTest, RemoveDestroysTheDriverAndTheRecord) {
  startServer();
  json printer = addBambu();
  const int64_t id = printer["id"];
  registry_->remove(id);
  EXPECT_FALSE(registry_->exists(id));
  EXPECT_TRUE(registry_->ids().empty());
  EXPECT_FALSE(store_.find(id));
  EXPECT_EQ(host_->findInstance("printer.bambu", printer["instance_id"].get<std::string>()), nullptr);
  restart();
  EXPECT_TRUE(registry_->ids().empty());
}

// The status feed behind the event stream's status events and the bus topic printer_status: a
// printer that reported several times since the last round is handed over once, with its latest
// status; a removed printer is named once; a listener that stops wanting status costs nothing and
// gets every printer again when it comes back.
TEST_F(PrinterRegistryTest, TheStatusFeedCoalescesReportsAndNamesRemovedPrinters) {
  startServer();
  json a = addBambu("A");
  json b = addBambu("B");
  const int64_t a_id = a["id"];
  const int64_t b_id = b["id"];
  bool wanted = true;
  std::vector<std::pair<std::vector<PrinterRegistry::StatusChange>, std::vector<int64_t>>> rounds;
  StatusFeed feed(*registry_, 60000); // never ticks on its own within the test
  feed.addListener({[&] { return wanted; },
                    [&](const std::vector<PrinterRegistry::StatusChange>& changed,
                        const std::vector<int64_t>& removed) { rounds.emplace_back(changed, removed); }});
  auto idsOf = [](const std::vector<PrinterRegistry::StatusChange>& changes) {
    std::vector<int64_t> ids;
    for (const auto& c : changes) {
      ids.push_back(c.id);
    }
    return ids;
  };

  feed.tick();
  ASSERT_EQ(rounds.size(), 1u);
  EXPECT_EQ(idsOf(rounds[0].first), (std::vector<int64_t>{a_id, b_id}));
  EXPECT_EQ(rounds[0].first[0].status["name"], "A");

  for (int progress : {10, 20, 30}) {
    json report = {{"connected", true}, {"state", "printing"}, {"progress", progress}};
    ASSERT_TRUE(registry_->onReport("printer.bambu", a["instance_id"].get<std::string>(), report));
  }
  feed.tick();
  ASSERT_EQ(rounds.size(), 2u);
  const std::vector<int64_t> second = idsOf(rounds[1].first);
  ASSERT_EQ(std::count(second.begin(), second.end(), a_id), 1);
  for (const auto& change : rounds[1].first) {
    if (change.id == a_id) {
      EXPECT_EQ(change.status["progress"], 30);
      EXPECT_EQ(change.status["state"], "printing");
    }
  }

  registry_->remove(a_id);
  feed.tick();
  ASSERT_GE(rounds.size(), 3u);
  EXPECT_EQ(rounds.back().second, (std::vector<int64_t>{a_id}));
  const size_t after_removal = rounds.size();
  feed.tick();
  for (size_t i = after_removal; i < rounds.size(); ++i) {
    EXPECT_TRUE(rounds[i].second.empty()) << "a removal is named once";
  }

  wanted = false;
  const size_t before_pause = rounds.size();
  feed.tick();
  EXPECT_EQ(rounds.size(), before_pause);
  wanted = true;
  feed.tick();
  ASSERT_EQ(rounds.size(), before_pause + 1);
  EXPECT_EQ(idsOf(rounds.back().first), (std::vector<int64_t>{b_id}));
}

// Two listeners share one pass over the registry, each still getting what is new to it: a
// listener that starts wanting status late gets every printer, the other only what changed.
TEST_F(PrinterRegistryTest, TheStatusFeedServesListenersAtDifferentCursors) {
  startServer();
  json a = addBambu("A");
  json b = addBambu("B");
  bool late_wants = false;
  std::vector<std::vector<int64_t>> early_rounds;
  std::vector<std::vector<int64_t>> late_rounds;
  auto ids = [](const std::vector<PrinterRegistry::StatusChange>& changes) {
    std::vector<int64_t> out;
    for (const auto& c : changes) {
      out.push_back(c.id);
    }
    return out;
  };
  StatusFeed feed(*registry_, 60000);
  feed.addListener(
      {[] { return true; }, [&](const std::vector<PrinterRegistry::StatusChange>& changed,
                                const std::vector<int64_t>&) { early_rounds.push_back(ids(changed)); }});
  feed.addListener({[&] { return late_wants; },
                    [&](const std::vector<PrinterRegistry::StatusChange>& changed,
                        const std::vector<int64_t>&) { late_rounds.push_back(ids(changed)); }});
  feed.tick();
  ASSERT_EQ(early_rounds.size(), 1u);
  EXPECT_TRUE(late_rounds.empty());

  json report = {{"connected", true}, {"state", "printing"}, {"progress", 5}};
  ASSERT_TRUE(registry_->onReport("printer.bambu", a["instance_id"].get<std::string>(), report));
  late_wants = true;
  const size_t early_before = early_rounds.size();
  feed.tick();
  ASSERT_EQ(late_rounds.size(), 1u);
  EXPECT_EQ(late_rounds[0], (std::vector<int64_t>{a["id"].get<int64_t>(), b["id"].get<int64_t>()}))
      << "a new listener gets every printer";
  ASSERT_EQ(early_rounds.size(), early_before + 1);
  const std::vector<int64_t>& early = early_rounds.back();
  EXPECT_EQ(std::count(early.begin(), early.end(), a["id"].get<int64_t>()), 1) << "what changed";
}

TEST_F(PrinterRegistryTest, YamlPrintersAreMirroredWithAStableId) {
  startServer("        - id: bench-1\n          name: Bench One\n        - id: bench-2\n");
  std::vector<int64_t> ids = registry_->ids();
  ASSERT_EQ(ids.size(), 2u);
  json one = registry_->details(ids[0]);
  EXPECT_EQ(one["name"], "Bench One");
  EXPECT_EQ(one["instance_id"], "bench-1");
  EXPECT_EQ(one["source"], "config");
  EXPECT_EQ(one["capabilities"].value("start_print", false), true);
  EXPECT_EQ(registry_->name(ids[1]), "bench-2"); // no name: the instance id

  // Renamed in YAML: same id, new name. An API printer beside them is kept.
  const int64_t api_id = registry_->create({{"name", "Mine"}, {"driver", "printer.sim"}})["id"];
  restart("        - id: bench-1\n          name: Bench 1\n        - id: bench-2\n");
  EXPECT_EQ(registry_->ids(), (std::vector<int64_t>{ids[0], ids[1], api_id}));
  EXPECT_EQ(registry_->name(ids[0]), "Bench 1");
  EXPECT_EQ(store_.find(ids[0])->name, "Bench 1");

  // Gone from YAML: its row goes too.
  restart("        - id: bench-2\n");
  EXPECT_EQ(registry_->ids(), (std::vector<int64_t>{ids[1], api_id}));
  EXPECT_FALSE(store_.find(ids[0]));
}

TEST_F(PrinterRegistryTest, YamlPrintersAreChangedInYamlOnly) {
  startServer("        - id: bench-1\n");
  const int64_t id = registry_->ids().at(0);
  EXPECT_EQ(refusal([&] { registry_->update(id, {{"name", "x"}}); }), "declared_in_config");
  EXPECT_EQ(refusal([&] { registry_->update(id, {{"settings", {{"speed", 2}}}}); }), "declared_in_config");
  int status = 0;
  EXPECT_EQ(refusal([&] { registry_->remove(id); }, &status), "declared_in_config");
  EXPECT_EQ(status, 409);
  // The plate-clear gate is the server's, so it can be set for YAML printers too.
  EXPECT_EQ(registry_->update(id, {{"require_plate_clear", true}})["require_plate_clear"], true);
  EXPECT_EQ(registry_->name(id), "bench-1");
}

TEST_F(PrinterRegistryTest, APrinterWhoseDriverDidNotLoadIsKeptAndSaysWhy) {
  startServer("        - id: bench-1\n");
  const int64_t yaml_id = registry_->ids().at(0);
  const int64_t api_id = registry_->create({{"name", "Mine"}, {"driver", "printer.sim"}})["id"];

  restart("", /*load_sim=*/false);
  EXPECT_EQ(registry_->ids(), (std::vector<int64_t>{yaml_id, api_id}));
  for (int64_t id : {yaml_id, api_id}) {
    json status = registry_->status(id);
    EXPECT_EQ(status["connected"], false);
    EXPECT_NE(status["connection_error"].get<std::string>().find("printer.sim"), std::string::npos)
        << status.dump();
  }
  EXPECT_EQ(refusal([&] {
              registry_->create({{"name", "x"}, {"driver", "printer.sim"}});
            }),
            "invalid_driver");

  // Back with the driver: both are served again, with the same ids.
  restart("        - id: bench-1\n");
  EXPECT_EQ(registry_->ids(), (std::vector<int64_t>{yaml_id, api_id}));
  EXPECT_NE(host_->findInstance("printer.sim", "bench-1"), nullptr);
}

// A print that starts and ends before its printer is mapped (hundreds of printers take seconds to
// map at start-up) still gives its start and its end, in order: every change of state that came
// early is kept, not only the last report.
TEST_F(PrinterRegistryTest, APrintThatEndsBeforeThePrinterIsMappedIsStillAnnounced) {
  startServer();
  // The first REST printer's instance is printer-1: its driver reports before create() maps it.
  auto report = [&](const std::string& state, double progress) {
    json status = {{"connected", true},
                   {"state", state},
                   {"progress", progress},
                   {"current_print", {{"filename", "early.3mf"}}}};
    EXPECT_TRUE(registry_->onReport("printer.sim", "printer-1", status));
  };
  report("preparing", 0);
  report("printing", 10);
  report("printing", 60); // same state and job: replaces the one before
  report("finished", 100);
  const int64_t id = registry_->create({{"name", "Early"}, {"driver", "printer.sim"}})["id"];
  ASSERT_EQ(id, 1);
  std::vector<std::string> types;
  for (const journal::JournalEntry& e : journal_.readAfter(0, 100)) {
    if (e.printer_id == id && (e.type == "print_started" || e.type == "print_complete")) {
      types.push_back(e.type);
    }
  }
  EXPECT_EQ(types, (std::vector<std::string>{"print_started", "print_complete"}));
}

} // namespace printer_registry_test
} // namespace bambuddy::printers
