// Shared fixture for the notifier.telegram tests: the common notifier fixture, with api_url
// pointing at the local receiver that stands in for the Bot API.
#pragma once

#include "testing/notifier_fixture.h"

namespace bambuddy::notifier_telegram::test {

using common::testing::kCompleteData;
using common::testing::kNowMs;
using common::testing::notification;
using nlohmann::json;

inline const std::string kToken = "123456789:AAHk-SECRETtoken_abcdefghijkl";

class TelegramTest : public common::testing::NotifierFixture {
protected:
  json local() const {
    return json{{"bot_token", kToken}, {"chat_id", -1001234567890}, {"api_url", rx_.url("")}};
  }
};

} // namespace bambuddy::notifier_telegram::test
