// The records room over real parts: a migrated SQLite database in a temp directory, the printers
// table as the kind's table, and the real plugin host loading the built printer.sim and
// printer.bambu drivers. Covers the YAML mirror (stable ids, renames, removals, rows kept when
// their plugin did not load), create with rollback, settings patches with masked and resent
// secrets, redaction, instance replacement with the old instance put back, and the refusals.
// The services that use the room (printers, notification providers) have their own tests.
#include "records/instance_records.h"

#include "config/core_config.h"
#include "plugins/plugin_host.h"
#include "plugins/secret_fields.h"
#include "printers/printer_store.h"
#include "support/core_services.h"
#include "support/driver_config.h"
#include "support/server_process.h"

#include <bambuddy/abi.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace bambuddy::records {
namespace instance_records_test {

using nlohmann::json;
using printers::PrinterRecord;

constexpr const char* kAccessCode = "s3cr3t-code";

json bambuSettings(const std::string& host = "127.0.0.1") {
  // Port 1 on loopback: nothing listens, so the driver's connection attempts fail at once.
  return {{"host", host}, {"serial", "01S00A000000001"}, {"access_code", kAccessCode}, {"port", 1}};
}

RecordKind printerKind() {
  RecordKind kind;
  kind.noun = "printer";
  kind.log_component = "printers";
  kind.plugin_kind = BB_KIND_PRINTER_DRIVER;
  kind.plugin_label = "printer driver";
  kind.plugin_field = "driver";
  return kind;
}

class InstanceRecordsTest : public ::testing::Test {
protected:
  ~InstanceRecordsTest() override { unload(); }

  // Loads printer.bambu (and printer.sim when `with_sim`, with `sim_instances_yaml` as the list
  // under its `instances:`), as the server does at start-up.
  void load(const std::string& sim_instances_yaml = "", bool with_sim = true,
            RecordKind kind = printerKind()) {
    unload();
    plugins::HostServices services{
        core_.logger(), core_.bus(), core_.kv(), core_.dir().path(), [] { return int64_t{1700000000000}; },
        nullptr};
    services.report_status = [](const std::string&, const std::string&, json) { return true; };
    host_ = std::make_unique<plugins::PluginHost>(std::move(services));
    config_ = testing::driverConfig(core_, sim_instances_yaml, with_sim);
    host_->loadAll(config_);
    records_ = std::make_unique<InstanceRecords>(std::move(kind), *host_, core_.logger(),
                                                 [] { return int64_t{1700000000000}; });
  }

  void unload() {
    records_.reset();
    if (host_) {
      host_->shutdown();
    }
    host_.reset();
  }

  // The mirror as a service runs it: one record per configured instance.
  std::vector<PrinterRecord> mirror() {
    std::vector<PrinterRecord> configured;
    for (const ConfiguredInstance& c : records_->configured(config_)) {
      PrinterRecord r;
      r.plugin = c.plugin;
      r.instance_id = c.instance->id;
      r.name = c.instance->name.empty() ? c.instance->id : c.instance->name;
      configured.push_back(r);
    }
    return records_->mirror<PrinterRecord>(store_, configured, nullptr);
  }

  PrinterRecord create(const std::string& plugin, const json& settings, const std::string& name = "P") {
    PrinterRecord r;
    r.name = name;
    r.plugin = plugin;
    r.settings = settings;
    return records_->create<PrinterRecord>(store_, r, [](const PrinterRecord&, plugins::PluginInstance&) {});
  }

  // The code of the ServiceError `fn` throws ("" when it does not throw).
  template <class Fn> std::string refusal(Fn fn, json* body = nullptr) {
    try {
      fn();
    } catch (const ServiceError& e) {
      if (body != nullptr) {
        *body = e.body();
      }
      return e.code();
    }
    return "";
  }

  testing::CoreServices core_;
  printers::PrinterStore store_{core_.database()};
  config::CoreConfig config_;
  std::unique_ptr<plugins::PluginHost> host_;
  std::unique_ptr<InstanceRecords> records_;
};

TEST_F(InstanceRecordsTest, MirrorGivesConfiguredInstancesStableIdsAndFollowsTheFile) {
  load("        - id: left\n          name: Left\n        - id: right\n");
  std::vector<PrinterRecord> rows = mirror();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].name, "Left");
  EXPECT_EQ(rows[0].plugin, "printer.sim");
  EXPECT_EQ(rows[0].source, kSourceConfig);
  EXPECT_EQ(rows[1].name, "right"); // no name: the id
  const int64_t left = rows[0].id, right = rows[1].id;
  const PrinterRecord api = create("printer.sim", json::object(), "From REST");

  // Restart with `left` renamed and `right` gone: same id for left, right's row deleted, the
  // REST record untouched.
  load("        - id: left\n          name: Port side\n");
  rows = mirror();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].id, left);
  EXPECT_EQ(rows[0].name, "Port side");
  EXPECT_EQ(rows[1].id, api.id);
  EXPECT_NE(
      core_.log().find("printer " + std::to_string(right) + " ('right') is no longer in the config file"),
      std::string::npos);

  // A new instance gets a new id, never a reused one.
  load("        - id: left\n        - id: right\n");
  rows = mirror();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].id, left);
  EXPECT_GT(rows[2].id, api.id);
}

TEST_F(InstanceRecordsTest, MirrorKeepsRowsWhosePluginDidNotLoad) {
  load("        - id: left\n");
  const int64_t left = mirror().at(0).id;
  load("", /*with_sim=*/false); // printer.sim is not loaded this time
  std::vector<PrinterRecord> rows = mirror();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].id, left);
  std::string problem = records_->startInstance(rows[0]);
  EXPECT_NE(problem.find("printer.sim is not loaded"), std::string::npos) << problem;
}

TEST_F(InstanceRecordsTest, CreateStoresTheRowAndTheInstanceOrNeither) {
  load();
  const PrinterRecord stored = create("printer.sim", {{"speed", 60}});
  EXPECT_EQ(stored.instance_id, "printer-" + std::to_string(stored.id));
  EXPECT_EQ(stored.source, kSourceApi);
  EXPECT_NE(host_->findInstance("printer.sim", stored.instance_id), nullptr);
  ASSERT_TRUE(store_.find(stored.id).has_value());

  // The service refuses to adopt it (say its own rule fails): no row, no instance, and the
  // service's undo ran.
  std::string forgotten;
  PrinterRecord r;
  r.name = "Refused";
  r.plugin = "printer.sim";
  json body;
  EXPECT_EQ(refusal(
                [&] {
                  records_->create<PrinterRecord>(
                      store_, r,
                      [](const PrinterRecord&, plugins::PluginInstance&) {
                        throw std::runtime_error("the service said no");
                      },
                      [&](const PrinterRecord& gone) { forgotten = gone.instance_id; });
                },
                &body),
            "invalid_settings");
  EXPECT_EQ(body["detail"], "settings: the service said no");
  ASSERT_FALSE(forgotten.empty());
  EXPECT_EQ(host_->findInstance("printer.sim", forgotten), nullptr);
  EXPECT_EQ(store_.list().size(), 1u);
}

TEST_F(InstanceRecordsTest, RefusalsNameTheLoadedPluginsAndTheSettingsThatFail) {
  load();
  json body;
  EXPECT_EQ(refusal([&] { records_->requirePlugin("printer.nope"); }, &body), "invalid_driver");
  EXPECT_EQ(body["detail"], "driver: 'printer.nope' is not a loaded printer driver (loaded: printer.bambu, "
                            "printer.sim)");
  EXPECT_EQ(refusal(
                [&] {
                  records_->checkSettings("printer.sim", {{"speed", "fast"}, {"model", ""}});
                },
                &body),
            "invalid_settings");
  ASSERT_TRUE(body["errors"].is_array());
  EXPECT_EQ(body["errors"].size(), 2u);
  EXPECT_EQ(body["errors"][0]["path"].get<std::string>().rfind("settings.", 0), 0u) << body;
  EXPECT_EQ(refusal([&] { records_->checkSettings("printer.sim", {{"speed", 2}}); }), "");

  PrinterRecord configured;
  configured.plugin = "printer.sim";
  configured.instance_id = "left";
  configured.source = kSourceConfig;
  ServiceError e = records_->declaredInConfig(configured, "change it there and restart");
  EXPECT_EQ(e.httpStatus(), 409);
  EXPECT_EQ(e.code(), "declared_in_config");
  EXPECT_EQ(records_->notFound(7).httpStatus(), 404);
}

TEST_F(InstanceRecordsTest, PatchesKeepMaskedSecretsAndAMovedDestinationMustResendThem) {
  load();
  const PrinterRecord stored = create("printer.bambu", bambuSettings());

  // Reads never show the access code.
  json described = records_->describe(stored);
  EXPECT_EQ(described["settings"]["access_code"], plugins::kSecretMask);
  EXPECT_EQ(described["driver"], "printer.bambu");
  EXPECT_EQ(described.dump().find(kAccessCode), std::string::npos);

  // The mask sent back keeps the stored code; the same settings are no change.
  EXPECT_FALSE(records_->patchSettings(stored, {{"access_code", plugins::kSecretMask}}).has_value());
  std::optional<json> serial = records_->patchSettings(stored, {{"serial", "01S00A000000002"}});
  ASSERT_TRUE(serial.has_value());
  EXPECT_EQ((*serial)["access_code"], kAccessCode);

  // Pointing it elsewhere without the code again is refused, naming the field; with it, taken.
  json body;
  EXPECT_EQ(refusal(
                [&] {
                  records_->patchSettings(stored, {{"host", "127.0.0.2"}});
                },
                &body),
            "secret_required");
  EXPECT_EQ(body["fields"], json::array({"settings.access_code"}));
  std::optional<json> moved =
      records_->patchSettings(stored, {{"host", "127.0.0.2"}, {"access_code", "other"}});
  ASSERT_TRUE(moved.has_value());
  EXPECT_EQ((*moved)["access_code"], "other");

  // A patch that breaks the schema is refused with its path.
  EXPECT_EQ(refusal([&] { records_->patchSettings(stored, {{"serial", 5}}); }), "invalid_settings");
}

TEST_F(InstanceRecordsTest, AlwaysSecretFieldsAreMaskedWhateverTheSchemaSays) {
  RecordKind kind = printerKind();
  kind.always_secret = [](const std::string&, const std::string&) {
    return std::vector<std::string>{"model"};
  };
  load("", true, kind);
  const PrinterRecord stored = create("printer.sim", {{"model", "P1S"}});
  EXPECT_EQ(records_->describe(stored)["settings"]["model"], plugins::kSecretMask);
  // Its mask sent back keeps it.
  EXPECT_FALSE(records_->patchSettings(stored, {{"model", plugins::kSecretMask}}).has_value());
}

TEST_F(InstanceRecordsTest, AReplacementThePluginRefusesPutsTheOldInstanceBack) {
  load();
  const PrinterRecord stored = create("printer.sim", {{"speed", 60}});
  std::string problem = "stale";
  EXPECT_EQ(refusal([&] {
              records_->replaceInstance(stored, {{"speed", "fast"}}, problem);
            }),
            "invalid_settings");
  EXPECT_EQ(problem, ""); // the previous instance runs again
  EXPECT_NE(host_->findInstance("printer.sim", stored.instance_id), nullptr);

  plugins::PluginInstance& replaced = records_->replaceInstance(stored, {{"speed", 120}}, problem);
  EXPECT_EQ(&replaced, host_->findInstance("printer.sim", stored.instance_id));
  EXPECT_EQ(problem, "");

  records_->remove<PrinterRecord>(store_, stored);
  EXPECT_EQ(host_->findInstance("printer.sim", stored.instance_id), nullptr);
  EXPECT_FALSE(store_.find(stored.id).has_value());
}

TEST_F(InstanceRecordsTest, StartInstanceCreatesRestInstancesAndReportsMissingConfigOnes) {
  load("        - id: left\n");
  std::vector<PrinterRecord> rows = mirror();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(records_->startInstance(rows[0]), ""); // the plugin host created it from the file

  const PrinterRecord api = create("printer.sim", json::object());
  host_->destroyInstance(api.plugin, api.instance_id); // as after a restart: no instance yet
  EXPECT_EQ(records_->startInstance(api), "");
  EXPECT_NE(host_->findInstance(api.plugin, api.instance_id), nullptr);

  PrinterRecord ghost = rows[0];
  ghost.instance_id = "not-in-the-file";
  EXPECT_NE(records_->startInstance(ghost).find("did not start"), std::string::npos);
}

TEST_F(InstanceRecordsTest, ANamePrefixKindTakesOnlyPluginsNamedForIt) {
  RecordKind kind = printerKind();
  kind.name_prefix = "printer.";
  kind.plugin_field = "model";
  load("", true, kind);
  EXPECT_EQ(records_->pluginFor("sim"), "printer.sim");
  EXPECT_EQ(records_->fieldValueOf("printer.sim"), "sim");
  EXPECT_TRUE(records_->isKindPlugin("printer.sim"));
  json body;
  EXPECT_EQ(refusal([&] { records_->requirePlugin("printer.x"); }, &body), "invalid_model");
  EXPECT_EQ(body["detail"], "model: 'x' is not a loaded printer driver (loaded: bambu, sim)");
}

} // namespace instance_records_test
} // namespace bambuddy::records
