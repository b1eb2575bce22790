// The SDK's test-side schema check (bambuddy/testing/schema_check.hpp) and its JSON value: the
// messages, the defaults, and the refusal FakeHost gives.
#include <bambuddy/testing/schema_check.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bambuddy::testing {
namespace schema_check_test {

std::vector<std::string> issuesOf(const std::string& schema, const std::string& doc) {
  std::vector<std::string> out;
  for (const SchemaIssue& issue : SchemaCheck(schema).validate(JsonValue::parse(doc))) {
    out.push_back(issue.path + ": " + issue.message);
  }
  return out;
}

using Lines = std::vector<std::string>;

TEST(SchemaCheck, JsonRoundTrip) {
  JsonValue v = JsonValue::parse(R"( {"b":[1,-2.5,true,null,"x\"\u00e9\ud83d\ude00\n"],"a":{}} )");
  EXPECT_EQ(v.dump(), "{\"a\":{},\"b\":[1,-2.5,true,null,\"x\\\"\xC3\xA9\xF0\x9F\x98\x80\\u000a\"]}");
  EXPECT_TRUE(JsonValue::parse("12").isInteger());
  EXPECT_FALSE(JsonValue::parse("2.0").isInteger());
  EXPECT_EQ(JsonValue::parse("2.0"), JsonValue::parse("2"));
  EXPECT_EQ(JsonValue::parse("[9223372036854775807]").dump(), "[9223372036854775807]");
  for (const char* bad : {"", "{", "[1,]", "{\"a\" 1}", "01", "\"\\ud800\"", "tru", "1 2", "\"a\tb\""}) {
    EXPECT_THROW(JsonValue::parse(bad), std::invalid_argument) << bad;
  }
}

TEST(SchemaCheck, TheServersWords) {
  const std::string schema = R"({
    "type": "object", "required": ["server"], "additionalProperties": false,
    "properties": {
      "server": {"type": "string", "minLength": 1, "maxLength": 5},
      "mode": {"enum": ["a", "b"]},
      "port": {"type": "integer", "minimum": 1, "maximum": 65535},
      "ratio": {"type": "number", "exclusiveMinimum": 0},
      "name": {"type": "string", "pattern": "^[a-z]+$"},
      "tags": {"type": "array", "items": {"type": "string", "minLength": 2}, "minItems": 1, "maxItems": 2,
               "uniqueItems": true},
      "priority": {"type": "object", "propertyNames": {"pattern": "^[a-z_]+$"},
                   "additionalProperties": {"type": "integer", "maximum": 10}}
    }})";
  EXPECT_EQ(issuesOf(schema, "{}"), Lines{"server: required"});
  EXPECT_EQ(issuesOf(schema, R"({"server": ""})"), Lines{"server: must not be empty"});
  EXPECT_EQ(issuesOf(schema, R"({"server": "\u00e9\u00e9\u00e9\u00e9\u00e9"})"), Lines{}) << "code points";
  EXPECT_EQ(issuesOf(schema, R"({"server": "toolong"})"), Lines{"server: must be at most 5 characters long"});
  EXPECT_EQ(issuesOf(schema, R"({"server": 5})"), Lines{"server: expected string, got integer"});
  EXPECT_EQ(issuesOf(schema, R"({"server": "a", "extra": 1, "other": 2})"),
            (Lines{"extra: unknown key", "other: unknown key"}));
  EXPECT_EQ(issuesOf(schema, R"({"server": "a", "mode": "c"})"), Lines{"mode: must be one of: a, b"});
  EXPECT_EQ(issuesOf(schema, R"({"server": "a", "port": 0})"), Lines{"port: must be >= 1"});
  EXPECT_EQ(issuesOf(schema, R"({"server": "a", "port": 70000})"), Lines{"port: must be <= 65535"});
  EXPECT_EQ(issuesOf(schema, R"({"server": "a", "port": 80.0})"),
            Lines{"port: expected integer, got number"});
  EXPECT_EQ(issuesOf(schema, R"({"server": "a", "ratio": 0})"), Lines{"ratio: must be > 0"});
  EXPECT_EQ(issuesOf(schema, R"({"server": "a", "name": "A1"})"),
            Lines{"name: does not match pattern ^[a-z]+$"});
  EXPECT_EQ(issuesOf(schema, R"({"server": "a", "tags": []})"), Lines{"tags: must have at least 1 item"});
  EXPECT_EQ(issuesOf(schema, R"({"server": "a", "tags": ["ab", "x", "cd"]})"),
            (Lines{"tags[1]: must be at least 2 characters long", "tags: must have at most 2 items"}));
  EXPECT_EQ(issuesOf(schema, R"({"server": "a", "tags": ["ab", "ab"]})"),
            Lines{"tags: items must be unique"});
  EXPECT_EQ(
      issuesOf(schema, R"({"server": "a", "priority": {"print_failed": 11, "Bad": 1}})"),
      (Lines{"priority.Bad: key does not match pattern ^[a-z_]+$", "priority.print_failed: must be <= 10"}));
  EXPECT_EQ(issuesOf(schema, "[]"), Lines{": expected object, got array"});
}

TEST(SchemaCheck, CombinationsAndReferences) {
  const std::string schema = R"({
    "definitions": {"port": {"type": "integer", "minimum": 1}},
    "type": "object",
    "properties": {
      "a": {"$ref": "#/definitions/port"},
      "b": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
      "c": {"not": {"const": "x"}},
      "d": {"anyOf": [{"type": "string"}, {"type": "null"}]}
    },
    "dependencies": {"e": ["a"]}})";
  EXPECT_EQ(issuesOf(schema, R"({"a": 0})"), Lines{"a: must be >= 1"});
  EXPECT_EQ(issuesOf(schema, R"({"b": true})"), Lines{"b: does not match any of the allowed forms"});
  EXPECT_EQ(issuesOf(schema, R"({"c": "x"})"), Lines{"c: is not allowed here"});
  EXPECT_EQ(issuesOf(schema, R"({"d": 1})"), Lines{"d: does not match any of the allowed forms"});
  EXPECT_EQ(issuesOf(schema, R"({"e": 1})"), Lines{"a: required"});
  EXPECT_EQ(issuesOf(schema, R"({"a": 1, "b": 2, "c": "y", "d": null, "e": 1})"), Lines{});
  EXPECT_THROW(SchemaCheck(R"({"pattern": "("})"), std::invalid_argument);
  EXPECT_THROW(SchemaCheck("[1]"), std::invalid_argument);
}

TEST(SchemaCheck, DefaultsAsTheServerFillsThem) {
  SchemaCheck check(R"({
    "type": "object",
    "properties": {
      "timeout_ms": {"type": "integer", "default": 10000},
      "set": {"type": "integer", "default": 1},
      "tls": {"type": "object", "properties": {"verify": {"type": "boolean", "default": true}}},
      "auth": {"type": "object", "required": ["user"], "properties": {"port": {"default": 1}}},
      "list": {"type": "array", "items": {"type": "object", "properties": {"n": {"default": 0}}}}
    }})");
  JsonValue doc = JsonValue::parse(R"({"set": 5, "list": [{}, {"n": 2}]})");
  check.applyDefaults(doc);
  EXPECT_EQ(doc, JsonValue::parse(R"({"set": 5, "timeout_ms": 10000, "tls": {"verify": true},
                                     "list": [{"n": 0}, {"n": 2}]})"));
}

TEST(SchemaCheck, TheRefusalFakeHostGives) {
  const std::string schema = R"({"type": "object", "required": ["server"],
    "properties": {"server": {"type": "string"}, "timeout_ms": {"type": "integer", "minimum": 100,
    "default": 10000}, "list": {"type": "array", "items": {"type": "string"}}}})";
  std::string refusal;
  EXPECT_EQ(checkAgainstSchema(schema, R"({"timeout_ms": 5, "list": [1]})", "settings", refusal),
            std::nullopt);
  EXPECT_EQ(refusal, "settings.server: required; settings.list[0]: expected string, got integer; "
                     "settings.timeout_ms: must be >= 100");
  EXPECT_EQ(checkAgainstSchema(schema, "{", "config", refusal), std::nullopt);
  EXPECT_EQ(refusal, "config: not valid JSON at offset 1: expected a key");
  EXPECT_EQ(checkAgainstSchema(schema, R"({"server": "s"})", "settings", refusal),
            std::optional<std::string>(R"({"server":"s","timeout_ms":10000})"));
}

} // namespace schema_check_test
} // namespace bambuddy::testing
