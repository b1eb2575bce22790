// The SDK's test-side schema check (what FakeHost refuses and fills in) against the server's
// validator, on every schema the plugins of this tree ship: for a spread of right and wrong
// documents both must give the same issues (path and message) and the same defaults, so a plugin
// test sees what the server would do.
#include "config/schema_validator.h"

#include <bambuddy/testing/schema_check.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace bambuddy::plugins {
namespace schema_check_parity_test {

using nlohmann::json;
namespace fs = std::filesystem;

std::vector<fs::path> shippedSchemas() {
  std::vector<fs::path> out;
  const fs::path root = BAMBUDDY_SOURCE_DIR;
  for (const fs::path& dir : {root / "plugins", root / "examples"}) {
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
      std::string name = entry.path().filename().string();
      if (entry.is_regular_file() && name.size() > 12 && name.substr(name.size() - 12) == ".schema.json") {
        out.push_back(entry.path());
      }
    }
  }
  return out;
}

// The starting document: the schema's first example, else {}.
json baseOf(const json& schema) {
  if (schema.contains("examples") && schema["examples"].is_array() && !schema["examples"].empty()) {
    return schema["examples"][0];
  }
  return json::object();
}

// Right and wrong documents: the base, {}, an unknown key, and every top-level property (and
// every property of an object-valued one) set to each of a range of values.
std::vector<json> documentsFor(const json& schema) {
  const std::vector<json> values = {"",
                                    "x",
                                    std::string(5000, 'a'),
                                    "http://127.0.0.1:1/p",
                                    0,
                                    -1,
                                    1,
                                    1000000000,
                                    1.5,
                                    true,
                                    nullptr,
                                    json::array(),
                                    json::array({"", 1}),
                                    json::array({"10.0.0.0/8"}),
                                    json::object(),
                                    json{{"a", 1}},
                                    json{{"*", 11}, {"Bad Key", 1}},
                                    json{{"Bad Key", 1}},
                                    json{{"test", {{"title", 5}}}}};
  json base = baseOf(schema);
  std::vector<json> out = {base, json::object(), json::array(), "text"};
  json unknown = base;
  unknown["surely_not_a_key"] = 1;
  out.push_back(unknown);
  if (!schema.contains("properties") || !schema["properties"].is_object()) {
    return out;
  }
  for (auto it = schema["properties"].begin(); it != schema["properties"].end(); ++it) {
    for (const json& value : values) {
      json doc = base;
      doc[it.key()] = value;
      out.push_back(doc);
    }
    json without = base;
    without.erase(it.key());
    out.push_back(without);
    if (it.value().contains("properties") && it.value()["properties"].is_object()) {
      for (auto inner = it.value()["properties"].begin(); inner != it.value()["properties"].end(); ++inner) {
        for (const json& value : values) {
          json doc = base;
          doc[it.key()] = json::object();
          doc[it.key()][inner.key()] = value;
          out.push_back(doc);
        }
      }
    }
  }
  return out;
}

std::set<std::string> serverIssues(const config::SchemaValidator& validator, const json& doc) {
  std::set<std::string> out;
  for (const config::SchemaIssue& issue : validator.validate(doc)) {
    out.insert(issue.path + ": " + issue.message);
  }
  return out;
}

std::set<std::string> sdkIssues(const testing::SchemaCheck& check, const json& doc) {
  std::set<std::string> out;
  for (const testing::SchemaIssue& issue : check.validate(testing::JsonValue::parse(doc.dump()))) {
    out.insert(issue.path + ": " + issue.message);
  }
  return out;
}

std::string joined(const std::set<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) {
    out += (out.empty() ? "" : " | ") + line;
  }
  return out.empty() ? "(valid)" : out;
}

// Two known differences, both where the server's words are poor and the SDK's more precise:
//  - anyOf / oneOf: the server may add the closest branch's own issue beside the summary; the SDK
//    gives the summary only.
//  - a key refused by propertyNames: the server reports no issue of its own for it ("invalid value"
//    at the root when nothing else is wrong); the SDK says "<path>: key does not match pattern ...".
// Valid or not must always agree; everything else must be equal.
bool sameVerdict(std::set<std::string> server, std::set<std::string> sdk) {
  if (server.empty() != sdk.empty()) {
    return false;
  }
  for (auto it = sdk.begin(); it != sdk.end();) {
    it = it->find(": key does not match pattern") != std::string::npos ? sdk.erase(it) : std::next(it);
  }
  server.erase(": invalid value");
  if (server == sdk) {
    return true;
  }
  bool summary = false;
  for (const std::string& line : sdk) {
    summary = summary || line.find("allowed forms") != std::string::npos;
  }
  if (!summary) {
    return false;
  }
  for (const std::string& line : sdk) {
    if (server.count(line) == 0) {
      return false;
    }
  }
  return true;
}

TEST(SchemaCheckParity, EveryShippedSchemaGivesTheServersIssuesAndDefaults) {
  std::vector<fs::path> schemas = shippedSchemas();
  ASSERT_GE(schemas.size(), 30u);
  size_t compared = 0;
  for (const fs::path& file : schemas) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    json schema = json::parse(text.str());
    config::SchemaValidator validator(schema);
    testing::SchemaCheck check(text.str());
    for (const json& doc : documentsFor(schema)) {
      std::set<std::string> server = serverIssues(validator, doc);
      std::set<std::string> sdk = sdkIssues(check, doc);
      EXPECT_TRUE(sameVerdict(server, sdk))
          << file.string() << "\n  document: " << doc.dump().substr(0, 300)
          << "\n  server: " << joined(server) << "\n  sdk:    " << joined(sdk);
      if (server.empty()) {
        json filled = doc;
        config::applyDefaults(schema, filled);
        testing::JsonValue sdk_filled = testing::JsonValue::parse(doc.dump());
        check.applyDefaults(sdk_filled);
        EXPECT_EQ(json::parse(sdk_filled.dump()), filled) << file.string() << ": " << doc.dump();
      }
      ++compared;
    }
  }
  EXPECT_GT(compared, 1000u);
}

} // namespace schema_check_parity_test
} // namespace bambuddy::plugins
