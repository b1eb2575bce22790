// The size and depth pre-check of bambuddy/json_limits.hpp and the core's parse on top of it.
#include "common/json_parse.h"

#include <bambuddy/json_limits.hpp>

#include <gtest/gtest.h>

#include <string>

namespace bambuddy {
namespace json_limits_test {

using sdk::checkJsonLimits;
using sdk::JsonLimitCheck;
using sdk::JsonLimits;

std::string nestedArrays(std::size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

// {"a":{"a":...{"a":1}...}} with `depth` objects.
std::string nestedObjects(std::size_t depth) {
  std::string text;
  for (std::size_t i = 0; i < depth; ++i) {
    text += "{\"a\":";
  }
  text += "1";
  return text + std::string(depth, '}');
}

TEST(JsonLimits, ExactlyTheLimitPassesOneMoreIsRefused) {
  EXPECT_TRUE(checkJsonLimits(nestedArrays(64)).ok());
  EXPECT_TRUE(checkJsonLimits(nestedObjects(64)).ok());

  JsonLimitCheck arrays = checkJsonLimits(nestedArrays(65));
  EXPECT_EQ(arrays.verdict, JsonLimitCheck::Verdict::TooDeep);
  EXPECT_EQ(arrays.limit, 64u);
  EXPECT_EQ(arrays.offset, 64u); // the 65th '['
  EXPECT_EQ(arrays.message(130), "JSON nested deeper than 64 levels (at byte 64)");

  JsonLimitCheck objects = checkJsonLimits(nestedObjects(65));
  EXPECT_EQ(objects.verdict, JsonLimitCheck::Verdict::TooDeep);
  EXPECT_EQ(objects.offset, 64u * 5);
}

TEST(JsonLimits, MixedNestingCountsBothKinds) {
  std::string text;
  for (int i = 0; i < 32; ++i) {
    text += "[{\"k\":";
  }
  text += "null";
  for (int i = 0; i < 32; ++i) {
    text += "}]";
  }
  EXPECT_TRUE(checkJsonLimits(text).ok()); // 64 levels
  EXPECT_FALSE(checkJsonLimits("[" + text + "]").ok());
}

TEST(JsonLimits, DepthIsTheMaximumNotTheTotal) {
  // A thousand siblings one level deep are depth 2, however many brackets there are.
  std::string text = "[";
  for (int i = 0; i < 1000; ++i) {
    text += (i ? ",[1]" : "[1]");
  }
  text += "]";
  EXPECT_TRUE(checkJsonLimits(text, JsonLimits{2, 1 << 20}).ok());
  EXPECT_FALSE(checkJsonLimits(text, JsonLimits{1, 1 << 20}).ok());
}

TEST(JsonLimits, BracketsInsideStringsDoNotCount) {
  std::string deep_in_string = "{\"a\":\"" + std::string(500, '[') + std::string(500, '{') + "\"}";
  EXPECT_TRUE(checkJsonLimits(deep_in_string).ok());
  // An escaped quote does not end the string: the brackets after it are still inside.
  std::string escaped = "[\"say \\\"" + std::string(100, '[') + "\\\" here\"]";
  EXPECT_TRUE(checkJsonLimits(escaped).ok());
  // An escaped backslash does end the escape: the quote after it closes the string.
  std::string backslash = "[\"C:\\\\\"," + nestedArrays(64) + "]";
  EXPECT_EQ(checkJsonLimits(backslash).verdict, JsonLimitCheck::Verdict::TooDeep);
  // Runs of backslashes: an odd run before a quote escapes it, an even run does not.
  EXPECT_TRUE(checkJsonLimits(R"(["\\\"[[[", [[1]]])", JsonLimits{3, 100}).ok());
  EXPECT_FALSE(checkJsonLimits(R"(["\\\"[[[", [[1]]])", JsonLimits{2, 100}).ok());
  EXPECT_TRUE(checkJsonLimits(R"(["\\\\", [[1]]])", JsonLimits{3, 100}).ok());
  EXPECT_EQ(checkJsonLimits(R"(["\\\\", [[[1]]]])", JsonLimits{3, 100}).offset, 11u);
  // Keys are strings too.
  std::string key = "{\"" + std::string(100, '{') + "\":1}";
  EXPECT_TRUE(checkJsonLimits(key).ok());
  // \u escapes hold hex digits only and are skipped like any other character of a string.
  EXPECT_TRUE(checkJsonLimits("[\"\\u005b\\u005b\", [1]]", JsonLimits{2, 100}).ok());
}

TEST(JsonLimits, HugeInputIsRefusedBySizeBeforeScanning) {
  std::string big(2 * 1024 * 1024, ' ');
  big[0] = '1';
  JsonLimitCheck check = checkJsonLimits(big);
  EXPECT_EQ(check.verdict, JsonLimitCheck::Verdict::TooLarge);
  EXPECT_EQ(check.limit, sdk::kDefaultJsonMaxBytes);
  EXPECT_EQ(check.message(big.size()), "JSON text of 2097152 bytes exceeds the limit of 1048576 bytes");
  EXPECT_TRUE(checkJsonLimits(std::string(1024, ' '), JsonLimits{64, 1024}).ok());
  EXPECT_FALSE(checkJsonLimits(std::string(1025, ' '), JsonLimits{64, 1024}).ok());
}

TEST(JsonLimits, MalformedTextIsLeftToTheParser) {
  // Unterminated strings, stray closers and trailing escapes end the scan without a verdict; the
  // parser then reports the syntax error at or before that point.
  EXPECT_TRUE(checkJsonLimits("[\"abc").ok());
  EXPECT_TRUE(checkJsonLimits("[\"abc\\").ok());
  EXPECT_TRUE(checkJsonLimits("]]]" + nestedArrays(100)).ok());
  EXPECT_TRUE(checkJsonLimits("").ok());
  // An unclosed run of brackets is still measured.
  EXPECT_FALSE(checkJsonLimits(std::string(100000, '[')).ok());
}

TEST(JsonLimits, Attack3IsRefused) {
  std::string body = "{\"currency\":" + std::string(200000, '[') + std::string(200000, ']') + "}";
  JsonLimitCheck check = checkJsonLimits(body);
  EXPECT_EQ(check.verdict, JsonLimitCheck::Verdict::TooDeep);
  EXPECT_EQ(check.offset, 12u + 63u);
}

TEST(JsonParseLimited, ParsesWithinTheLimits) {
  std::string problem = "stale";
  nlohmann::json doc = parseJsonLimited(nestedObjects(64), &problem);
  ASSERT_FALSE(doc.is_discarded());
  EXPECT_TRUE(problem.empty());
  nlohmann::json copy = doc; // copying recurses; 64 levels are fine
  EXPECT_EQ(copy, doc);
}

TEST(JsonParseLimited, RefusesTooDeepTooLargeAndInvalid) {
  std::string problem;
  EXPECT_TRUE(parseJsonLimited(nestedArrays(65), &problem).is_discarded());
  EXPECT_EQ(problem, "JSON nested deeper than 64 levels (at byte 64)");
  EXPECT_TRUE(parseJsonLimited("{\"a\": 12345}", &problem, JsonLimits{64, 8}).is_discarded());
  EXPECT_EQ(problem, "JSON text of 12 bytes exceeds the limit of 8 bytes");
  EXPECT_TRUE(parseJsonLimited("{\"a\": }", &problem).is_discarded());
  EXPECT_EQ(problem, "not valid JSON (at byte 7)");
  EXPECT_TRUE(parseJsonLimited("]]]" + nestedArrays(100000), &problem).is_discarded());
  EXPECT_EQ(problem, "not valid JSON (at byte 1)");
  EXPECT_TRUE(parseJsonLimited("{\"a\":1}", nullptr).is_object());
}

} // namespace json_limits_test
} // namespace bambuddy
