// The descriptor, the schemas (checked with the server's own validator) and the settings parser.
#include "bambu_test_util.h"

#include "driver_config.h"

#include <config/schema_validator.h>

#include <dlfcn.h>

#include <cstdio>
#include <memory>

namespace bambuddy::printer_bambu::test {
namespace config_test {

json configSchema() {
  return json::parse(readText(PRINTER_BAMBU_SCHEMA_DIR "/config.schema.json"));
}
json instanceSchema() {
  return json::parse(readText(PRINTER_BAMBU_SCHEMA_DIR "/instance.schema.json"));
}

const json kGoodSettings = {
    {"host", "192.168.1.50"}, {"serial", "01P00A451601106"}, {"access_code", "12345678"}};

json with(json base, const std::string& key, json value) {
  base[key] = std::move(value);
  return base;
}

json without(json base, const std::string& key) {
  base.erase(key);
  return base;
}

// Settings the schema and the parser must both refuse, with the field the message names.
std::vector<std::pair<json, std::string>> badSettings() {
  return {
      {without(kGoodSettings, "host"), "host"},
      {without(kGoodSettings, "serial"), "serial"},
      {without(kGoodSettings, "access_code"), "access_code"},
      {with(kGoodSettings, "host", ""), "host"},
      {with(kGoodSettings, "host", "bad host"), "host"},
      {with(kGoodSettings, "host", "printer.local:8883"), "host"},
      {with(kGoodSettings, "host", "[::1]"), "host"},
      {with(kGoodSettings, "host", 42), "host"},
      {with(kGoodSettings, "serial", "01P/#"), "serial"},
      {with(kGoodSettings, "serial", "with space"), "serial"},
      {with(kGoodSettings, "serial", std::string(65, 'A')), "serial"},
      {with(kGoodSettings, "access_code", ""), "access_code"},
      {with(kGoodSettings, "access_code", "has space"), "access_code"},
      {with(kGoodSettings, "access_code", 12345678), "access_code"},
      {with(kGoodSettings, "port", 0), "port"},
      {with(kGoodSettings, "port", 65536), "port"},
      {with(kGoodSettings, "port", "8883"), "port"},
      {with(kGoodSettings, "tls", "none"), "tls"},
      {with(kGoodSettings, "tls", json({{"verify", false}})), "tls"},
      {with(kGoodSettings, "tls", json({{"ca_file", ""}})), "ca_file"},
      {with(kGoodSettings, "tls", json({{"fingerprint_sha256", "abcd"}})), "fingerprint_sha256"},
      {with(kGoodSettings, "tls", json({{"fingerprint_sha256", std::string(64, 'g')}})),
       "fingerprint_sha256"},
      {with(kGoodSettings, "tls",
            json({{"ca_file", "/ca.pem"}, {"fingerprint_sha256", std::string(64, 'a')}})),
       "tls"},
      {with(kGoodSettings, "name", "extra"), "name"},
      {with(kGoodSettings, "ftp_port", 0), "ftp_port"},
      {with(kGoodSettings, "ftp_port", 65536), "ftp_port"},
      {with(kGoodSettings, "ftp_port", "990"), "ftp_port"},
      {with(kGoodSettings, "ftp_data_protection", "none"), "ftp_data_protection"},
      {with(kGoodSettings, "ftp_data_protection", "Private"), "ftp_data_protection"},
      {with(kGoodSettings, "ftp_data_protection", true), "ftp_data_protection"},
  };
}

std::vector<json> goodSettings() {
  return {
      kGoodSettings,
      with(kGoodSettings, "host", "printer-3.farm.local"),
      with(kGoodSettings, "host", "fe80::1"),
      with(kGoodSettings, "host", "10.0.0.7"),
      with(kGoodSettings, "port", 1883),
      with(kGoodSettings, "ftp_port", 2121),
      with(kGoodSettings, "ftp_data_protection", "auto"),
      with(kGoodSettings, "ftp_data_protection", "private"),
      with(kGoodSettings, "ftp_data_protection", "clear"),
      with(kGoodSettings, "tls", json::object()),
      with(kGoodSettings, "tls", json({{"ca_file", "/etc/bambuddy/bambu-ca.pem"}})),
      with(kGoodSettings, "tls", json({{"fingerprint_sha256", std::string(64, 'A')}})),
      with(kGoodSettings, "tls",
           json({{"fingerprint_sha256",
                  "CF:31:A0:45:79:AE:AE:16:E3:55:52:79:85:9E:E8:C7:2D:A3:4C:E5:3A:8E:BE:8C:E4:"
                  "53:DF:F1:51:52:9B:02"}})),
  };
}

// Sizes, ABI version, ops and schema compilation: PluginConformance.bb_printer_bambu.
TEST(BambuDescriptor, IdentityAndSchemas) {
  const bb_plugin_descriptor* d = descriptor();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->kind, BB_KIND_PRINTER_DRIVER);
  EXPECT_STREQ(d->name, "printer.bambu");
  EXPECT_EQ(json::parse(d->config_schema), configSchema());
  EXPECT_EQ(json::parse(d->instance_schema), instanceSchema());
}

TEST(BambuDescriptor, SchemasAreStrictAndMarkTheSecret) {
  json instance = instanceSchema();
  EXPECT_EQ(instance["additionalProperties"], false);
  EXPECT_EQ(instance["required"], json({"host", "serial", "access_code"}));
  EXPECT_EQ(instance["properties"]["access_code"]["writeOnly"], true);
  EXPECT_EQ(instance["properties"]["access_code"]["x-bambuddy-secret"], true);
  EXPECT_EQ(instance["properties"]["port"]["default"], 8883);
  EXPECT_EQ(instance["properties"]["ftp_port"]["default"], 990);
  EXPECT_EQ(instance["properties"]["ftp_port"]["x-bambuddy-destination"], true);
  EXPECT_EQ(instance["properties"]["ftp_data_protection"]["default"], "auto");
  EXPECT_EQ(instance["properties"]["tls"]["additionalProperties"], false);
  json config = configSchema();
  EXPECT_EQ(config["additionalProperties"], false);
  DriverConfig defaults;
  EXPECT_EQ(config["properties"]["reconnect_min_ms"]["default"], defaults.reconnect_min_ms);
  EXPECT_EQ(config["properties"]["reconnect_max_ms"]["default"], defaults.reconnect_max_ms);
  EXPECT_EQ(config["properties"]["stale_timeout_ms"]["default"], defaults.stale_timeout_ms);
  EXPECT_EQ(config["properties"]["connect_timeout_ms"]["default"], defaults.connect_timeout_ms);
  EXPECT_EQ(config["properties"]["keepalive_s"]["default"], defaults.keepalive_s);
  EXPECT_EQ(config["properties"]["command_timeout_ms"]["default"], defaults.command_timeout_ms);
  EXPECT_EQ(config["properties"]["start_timeout_ms"]["default"], defaults.start_timeout_ms);
  EXPECT_EQ(config["properties"]["keep_failed_uploads"]["default"], defaults.keep_failed_uploads);
  EXPECT_EQ(config["properties"]["error_min_severity"]["default"], severityName(defaults.error_min_severity));
  EXPECT_EQ(config["properties"]["error_min_severity"]["enum"], json({"fatal", "serious", "common", "info"}));
  EXPECT_EQ(config["properties"]["ftp_connect_timeout_ms"]["default"], defaults.ftp_connect_timeout_ms);
  EXPECT_EQ(config["properties"]["ftp_stall_timeout_ms"]["default"], defaults.ftp_stall_timeout_ms);
  EXPECT_EQ(defaults.ftp_connect_timeout_ms, 10000);
  EXPECT_EQ(defaults.ftp_stall_timeout_ms, 30000);
  EXPECT_EQ(defaults.reconnect_min_ms, 1000);
  EXPECT_EQ(defaults.reconnect_max_ms, 60000);
  EXPECT_EQ(defaults.stale_timeout_ms, 60000);
  EXPECT_EQ(defaults.keepalive_s, 30);
}

TEST(BambuSchema, TheServerValidatorRefusesBadSettings) {
  config::SchemaValidator validator(instanceSchema());
  for (const auto& [settings, field] : badSettings()) {
    auto issues = validator.validate(settings);
    ASSERT_FALSE(issues.empty()) << settings.dump();
    bool named = false;
    for (const auto& issue : issues) {
      named = named || issue.pointer.find(field) != std::string::npos || issue.pointer == "/tls" || false;
    }
    EXPECT_TRUE(named) << settings.dump() << " -> " << issues[0].pointer << " " << issues[0].message;
  }
  for (const json& settings : goodSettings()) {
    auto issues = validator.validate(settings);
    EXPECT_TRUE(issues.empty()) << settings.dump() << " -> " << (issues.empty() ? "" : issues[0].message);
  }
}

TEST(BambuSchema, TheParserAgreesWithTheSchema) {
  for (const auto& [settings, field] : badSettings()) {
    try {
      parsePrinterSettings(settings.dump());
      ADD_FAILURE() << "accepted " << settings.dump();
    } catch (const sdk::Error& e) {
      EXPECT_EQ(e.code(), BB_ERR_INVALID_ARGUMENT);
      EXPECT_EQ(e.reason(), "invalid_settings");
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  }
  for (const json& settings : goodSettings()) {
    EXPECT_NO_THROW(parsePrinterSettings(settings.dump())) << settings.dump();
  }
  // The parser is stricter than a pattern can be.
  EXPECT_THROW(parsePrinterSettings(with(kGoodSettings, "host", "192.168.1.300").dump()), sdk::Error);
  EXPECT_THROW(parsePrinterSettings(with(kGoodSettings, "host", "-bad.example").dump()), sdk::Error);
}

TEST(BambuSchema, DefaultsTheServerFillsIn) {
  json config = json::object();
  config::applyDefaults(configSchema(), config);
  DriverConfig c = parseDriverConfig(config.dump());
  EXPECT_EQ(c.reconnect_min_ms, 1000);
  EXPECT_EQ(c.reconnect_max_ms, 60000);
  EXPECT_EQ(c.stale_timeout_ms, 60000);
  EXPECT_EQ(c.connect_timeout_ms, 10000);
  EXPECT_EQ(c.keepalive_s, 30);
  EXPECT_EQ(c.command_timeout_ms, 5000);
  EXPECT_EQ(c.start_timeout_ms, 30000);
  EXPECT_FALSE(c.keep_failed_uploads);
  EXPECT_EQ(c.error_min_severity, HmsSeverity::Serious);
  EXPECT_EQ(c.ftp_connect_timeout_ms, 10000);
  EXPECT_EQ(c.ftp_stall_timeout_ms, 30000);
  json settings = kGoodSettings;
  config::applyDefaults(instanceSchema(), settings);
  PrinterSettings s = parsePrinterSettings(settings.dump());
  EXPECT_EQ(s.port, 8883);
  EXPECT_EQ(s.ftp_port, 990);
  EXPECT_EQ(s.ftp_data_protection, DataProtection::Auto);
  EXPECT_EQ(s.tls_mode, TlsMode::None);
  EXPECT_EQ(s.host, "192.168.1.50");
  EXPECT_EQ(brokerUri(s), "ssl://192.168.1.50:8883");
  EXPECT_EQ(brokerUri(parsePrinterSettings(with(kGoodSettings, "host", "fe80::1").dump())),
            "ssl://[fe80::1]:8883");
}

TEST(BambuSchema, TlsModesAndFingerprintSpelling) {
  PrinterSettings pinned = parsePrinterSettings(
      with(kGoodSettings, "tls",
           json({{"fingerprint_sha256",
                  "CF:31:A0:45:79:AE:AE:16:E3:55:52:79:85:9E:E8:C7:2D:A3:4C:E5:3A:8E:BE:8C:E4:"
                  "53:DF:F1:51:52:9B:02"}}))
          .dump());
  EXPECT_EQ(pinned.tls_mode, TlsMode::Fingerprint);
  EXPECT_EQ(pinned.fingerprint_sha256, "cf31a04579aeae16e3555279859ee8c72da34ce53a8ebe8ce453dff151529b02");
  PrinterSettings ca =
      parsePrinterSettings(with(kGoodSettings, "tls", json({{"ca_file", "/x/ca.pem"}})).dump());
  EXPECT_EQ(ca.tls_mode, TlsMode::CaFile);
  EXPECT_EQ(ca.ca_file, "/x/ca.pem");
  // Colons in the wrong places are refused.
  EXPECT_THROW(parsePrinterSettings(
                   with(kGoodSettings, "tls",
                        json({{"fingerprint_sha256", "C:F31:A0:45:79:AE:AE:16:E3:55:52:79:85:9E:E8:C7:2D:"
                                                     "A3:4C:E5:3A:8E:BE:8C:E4:53:DF:F1:51:52:9B:02"}}))
                       .dump()),
               sdk::Error);
}

TEST(BambuSchema, ConfigValidationBothWays) {
  config::SchemaValidator validator(configSchema());
  const std::vector<std::string> bad = {R"({"reconnect_min_ms":5})",
                                        R"({"reconnect_max_ms":"60000"})",
                                        R"({"stale_timeout_ms":50})",
                                        R"({"connect_timeout_ms":500})",
                                        R"({"keepalive_s":0})",
                                        R"({"command_timeout_ms":99})",
                                        R"({"start_timeout_ms":99})",
                                        R"({"start_timeout_ms":600001})",
                                        R"({"keep_failed_uploads":"yes"})",
                                        R"({"error_min_severity":"unknown"})",
                                        R"({"error_min_severity":"Serious"})",
                                        R"({"error_min_severity":2})",
                                        R"({"error_min_severity":null})",
                                        R"({"ftp_connect_timeout_ms":99})",
                                        R"({"ftp_stall_timeout_ms":999})",
                                        R"({"ftp_stall_timeout_ms":600001})",
                                        R"({"bogus":1})",
                                        "[]"};
  for (const std::string& text : bad) {
    EXPECT_FALSE(validator.validate(json::parse(text)).empty()) << text;
    try {
      parseDriverConfig(text);
      ADD_FAILURE() << "accepted " << text;
    } catch (const sdk::Error& e) {
      EXPECT_EQ(e.reason(), "invalid_config") << text;
    }
  }
  // What the schema cannot say: max below min.
  EXPECT_THROW(parseDriverConfig(R"({"reconnect_min_ms":5000,"reconnect_max_ms":1000})"), sdk::Error);
  std::string fast =
      R"({"reconnect_min_ms":10,"reconnect_max_ms":100,"stale_timeout_ms":100,"connect_timeout_ms":1000,"keepalive_s":1,"command_timeout_ms":100})";
  EXPECT_TRUE(validator.validate(json::parse(fast)).empty());
  DriverConfig c = parseDriverConfig(fast);
  EXPECT_EQ(c.reconnect_min_ms, 10);
  EXPECT_EQ(c.stale_timeout_ms, 100);
  EXPECT_EQ(c.keepalive_s, 1);
  DriverConfig start = parseDriverConfig(R"({"start_timeout_ms":100,"keep_failed_uploads":true})");
  EXPECT_EQ(start.start_timeout_ms, 100);
  EXPECT_TRUE(start.keep_failed_uploads);
  EXPECT_EQ(c.error_min_severity, HmsSeverity::Serious);
  for (const char* level : {"fatal", "serious", "common", "info"}) {
    json one = {{"error_min_severity", level}};
    EXPECT_TRUE(validator.validate(one).empty()) << level;
    EXPECT_EQ(severityName(parseDriverConfig(one.dump()).error_min_severity), std::string(level));
  }
  try {
    parseDriverConfig(R"({"error_min_severity":"warning"})");
    ADD_FAILURE() << "accepted warning";
  } catch (const sdk::Error& e) {
    EXPECT_NE(std::string(e.what()).find("/error_min_severity must be one of fatal, serious, common, info"),
              std::string::npos)
        << e.what();
  }
}

TEST(BambuSchema, FtpSettingsAndTimeouts) {
  PrinterSettings s = parsePrinterSettings(
      with(with(kGoodSettings, "ftp_port", 2121), "ftp_data_protection", "clear").dump());
  EXPECT_EQ(s.ftp_port, 2121);
  EXPECT_EQ(s.ftp_data_protection, DataProtection::Clear);
  EXPECT_EQ(
      parsePrinterSettings(with(kGoodSettings, "ftp_data_protection", "private").dump()).ftp_data_protection,
      DataProtection::Private);
  EXPECT_EQ(
      parsePrinterSettings(with(kGoodSettings, "ftp_data_protection", "auto").dump()).ftp_data_protection,
      DataProtection::Auto);
  DriverConfig c = parseDriverConfig(R"({"ftp_connect_timeout_ms":100,"ftp_stall_timeout_ms":1000})");
  EXPECT_EQ(c.ftp_connect_timeout_ms, 100);
  EXPECT_EQ(c.ftp_stall_timeout_ms, 1000);
  c = parseDriverConfig(R"({"ftp_connect_timeout_ms":120000,"ftp_stall_timeout_ms":600000})");
  EXPECT_EQ(c.ftp_connect_timeout_ms, 120000);
  EXPECT_EQ(c.ftp_stall_timeout_ms, 600000);
}

TEST(BambuCreate, BadSettingsAreRefusedWithoutEchoingTheAccessCode) {
  testing::FakeHost host;
  json bad = with(with(kGoodSettings, "access_code", "secret code!"), "port", 0);
  try {
    host.create(descriptor(), "{}", bad.dump(), "bad");
    FAIL() << "created";
  } catch (const sdk::Error& e) {
    EXPECT_EQ(e.code(), BB_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(e.reason(), "invalid_settings");
    EXPECT_EQ(std::string(e.what()).find("secret code"), std::string::npos) << e.what();
  }
  try {
    host.create(descriptor(), R"({"keepalive_s":0})", kGoodSettings.dump(), "bad");
    FAIL() << "created";
  } catch (const sdk::Error& e) {
    EXPECT_EQ(e.reason(), "invalid_config");
    EXPECT_NE(std::string(e.what()).find("keepalive_s"), std::string::npos);
  }
  EXPECT_TRUE(host.statusReports().empty());
}

TEST(BambuCreate, CreatingDoesNotConnectOrReport) {
  testing::FakeHost host;
  auto instance = host.create(descriptor(), "{}", kGoodSettings.dump(), "p1");
  EXPECT_TRUE(
      host.logged("printer 01P00A451601106 at ssl://192.168.1.50:8883 (TLS certificate not verified)"));
  instance->destroy(); // without start: nothing to stop
  EXPECT_TRUE(host.statusReports().empty());
  for (const auto& line : host.logs()) {
    EXPECT_EQ(line.message.find("12345678"), std::string::npos) << line.message;
  }
}

struct DlCloser {
  void operator()(void* handle) const { ::dlclose(handle); }
};

TEST(BambuModule, LoadsAndReportsCapabilitiesThroughTheSharedObject) {
  std::unique_ptr<void, DlCloser> lib(::dlopen(PRINTER_BAMBU_MODULE_PATH, RTLD_NOW | RTLD_LOCAL));
  ASSERT_NE(lib, nullptr) << ::dlerror();
  auto query = reinterpret_cast<bb_plugin_query_fn>(::dlsym(lib.get(), BB_PLUGIN_QUERY_SYMBOL));
  ASSERT_NE(query, nullptr);
  const bb_plugin_descriptor* d = query(BB_ABI_MAJOR, BB_ABI_MINOR);
  ASSERT_NE(d, nullptr);
  EXPECT_STREQ(d->name, "printer.bambu");
  {
    testing::FakeHost host;
    auto instance = host.create(d, "{}", kGoodSettings.dump(), "so");
    std::string caps;
    bb_error err = sdk::detail::makeError();
    ASSERT_EQ(static_cast<const bb_printer_driver_ops*>(d->ops)->capabilities(
                  instance->self(), &sdk::detail::appendToString, &caps, &err),
              BB_OK);
    EXPECT_EQ(json::parse(caps)["start_print"], true);
  }
}

} // namespace config_test
} // namespace bambuddy::printer_bambu::test
