// Shared fixture for the notifier.bark tests: the common notifier fixture, with the server
// pointing at the local receiver that stands in for bark-server.
#pragma once

#include "testing/notifier_fixture.h"

namespace bambuddy::notifier_bark::test {

using common::testing::kCompleteData;
using common::testing::kNowMs;
using common::testing::notification;
using nlohmann::json;

inline const std::string kDeviceKey = "NxHQvSECRETk4nDtCyZC";

class BarkTest : public common::testing::NotifierFixture {
protected:
  json local() const { return json{{"server", rx_.url("")}, {"device_key", kDeviceKey}}; }
};

} // namespace bambuddy::notifier_bark::test
