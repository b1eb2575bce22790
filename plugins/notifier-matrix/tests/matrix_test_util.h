// Shared fixture for the notifier.matrix tests: the common notifier fixture, with the homeserver
// pointing at the local receiver that stands in for it.
#pragma once

#include "testing/notifier_fixture.h"

namespace bambuddy::notifier_matrix::test {

using common::testing::kCompleteData;
using common::testing::kNowMs;
using common::testing::notification;
using nlohmann::json;

inline const std::string kAccessToken = "syt_YmFtYnVkZHk_SECRETtoken_1a2b3c";
inline const std::string kRoomPath =
    "/_matrix/client/v3/rooms/%21AbCdEf123%3Aexample.org/send/m.room.message/";

class MatrixTest : public common::testing::NotifierFixture {
protected:
  json local() const {
    return json{
        {"homeserver", rx_.url("")}, {"access_token", kAccessToken}, {"room_id", "!AbCdEf123:example.org"}};
  }
};

} // namespace bambuddy::notifier_matrix::test
