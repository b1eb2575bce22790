// Shared fixture for the notifier.discord tests: the common notifier fixture, with the plugin's
// config letting webhook URLs point at the local receiver that stands in for Discord.
#pragma once

#include "testing/notifier_fixture.h"

namespace bambuddy::notifier_discord::test {

using common::testing::kCompleteData;
using common::testing::kNowMs;
using common::testing::notification;
using nlohmann::json;

inline const std::string kWebhookPath = "/api/webhooks/1184000000000000001/Tok3n_SECRET-xyz";

class DiscordTest : public common::testing::NotifierFixture {
protected:
  // The config that accepts the receiver as a Discord origin.
  json localConfig() const { return json{{"webhook_origins", {rx_.url("")}}}; }
  json local() const { return json{{"webhook_url", rx_.url(kWebhookPath)}}; }
  std::unique_ptr<bambuddy::testing::FakeHost::Instance> createLocal(const json& settings) {
    return create(settings, localConfig());
  }
};

} // namespace bambuddy::notifier_discord::test
