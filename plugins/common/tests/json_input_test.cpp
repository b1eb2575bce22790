// The shared JSON readers of the notifier plugins refuse input past the SDK's depth/size limits.
#include "text/json_input.h"
#include "text/notification.h"

#include <bambuddy/sdk.hpp>

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace bambuddy::common::text {
namespace json_input_test {

std::string nested(size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

TEST(JsonInput, SettingsNestedPastTheLimitAreRefusedNamingIt) {
  EXPECT_NO_THROW(parseJsonObject("{\"a\":" + nested(63) + "}", "invalid_settings", "settings"));
  try {
    parseJsonObject("{\"a\":" + nested(200000) + "}", "invalid_settings", "settings");
    FAIL() << "expected sdk::Error";
  } catch (const sdk::Error& e) {
    EXPECT_EQ(e.code(), BB_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(e.reason(), "invalid_settings");
    EXPECT_EQ(std::string(e.what()), "settings refused: JSON nested deeper than 64 levels (at byte 68)");
  }
}

TEST(JsonInput, NotificationNestedPastTheLimitIsRefused) {
  const std::string head = R"({"id":"e","event":"test","data":{"x":)";
  // The envelope may add a few levels around event data that was itself within 64.
  EXPECT_NO_THROW(parseNotification(head + nested(64) + "}}"));
  EXPECT_THROW(parseNotification(head + nested(200000) + "}}"), std::invalid_argument);
}

} // namespace json_input_test
} // namespace bambuddy::common::text
