// `<field>_file` members for secret fields (plugins/secret_file_fields.h): with the real schemas of
// printer.bambu and notifier.webhook, a config document parsed from YAML (for the lines) and real
// files in a temp directory.
#include "plugins/secret_file_fields.h"

#include "config/json_pointer.h"
#include "config/schema_validator.h"
#include "config/yaml_loader.h"

#include "support/temp_dir.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include <sys/stat.h>
#include <unistd.h>

namespace bambuddy::plugins {
namespace secret_file_fields_test {

using nlohmann::json;

const std::string kCode = "x1c-code-7f2e";

json repoSchema(const std::string& relative) {
  std::ifstream in(std::string(BAMBUDDY_SOURCE_DIR) + relative);
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str());
}

const json& bambuSchema() {
  static const json schema = repoSchema("/plugins/printer-bambu/schema/instance.schema.json");
  return schema;
}

struct Resolved {
  json settings;
  SecretFileResolution resolution;
  std::vector<std::string> errors; // formatted
};

// `yaml` is one instance's settings block, as it sits under "settings:" at the top of a file.
Resolved resolve(const testing::TempDir& dir, const std::string& yaml, const json& schema = bambuSchema()) {
  config::LoadedDocument doc = config::parseYaml(yaml, dir.file("bambuddy.yaml"));
  Resolved out;
  out.settings = doc.json["settings"];
  out.resolution = resolveSecretFiles(out.settings, schema, "/settings", doc, dir.path());
  for (const auto& e : out.resolution.errors) {
    out.errors.push_back(e.format());
    EXPECT_EQ(e.message.find(kCode), std::string::npos) << e.format();
  }
  return out;
}

TEST(SecretFileFields, ReadsTheFileIntoTheFieldSoAStrictSchemaPasses) {
  testing::TempDir dir;
  dir.write("secrets/x1c", kCode + "\n");
  Resolved r = resolve(dir, "settings:\n"
                            "  host: 192.168.1.20\n"
                            "  serial: 01P00A451601106\n"
                            "  access_code_file: secrets/x1c\n");
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(r.settings,
            json({{"host", "192.168.1.20"}, {"serial", "01P00A451601106"}, {"access_code", kCode}}));
  // printer.bambu's schema has additionalProperties: false and requires access_code.
  EXPECT_TRUE(config::SchemaValidator(bambuSchema()).validate(r.settings).empty());
  EXPECT_EQ(r.resolution.reportedPointer("/settings/access_code"), "/settings/access_code_file");
  EXPECT_EQ(r.resolution.reportedPointer("/settings/host"), "/settings/host");
}

TEST(SecretFileFields, AbsolutePathsAndOtherSecretsOfOtherSchemas) {
  testing::TempDir dir;
  std::string file = dir.write("whsec", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n");
  json webhook = repoSchema("/plugins/notifier-webhook/schema/instance.schema.json");
  Resolved r =
      resolve(dir, "settings:\n  url: http://127.0.0.1/hook\n  secret_file: " + file + "\n", webhook);
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(r.settings["secret"], "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  EXPECT_FALSE(r.settings.contains("secret_file"));
  // headers is secret but an object: a file holds text only.
  r = resolve(dir, "settings:\n  url: http://127.0.0.1/hook\n  headers_file: " + file + "\n", webhook);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0], dir.file("bambuddy.yaml") +
                             ":3 settings.headers_file: headers is not a text field, so it cannot be read "
                             "from a file");
}

TEST(SecretFileFields, NonSecretFieldsHaveNoFileSibling) {
  testing::TempDir dir;
  dir.write("host", "printer.lan\n");
  Resolved r = resolve(dir, "settings:\n  host_file: host\n  serial: S\n  access_code: c\n");
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(r.settings["host_file"], "host"); // left for the schema, which calls it an unknown key
  auto issues = config::SchemaValidator(bambuSchema()).validate(r.settings);
  ASSERT_FALSE(issues.empty());
}

TEST(SecretFileFields, Errors) {
  testing::TempDir dir;
  dir.write("code", kCode);
  const std::string yaml_file = dir.file("bambuddy.yaml");

  Resolved both = resolve(dir, "settings:\n  access_code: inline\n  access_code_file: code\n");
  ASSERT_EQ(both.errors.size(), 1u);
  EXPECT_EQ(both.errors[0],
            yaml_file +
                ":3 settings.access_code_file: give either access_code or access_code_file, not both");
  EXPECT_TRUE(both.resolution.isFailed("/settings/access_code"));

  Resolved missing = resolve(dir, "settings:\n  host: h\n  access_code_file: nope/x1c\n");
  ASSERT_EQ(missing.errors.size(), 1u);
  EXPECT_EQ(missing.errors[0], yaml_file + ":3 settings.access_code_file: cannot read secret file " +
                                   dir.file("nope/x1c") + ": No such file or directory");
  EXPECT_FALSE(missing.settings.contains("access_code"));
  EXPECT_FALSE(missing.settings.contains("access_code_file"));

  Resolved directory = resolve(dir, "settings:\n  access_code_file: " + dir.path() + "\n");
  ASSERT_EQ(directory.errors.size(), 1u);
  EXPECT_NE(directory.errors[0].find(":2 settings.access_code_file: cannot read secret file " + dir.path() +
                                     ": it is a directory"),
            std::string::npos)
      << directory.errors[0];

  dir.write("big", std::string(64 * 1024 + 1, 'a'));
  Resolved big = resolve(dir, "settings:\n  access_code_file: big\n");
  ASSERT_EQ(big.errors.size(), 1u);
  EXPECT_NE(big.errors[0].find("larger than 64 KiB"), std::string::npos) << big.errors[0];

  Resolved not_text = resolve(dir, "settings:\n  access_code_file: [a]\n");
  ASSERT_EQ(not_text.errors.size(), 1u);
  EXPECT_EQ(not_text.errors[0],
            yaml_file + ":2 settings.access_code_file: expected the path of a file holding access_code");

  if (geteuid() != 0) { // root reads a mode 000 file
    std::string locked = dir.write("locked", kCode);
    ASSERT_EQ(chmod(locked.c_str(), 0), 0);
    Resolved denied = resolve(dir, "settings:\n  access_code_file: locked\n");
    ASSERT_EQ(denied.errors.size(), 1u);
    EXPECT_NE(denied.errors[0].find("Permission denied"), std::string::npos) << denied.errors[0];
  }
}

TEST(SecretFileFields, NestedSecretsTheSchemaDescribes) {
  testing::TempDir dir;
  dir.write("pw", "nested-pw\n");
  json schema = json::parse(R"({"type": "object", "properties": {
      "auth": {"type": "object", "properties": {"password": {"type": "string", "writeOnly": true}},
               "additionalProperties": false}}})");
  Resolved r = resolve(dir, "settings:\n  auth:\n    password_file: pw\n", schema);
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(r.settings, json::parse(R"({"auth": {"password": "nested-pw"}})"));
  EXPECT_EQ(r.resolution.reportedPointer("/settings/auth/password"), "/settings/auth/password_file");
}

} // namespace secret_file_fields_test
} // namespace bambuddy::plugins
