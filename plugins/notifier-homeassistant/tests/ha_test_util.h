// Shared fixture for the notifier.homeassistant tests: the common notifier fixture, with the url
// pointing at the local receiver that stands in for Home Assistant.
#pragma once

#include "testing/notifier_fixture.h"

namespace bambuddy::notifier_homeassistant::test {

using common::testing::kCompleteData;
using common::testing::kNowMs;
using common::testing::notification;
using nlohmann::json;

inline const std::string kToken = "eyJhbGciOiJIUzI1NiJ9.SECRETpayload.sig-nature_x";

class HomeAssistantTest : public common::testing::NotifierFixture {
protected:
  json local(const std::string& service = "notify.mobile_app_pixel_8") const {
    return json{{"url", rx_.url("")}, {"token", kToken}, {"service", service}};
  }
};

} // namespace bambuddy::notifier_homeassistant::test
