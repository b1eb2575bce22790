// SettingsService over a real migrated SQLite database in a temp directory: defaults, merge-patch
// semantics (nested merge, null resets), validation that names every problem and changes nothing,
// persistence across a restart, and stored documents that are refused at start-up.
#include "settings/settings_service.h"

#include "common/logger.h"
#include "storage/database.h"
#include "storage/kv_store.h"
#include "storage/migrations.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace bambuddy::settings {
namespace settings_service_test {

using nlohmann::json;

class SettingsServiceTest : public ::testing::Test {
protected:
  SettingsServiceTest() {
    log_path_ = dir_.file("test.log");
    log_file_ = std::fopen(log_path_.c_str(), "w+");
    logger_ = std::make_unique<Logger>(LogLevel::Debug, log_file_);
    storage::DatabaseOptions options;
    options.path = dir_.file("settings.db");
    database_ = std::make_unique<storage::Database>(options, *logger_);
    storage::migrate(*database_, storage::coreMigrations(), *logger_);
    kv_ = std::make_unique<storage::KvStore>(*database_);
  }
  ~SettingsServiceTest() override { std::fclose(log_file_); }

  // What the YAML config gives; differs from the built-in Settings{} so "default" is observable.
  static Settings yamlDefaults() {
    Settings s;
    s.currency = "USD";
    s.offline_debounce_s = 30;
    s.rate_limit_write = 40;
    return s;
  }

  // A service as the server makes it at start-up (reads what is stored).
  std::unique_ptr<SettingsService> start() {
    return std::make_unique<SettingsService>(*kv_, *logger_, yamlDefaults());
  }

  std::vector<std::string> refusal(SettingsService& service, const json& patch) {
    try {
      service.patch(patch);
    } catch (const SettingsError& e) {
      return e.problems();
    }
    ADD_FAILURE() << "accepted " << patch.dump();
    return {};
  }

  std::optional<std::string> stored() { return kv_->get("core", "settings"); }

  std::string log() {
    std::fflush(log_file_);
    return testing::readFile(log_path_);
  }

  testing::TempDir dir_;
  std::string log_path_;
  std::FILE* log_file_ = nullptr;
  std::unique_ptr<Logger> logger_;
  std::unique_ptr<storage::Database> database_;
  std::unique_ptr<storage::KvStore> kv_;
};

TEST_F(SettingsServiceTest, StartsWithTheYamlDefaultsWhenNothingIsStored) {
  auto service = start();
  EXPECT_EQ(service->currentJson(), yamlDefaults().toJson());
  EXPECT_EQ(service->currentJson()["default_rate_limits"],
            (json{{"read", 100}, {"write", 40}, {"control", 10}}));
  EXPECT_FALSE(stored());
}

TEST_F(SettingsServiceTest, APatchChangesOnlyItsFieldsAndSurvivesARestart) {
  auto service = start();
  Settings updated = service->patch({{"currency", "GBP"}, {"progress_milestones", {75, 10}}});
  EXPECT_EQ(updated.currency, "GBP");
  EXPECT_EQ(updated.progress_milestones, (std::vector<int>{10, 75})); // kept in ascending order
  EXPECT_EQ(updated.offline_debounce_s, 30);                          // untouched: the YAML value
  EXPECT_EQ(service->current().currency, "GBP");

  // Only what the admin changed is stored: a later YAML default still applies to the rest.
  EXPECT_EQ(json::parse(*stored()), (json{{"currency", "GBP"}, {"progress_milestones", {75, 10}}}));
  auto restarted = start();
  EXPECT_EQ(restarted->currentJson(), service->currentJson());
}

TEST_F(SettingsServiceTest, NestedObjectsMergeMemberByMember) {
  auto service = start();
  service->patch({{"default_rate_limits", {{"write", 50}}}});
  Settings s = service->patch({{"default_rate_limits", {{"read", 7}}}});
  EXPECT_EQ(s.rate_limit_read, 7u);
  EXPECT_EQ(s.rate_limit_write, 50u);   // kept from the first patch
  EXPECT_EQ(s.rate_limit_control, 10u); // never touched
  EXPECT_EQ(start()->current().rate_limit_write, 50u);
}

TEST_F(SettingsServiceTest, NullResetsAFieldToItsDefault) {
  auto service = start();
  service->patch({{"currency", "GBP"}, {"default_rate_limits", {{"write", 50}, {"read", 7}}}});

  Settings s = service->patch({{"currency", nullptr}, {"default_rate_limits", {{"write", nullptr}}}});
  EXPECT_EQ(s.currency, "USD");       // the YAML default, not the built-in EUR
  EXPECT_EQ(s.rate_limit_write, 40u); // nested null: only that member goes back
  EXPECT_EQ(s.rate_limit_read, 7u);

  s = service->patch({{"default_rate_limits", nullptr}});
  EXPECT_EQ(s.rate_limit_read, 100u);
  EXPECT_EQ(service->currentJson(), yamlDefaults().toJson());
  EXPECT_EQ(start()->currentJson(), yamlDefaults().toJson());
}

TEST_F(SettingsServiceTest, NullForAFieldNeverSetChangesNothing) {
  auto service = start();
  Settings s = service->patch({{"time_zone", nullptr}});
  EXPECT_EQ(s.toJson(), yamlDefaults().toJson());
}

TEST_F(SettingsServiceTest, EveryWrongFieldIsNamedAndNothingChanges) {
  auto service = start();
  service->patch({{"currency", "GBP"}});
  const std::string before = *stored();

  auto problems = refusal(*service, {{"currency", "pounds"},
                                     {"offline_debounce_s", -1},
                                     {"default_rate_limits", {{"read", 0}}},
                                     {"colour", "red"}});
  std::string all;
  for (const auto& p : problems) {
    all += p + "\n";
  }
  EXPECT_NE(all.find("currency"), std::string::npos) << all;
  EXPECT_NE(all.find("offline_debounce_s"), std::string::npos) << all;
  EXPECT_NE(all.find("default_rate_limits.read"), std::string::npos) << all;
  EXPECT_NE(all.find("colour"), std::string::npos) << all;

  EXPECT_EQ(service->current().currency, "GBP");
  EXPECT_EQ(service->current().offline_debounce_s, 30);
  EXPECT_EQ(*stored(), before);
}

TEST_F(SettingsServiceTest, WrongTypesAreRefused) {
  auto service = start();
  EXPECT_FALSE(refusal(*service, {{"auto_archive", "yes"}}).empty());
  EXPECT_FALSE(refusal(*service, {{"progress_milestones", {50, 50}}}).empty()); // unique
  EXPECT_FALSE(refusal(*service, {{"progress_milestones", {0}}}).empty());      // 1..99
  EXPECT_FALSE(refusal(*service, {{"default_rate_limits", 5}}).empty());
  EXPECT_EQ(service->currentJson(), yamlDefaults().toJson());
}

TEST_F(SettingsServiceTest, TheBodyMustBeAnObject) {
  auto service = start();
  for (const json& body : {json::array({1}), json("x"), json(nullptr), json(3)}) {
    auto problems = refusal(*service, body);
    ASSERT_EQ(problems.size(), 1u) << body.dump();
    EXPECT_NE(problems[0].find("JSON object"), std::string::npos) << problems[0];
  }
  EXPECT_FALSE(stored());
}

TEST_F(SettingsServiceTest, TimeZonesMustBeInstalledIanaNames) {
  auto service = start();
  EXPECT_EQ(service->patch({{"time_zone", "Europe/Berlin"}}).time_zone, "Europe/Berlin");
  for (const char* bad : {"Mars/Olympus", "../../etc/passwd", "/etc/localtime", "Europe/../Europe/Berlin"}) {
    auto problems = refusal(*service, {{"time_zone", bad}});
    ASSERT_FALSE(problems.empty()) << bad;
    EXPECT_NE(problems[0].find("time_zone"), std::string::npos) << problems[0];
  }
  EXPECT_EQ(service->current().time_zone, "Europe/Berlin");
}

TEST_F(SettingsServiceTest, ADeeplyNestedPatchIsRefusedWithoutChange) {
  auto service = start();
  json deep = 1;
  for (int i = 0; i < 200; ++i) {
    deep = json{{"x", deep}};
  }
  EXPECT_FALSE(refusal(*service, {{"default_rate_limits", {{"read", deep}}}}).empty());
  EXPECT_FALSE(refusal(*service, {{"nested", deep}}).empty());
  EXPECT_EQ(service->currentJson(), yamlDefaults().toJson());
  EXPECT_FALSE(stored());
}

TEST_F(SettingsServiceTest, AStoredDocumentBeyondTheDepthLimitIsIgnoredAtStartUp) {
  // The kv store refuses such a value, so it can only come from behind its back (an older version,
  // a hand edit with sqlite3): reading it at start-up must still be bounded.
  std::string deep;
  for (int i = 0; i < 5000; ++i) {
    deep += "{\"a\":";
  }
  deep += "1";
  for (int i = 0; i < 5000; ++i) {
    deep += "}";
  }
  const std::string text = "{\"currency\":\"GBP\",\"x\":" + deep + "}";
  database_->write([&](soci::session& session) {
    session << "INSERT INTO kv (namespace, key, value, updated_at) VALUES ('core', 'settings', :v, "
               "'2026-01-01T00:00:00.000Z')",
        soci::use(text);
  });
  auto service = start();
  EXPECT_EQ(service->currentJson(), yamlDefaults().toJson());
  EXPECT_NE(log().find("stored settings ignored"), std::string::npos) << log();
}

TEST_F(SettingsServiceTest, AStoredDocumentThatIsNotAnObjectIsIgnoredAtStartUp) {
  kv_->put("core", "settings", "[\"GBP\"]");
  EXPECT_EQ(start()->currentJson(), yamlDefaults().toJson());
  EXPECT_NE(log().find("stored settings ignored"), std::string::npos) << log();
}

TEST_F(SettingsServiceTest, StoredValuesThatNoLongerValidateFallBackToDefaults) {
  kv_->put("core", "settings", R"({"currency":"GBP","offline_debounce_s":-5})");
  auto service = start();
  EXPECT_EQ(service->currentJson(), yamlDefaults().toJson());
  EXPECT_NE(log().find("stored settings ignored"), std::string::npos) << log();

  // The next change starts from the defaults, not from the refused document.
  service->patch({{"currency", "CHF"}});
  EXPECT_EQ(json::parse(*stored()), (json{{"currency", "CHF"}}));
}

TEST_F(SettingsServiceTest, ListenersHearTheCurrentValuesThenEveryAcceptedChange) {
  auto service = start();
  std::vector<std::string> heard;
  service->addListener([&heard](const Settings& s) { heard.push_back(s.currency); });
  ASSERT_EQ(heard, std::vector<std::string>{"USD"});

  service->patch({{"currency", "GBP"}});
  refusal(*service, {{"currency", "??"}});
  service->patch({{"currency", nullptr}});
  EXPECT_EQ(heard, (std::vector<std::string>{"USD", "GBP", "USD"}));
}

TEST_F(SettingsServiceTest, TheSchemaIsServedAndClosed) {
  const json& schema = SettingsService::schema();
  EXPECT_EQ(schema["type"], "object");
  EXPECT_EQ(schema["additionalProperties"], false);
  const json defaults = yamlDefaults().toJson();
  for (auto it = defaults.begin(); it != defaults.end(); ++it) {
    EXPECT_TRUE(schema["properties"].contains(it.key())) << it.key();
  }
}

} // namespace settings_service_test
} // namespace bambuddy::settings
