// Shared fixture for the notifier.gotify tests: the common notifier fixture, with the server
// pointing at the local receiver that stands in for Gotify.
#pragma once

#include "testing/notifier_fixture.h"

namespace bambuddy::notifier_gotify::test {

using common::testing::kCompleteData;
using common::testing::kNowMs;
using common::testing::notification;
using nlohmann::json;

inline const std::string kAppToken = "AppSECRET.tok3n";

class GotifyTest : public common::testing::NotifierFixture {
protected:
  json local(const std::string& prefix = "") const {
    return json{{"server", rx_.url(prefix)}, {"app_token", kAppToken}};
  }
};

} // namespace bambuddy::notifier_gotify::test
