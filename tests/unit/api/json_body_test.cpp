// Reading request bodies as JSON objects: every malformed body is a 400 naming the problem.
#include "api/json_body.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bambuddy::api {
namespace json_body_test {

http::Response refusal(const std::string& body) {
  http::Request request;
  request.body = body;
  http::Response error;
  std::optional<nlohmann::json> parsed;
  EXPECT_NO_THROW(parsed = parseJsonObject(request, error)) << body;
  EXPECT_FALSE(parsed.has_value()) << body;
  return error;
}

TEST(JsonBody, ObjectIsAccepted) {
  http::Request request;
  request.body = R"({"a": [1, 2.5, "x"]})";
  http::Response error;
  std::optional<nlohmann::json> parsed = parseJsonObject(request, error);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ((*parsed)["a"][1], 2.5);
}

TEST(JsonBody, SyntaxErrorNamesTheByte) {
  http::Response error = refusal(R"({"a": })");
  EXPECT_EQ(error.status, 400);
  EXPECT_NE(error.body.find("invalid_json"), std::string::npos);
  EXPECT_NE(error.body.find("at byte 7"), std::string::npos);
}

// nlohmann throws out_of_range (not parse_error) for a number beyond a double: it escaped the
// handler and every JSON route answered 500. Found by tests/fuzz/notifications.
TEST(JsonBody, NumberOutOfRangeIs400) {
  const std::vector<std::string> bodies{R"({"a": 1e999})", R"({"a": -1e400})",
                                        "{\"a\":" + std::string(400, '1') + ".0}"};
  for (const std::string& body : bodies) {
    http::Response error = refusal(body);
    EXPECT_EQ(error.status, 400) << body;
    EXPECT_NE(error.body.find("invalid_json"), std::string::npos) << error.body;
    EXPECT_NE(error.body.find("out of range"), std::string::npos) << error.body;
  }
}

TEST(JsonBody, EmptyAndNonObjectBodies) {
  EXPECT_NE(refusal("  \r\n").body.find("empty"), std::string::npos);
  EXPECT_NE(refusal("[1]").body.find("not array"), std::string::npos);
}

} // namespace json_body_test
} // namespace bambuddy::api
