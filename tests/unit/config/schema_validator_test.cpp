#include "config/schema_validator.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace bambuddy::config {
namespace schema_validator_test {

using nlohmann::json;

const char* const kSchema = R"({
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "threads": { "type": "integer", "minimum": 1, "maximum": 64, "default": 2 },
    "ratio": { "type": "number", "exclusiveMinimum": 0 },
    "level": { "enum": ["debug", "info", "warn", "error"], "default": "info" },
    "name": { "type": "string", "pattern": "^[a-z]+$", "minLength": 1 },
    "tags": { "type": "array", "items": { "type": "string" }, "maxItems": 2, "uniqueItems": true },
    "maybe": { "type": ["string", "null"] },
    "nested": {
      "type": "object",
      "additionalProperties": false,
      "properties": { "depth": { "type": "integer", "default": 3 }, "flag": { "type": "boolean" } }
    },
    "items": {
      "type": "array",
      "items": {
        "type": "object",
        "additionalProperties": false,
        "required": ["id"],
        "properties": {
          "id": { "type": "string" },
          "enabled": { "type": "boolean", "default": true },
          "config": { "type": "object", "required": ["topic"], "properties": { "topic": { "type": "string" } } }
        }
      }
    },
    "free": { "type": "object", "patternProperties": { "^x_": { "type": "integer" } }, "additionalProperties": false }
  }
})";

std::vector<std::string> issues(const json& doc) {
  SchemaValidator validator(json::parse(kSchema));
  std::vector<std::string> out;
  for (const SchemaIssue& issue : validator.validate(doc)) {
    out.push_back(issue.pointer + " | " + issue.path + " | " + issue.message);
  }
  return out;
}

// valijson walks keywords in its own order, so compare as sets where several issues appear.
std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST(SchemaValidator, ValidDocumentHasNoIssues) {
  EXPECT_TRUE(
      issues(json::parse(R"({"threads": 4, "level": "warn", "items": [{"id": "a", "config": {"topic": "t"}}],
                                      "free": {"x_1": 2}, "maybe": null})"))
          .empty());
  EXPECT_TRUE(issues(json::object()).empty());
}

TEST(SchemaValidator, TypeMismatchNamesBothTypes) {
  EXPECT_EQ(issues(json::parse(R"({"threads": "x"})")),
            (std::vector<std::string>{"/threads | threads | expected integer, got string"}));
  EXPECT_EQ(issues(json::parse(R"({"threads": 2.5})")),
            (std::vector<std::string>{"/threads | threads | expected integer, got number"}));
  EXPECT_EQ(issues(json::parse(R"({"maybe": 3})")),
            (std::vector<std::string>{"/maybe | maybe | expected string or null, got integer"}));
  EXPECT_EQ(issues(json::parse(R"([1])")), (std::vector<std::string>{" |  | expected object, got array"}));
}

TEST(SchemaValidator, BoundsEnumsAndPatterns) {
  EXPECT_EQ(issues(json::parse(R"({"threads": 0})")),
            (std::vector<std::string>{"/threads | threads | must be >= 1"}));
  EXPECT_EQ(issues(json::parse(R"({"threads": 65})")),
            (std::vector<std::string>{"/threads | threads | must be <= 64"}));
  EXPECT_EQ(issues(json::parse(R"({"ratio": 0})")),
            (std::vector<std::string>{"/ratio | ratio | must be > 0"}));
  EXPECT_EQ(issues(json::parse(R"({"level": "loud"})")),
            (std::vector<std::string>{"/level | level | must be one of: debug, info, warn, error"}));
  EXPECT_EQ(issues(json::parse(R"({"name": "Abc"})")),
            (std::vector<std::string>{"/name | name | does not match pattern ^[a-z]+$"}));
  EXPECT_EQ(issues(json::parse(R"({"name": ""})")),
            (std::vector<std::string>{"/name | name | must not be empty",
                                      "/name | name | does not match pattern ^[a-z]+$"}));
  EXPECT_EQ(issues(json::parse(R"({"tags": ["a", "b", "c"]})")),
            (std::vector<std::string>{"/tags | tags | must have at most 2 items"}));
  EXPECT_EQ(issues(json::parse(R"({"tags": ["a", "a"]})")),
            (std::vector<std::string>{"/tags | tags | items must be unique"}));
}

TEST(SchemaValidator, RequiredPointsAtTheMissingKey) {
  EXPECT_EQ(sorted(issues(
                json::parse(R"({"items": [{"id": "a"}, {"id": "b"}, {"enabled": true, "config": {}}]})"))),
            sorted({"/items/2/id | items[2].id | required",
                    "/items/2/config/topic | items[2].config.topic | required"}));
}

TEST(SchemaValidator, EveryUnknownKeyIsReported) {
  EXPECT_EQ(sorted(issues(json::parse(R"({"threads": 2, "bogus": 1, "other": 2, "nested": {"depht": 1}})"))),
            sorted({"/bogus | bogus | unknown key", "/other | other | unknown key",
                    "/nested/depht | nested.depht | unknown key"}));
  EXPECT_EQ(issues(json::parse(R"({"it's": 1})")), (std::vector<std::string>{"/it's | it's | unknown key"}));
  EXPECT_EQ(issues(json::parse(R"({"free": {"x_ok": 1, "y": 2}})")),
            (std::vector<std::string>{"/free/y | free.y | unknown key"}));
}

TEST(SchemaValidator, NestedIssuesAreSpecificAndWrappersDropped) {
  auto found =
      sorted(issues(json::parse(R"({"items": [{"id": 5, "enabled": "yes"}], "free": {"x_a": "s"}})")));
  EXPECT_EQ(found, sorted({"/items/0/id | items[0].id | expected string, got integer",
                           "/items/0/enabled | items[0].enabled | expected boolean, got string",
                           "/free/x_a | free.x_a | expected integer, got string"}));
}

TEST(SchemaValidator, CombinatorsAndRefs) {
  json schema = json::parse(R"({
    "definitions": { "port": { "type": "integer", "minimum": 1 } },
    "type": "object",
    "properties": {
      "port": { "$ref": "#/definitions/port" },
      "mode": { "anyOf": [ { "const": "auto" }, { "type": "integer" } ] }
    }
  })");
  SchemaValidator validator(schema);
  auto found = validator.validate(json::parse(R"({"port": 0})"));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].pointer, "/port");
  EXPECT_EQ(found[0].message, "must be >= 1");
  found = validator.validate(json::parse(R"({"mode": "manual"})"));
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found.back().pointer, "/mode");
  EXPECT_EQ(found.back().message, "does not match any of the allowed forms");
  EXPECT_TRUE(validator.validate(json::parse(R"({"mode": "auto", "port": 8})")).empty());
}

TEST(SchemaValidator, TupleWithoutAdditionalItems) {
  SchemaValidator validator(
      json::parse(R"({"type": "array", "items": [{"type": "string"}, {"type": "integer"}],
                                           "additionalItems": false})"));
  EXPECT_TRUE(validator.validate(json::parse(R"(["a", 1])")).empty());
  auto found = validator.validate(json::parse(R"(["a", "b", 3])"));
  std::vector<std::string> messages;
  for (const SchemaIssue& issue : found) {
    messages.push_back(issue.path + ": " + issue.message);
  }
  EXPECT_EQ(sorted(messages), sorted({"[1]: expected integer, got string", ": must have at most 2 items"}));
}

TEST(SchemaValidator, InvalidSchemasAreRefusedWithAReason) {
  auto refused = [](const char* text) {
    try {
      SchemaValidator validator(json::parse(text));
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(refused(R"({"type": 5})").find("invalid JSON schema"), std::string::npos);
  EXPECT_NE(refused(R"({"properties": {"a": {"pattern": "(unclosed"}}})")
                .find("bad regular expression '(unclosed'"),
            std::string::npos);
  EXPECT_NE(refused(R"({"patternProperties": {"[": {}}})").find("bad regular expression"), std::string::npos);
  EXPECT_NE(refused(R"({"$ref": "#/definitions/missing"})").find("invalid JSON schema"), std::string::npos);
  EXPECT_NE(refused(R"({"$ref": "http://example.com/schema.json"})").find("invalid JSON schema"),
            std::string::npos);
  EXPECT_NE(refused(R"("nope")").find("invalid JSON schema"), std::string::npos);
  // A "pattern" that is data (a default value), not a keyword, is not compiled.
  EXPECT_EQ(refused(R"({"properties": {"a": {"default": {"pattern": "("}}}})"), "accepted");
}

TEST(SchemaValidator, ValidateIsUsableFromSeveralThreadsAndMovable) {
  SchemaValidator a(json::parse(kSchema));
  SchemaValidator b(std::move(a));
  json bad = json::parse(R"({"threads": 0, "bogus": 1})");
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (b.validate(bad).size() != 2u) {
          ++wrong;
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(wrong.load(), 0);
}

// Validators are pooled with the "pattern" regexes they compiled; threads never share one, and a
// reused one answers as a fresh one did.
TEST(SchemaValidator, PatternsCheckAlikeOnEveryThreadAndEveryCall) {
  SchemaValidator v(json::parse(R"({"type": "object", "properties": {
      "code": {"type": "string", "pattern": "^[A-Z]{3}$"},
      "tag": {"type": "string", "pattern": "^[a-z_]+$"}}})"));
  json good = {{"code", "EUR"}, {"tag", "a_b"}};
  json bad = {{"code", "euro"}, {"tag", "A B"}};
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        bool use_bad = (i + t) % 2 == 0;
        std::size_t issues = v.validate(use_bad ? bad : good).size();
        if (issues != (use_bad ? 2u : 0u)) {
          ++wrong;
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(wrong.load(), 0);
  auto issues = v.validate(bad);
  ASSERT_EQ(issues.size(), 2u);
  EXPECT_EQ(issues[0].message, "does not match pattern ^[A-Z]{3}$");
}

TEST(ApplyDefaults, FillsMissingPropertiesRecursively) {
  json schema = json::parse(kSchema);
  json doc = json::parse(R"({"items": [{"id": "a"}, {"id": "b", "enabled": false}]})");
  applyDefaults(schema, doc);
  EXPECT_EQ(doc["threads"], 2);
  EXPECT_EQ(doc["level"], "info");
  EXPECT_EQ(doc["items"][0]["enabled"], true);
  EXPECT_EQ(doc["items"][1]["enabled"], false);
  // "nested" is absent and has no default of its own, but its properties do.
  EXPECT_EQ(doc["nested"], json::parse(R"({"depth": 3})"));
  // Properties without defaults stay absent; present values are kept.
  EXPECT_FALSE(doc.contains("name"));
  EXPECT_FALSE(doc["items"][0].contains("config"));
  json present = json::parse(R"({"threads": 9, "nested": {"flag": true}})");
  applyDefaults(schema, present);
  EXPECT_EQ(present["threads"], 9);
  EXPECT_EQ(present["nested"], json::parse(R"({"depth": 3, "flag": true})"));
}

TEST(ApplyDefaults, IgnoresMistypedValues) {
  json schema = json::parse(kSchema);
  json doc = json::parse(R"({"nested": 5, "items": "no"})");
  applyDefaults(schema, doc);
  EXPECT_EQ(doc["nested"], 5);
  EXPECT_EQ(doc["items"], "no");
}

} // namespace schema_validator_test
} // namespace bambuddy::config

namespace bambuddy::config {
namespace schema_validator_test {

// "format" applies to strings only (JSON Schema: other types pass), so a nullable date-time may be
// null; and a date-time is checked without a regex, so a megabyte of digits (as a request body may
// hold) is refused quickly instead of recursing through std::regex until the stack runs out.
TEST(SchemaValidator, FormatsCheckStringsOnlyAndLongInputSafely) {
  const json schema = {{"type", "object"},
                       {"properties",
                        {{"at", {{"type", {"string", "null"}}, {"format", "date-time"}}},
                         {"day", {{"type", "string"}, {"format", "date"}}},
                         {"clock", {{"type", "string"}, {"format", "time"}}}}}};
  SchemaValidator validator(schema);
  EXPECT_TRUE(validator.validate({{"at", nullptr}}).empty());
  EXPECT_TRUE(validator.validate({{"at", "2030-01-31T23:59:60.5+02:00"}}).empty());
  EXPECT_TRUE(validator.validate({{"at", "2030-01-31t00:00:00z"}}).empty());
  EXPECT_TRUE(validator.validate({{"day", "2024-02-29"}, {"clock", "16:52:45Z"}}).empty());
  for (const char* bad :
       {"2030-02-30T00:00:00Z", "2030-13-01T00:00:00Z", "2030-01-01 00:00:00Z", "2030-01-01T24:00:00Z",
        "2030-01-01T00:00:00", "2030-01-01T00:00:00+2:00", "next week", ""}) {
    std::vector<SchemaIssue> issues = validator.validate({{"at", bad}});
    ASSERT_EQ(issues.size(), 1u) << bad;
    EXPECT_EQ(issues[0].path, "at");
    EXPECT_EQ(issues[0].message, "must be a valid date-time") << bad;
  }
  EXPECT_EQ(validator.validate({{"day", "2023-02-29"}}).size(), 1u);
  EXPECT_EQ(validator.validate({{"clock", "16:52"}}).size(), 1u);
  const std::string digits(1 << 20, '1');
  std::vector<SchemaIssue> issues = validator.validate({{"at", digits + "-01-01T00:00:00Z"}});
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].message, "must be a valid date-time");
  EXPECT_TRUE(validator.validate({{"at", "2030-01-01T00:00:00." + digits + "Z"}}).empty())
      << "RFC 3339 puts no bound on the fraction";
}

} // namespace schema_validator_test
} // namespace bambuddy::config

namespace bambuddy::config {
namespace schema_validator_test {

// A string or key past 4 KiB where a pattern applies is refused before valijson's std::regex sees
// it (a few tens of kilobytes overflow the stack there); shorter ones are still matched.
TEST(SchemaValidator, LongInputNeverReachesAPattern) {
  const json schema = {{"type", "object"},
                       {"properties",
                        {{"serial", {{"type", "string"}, {"pattern", "^[A-Za-z0-9_-]+$"}}},
                         {"free", {{"type", "string"}}},
                         {"headers", {{"type", "object"}, {"propertyNames", {{"pattern", "^[a-z-]+$"}}}}}}}};
  SchemaValidator validator(schema);
  const std::string huge(1 << 20, 'a');
  std::vector<SchemaIssue> issues = validator.validate({{"serial", huge}});
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].path, "serial");
  EXPECT_EQ(issues[0].message, "is too long to check against its pattern (at most 4096 bytes)");
  EXPECT_TRUE(validator.validate({{"serial", std::string(4096, 'a')}}).empty());
  EXPECT_EQ(validator.validate({{"serial", std::string(4096, '!')}}).size(), 1u) << "still matched";
  EXPECT_TRUE(validator.validate({{"free", huge}}).empty()) << "no pattern, no limit";
  issues = validator.validate({{"headers", {{huge, "x"}}}});
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].message, "key is too long to check against its pattern (at most 4096 bytes)");
  EXPECT_TRUE(validator.validate({{"headers", {{"x-token", "y"}}}}).empty());
}

} // namespace schema_validator_test
} // namespace bambuddy::config
