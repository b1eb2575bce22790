// Shared fixture for the notifier.slack tests: the common notifier fixture, with the plugin's
// config letting webhook URLs point at the local receiver that stands in for Slack.
#pragma once

#include "testing/notifier_fixture.h"

namespace bambuddy::notifier_slack::test {

using common::testing::kCompleteData;
using common::testing::kNowMs;
using common::testing::notification;
using nlohmann::json;

inline const std::string kWebhookPath = "/services/T0FARM123/B0HOOK456/SECRETxyz0987654321abcd";

class SlackTest : public common::testing::NotifierFixture {
protected:
  json localConfig() const { return json{{"webhook_origins", {rx_.url("")}}}; }
  json local() const { return json{{"webhook_url", rx_.url(kWebhookPath)}}; }
  std::unique_ptr<bambuddy::testing::FakeHost::Instance> createLocal(const json& settings) {
    return create(settings, localConfig());
  }
};

} // namespace bambuddy::notifier_slack::test
