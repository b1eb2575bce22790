// Print notifications carry the print's thumbnail end to end, through the real server binary: a 3MF
// uploaded with a thumbnail is printed on a simulated printer from its archive, and the Discord
// message of print_complete reaches a local receiver (standing in for discord.com through the
// plugin's operator-only webhook_origins) as multipart/form-data with exactly the PNG that
// GET /api/v1/archives/{id}/thumbnail serves. With notifications.max_attachment_bytes below its size
// the message goes as plain JSON, without the image; the preview route renders without sending.
#include "support/http_client.h"
#include "support/http_receiver.h"
#include "support/server_api.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace bambuddy::testing {
namespace notification_images_test {

using nlohmann::json;

const std::string kAdminKey = "bb_V3xq9Lm2Rk7Tz4Yc8Np1Hs6Jd0Fw5Gb-Ua_Ei3Oo7Qt";

class NotificationImagesTest : public ::testing::Test {
protected:
  void start(int64_t max_attachment_bytes) {
    std::string yaml = "server:\n  listen: 127.0.0.1:0\n"
                       "auth:\n  rate_limits: {read: 100000, write: 100000, control: 100000}\n"
                       "notifications:\n  max_attachment_bytes: " +
                       std::to_string(max_attachment_bytes) + "\ndata_dir: " + dir_.file("data") +
                       "\nplugins:\n  search_path: [" + pluginDir() +
                       "]\n  load:\n"
                       "    - name: storage.local\n"
                       "    - name: auth.apikey\n"
                       "    - name: printer.sim\n"
                       "    - name: notifier.discord\n"
                       "      config: {webhook_origins: [\"http://127.0.0.1:" +
                       std::to_string(discord_.port()) + "\"]}\n";
    server_ = std::make_unique<ServerProcess>(
        serverBinary(), std::vector<std::string>{"--config", dir_.write("bambuddy.yaml", yaml)},
        std::map<std::string, std::string>{{"BAMBUDDY_ADMIN_KEY", kAdminKey}});
    ASSERT_TRUE(server_->waitReady()) << server_->log();
    api_ = ServerApi(server_->port(), kAdminKey);
  }

  int64_t addDiscord() {
    ApiAnswer a = api_.call(
        "POST", "/api/v1/notifications",
        json{{"type", "discord"},
             {"name", "farm channel"},
             {"events", {"print_complete"}},
             {"settings",
              {{"webhook_url", discord_.url("/api/webhooks/1184000000000000001/integration-token")}}}});
    EXPECT_EQ(a.status, 201) << a.raw;
    return a.body.is_object() ? a.body.value("id", int64_t{0}) : 0;
  }

  // Prints `archive` on a new simulated printer and waits for its print_complete at the receiver.
  ReceivedRequest printAndReceive(int64_t archive) {
    const int64_t printer = api_.addSim("Imaged");
    ApiAnswer started = api_.call("POST", "/api/v1/printers/" + std::to_string(printer) + "/print/start",
                                  json{{"archive_id", archive}});
    EXPECT_EQ(started.status, 202) << started.raw;
    EXPECT_TRUE(discord_.waitForRequests(1, 30000)) << server_->log();
    std::vector<ReceivedRequest> got = discord_.requests();
    return got.empty() ? ReceivedRequest{} : got.front();
  }

  std::string thumbnailOf(int64_t archive) {
    HttpResult r = httpRequest("127.0.0.1", server_->port(), "GET",
                               "/api/v1/archives/" + std::to_string(archive) + "/thumbnail", "",
                               {{"X-API-Key", kAdminKey}}, 5000);
    EXPECT_EQ(r.status, 200);
    return r.body;
  }

  HttpReceiver discord_;
  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  ServerApi api_;
};

TEST_F(NotificationImagesTest, APrintCompleteGoesToDiscordWithTheArchivesThumbnail) {
  start(2 * 1024 * 1024);
  addDiscord();
  const int64_t archive = api_.upload("imaged-cube");
  const std::string png = thumbnailOf(archive);
  ASSERT_GT(png.size(), 8u);
  ReceivedRequest sent = printAndReceive(archive);
  EXPECT_EQ(sent.path, "/api/webhooks/1184000000000000001/integration-token");
  auto parts = sent.multipart();
  ASSERT_TRUE(parts) << "not multipart: " << sent.header("content-type");
  const MultipartPart* payload = nullptr;
  const MultipartPart* file = nullptr;
  for (const MultipartPart& part : *parts) {
    if (part.name == "payload_json") {
      payload = &part;
    } else if (part.has_filename) {
      file = &part;
    }
  }
  ASSERT_NE(payload, nullptr);
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(file->content_type, "image/png");
  EXPECT_EQ(file->body, png) << "the archive's thumbnail, byte for byte";
  json message = json::parse(payload->body);
  ASSERT_EQ(message["embeds"].size(), 1u);
  EXPECT_NE(message["embeds"][0].dump().find("attachment://" + file->filename), std::string::npos)
      << "the embed shows the attached image: " << message.dump();
}

TEST_F(NotificationImagesTest, AThumbnailOverTheCapIsLeftOutAndTheTextStillGoes) {
  start(16); // smaller than any PNG
  addDiscord();
  const int64_t archive = api_.upload("big-thumbnail");
  ReceivedRequest sent = printAndReceive(archive);
  EXPECT_FALSE(sent.multipart()) << "no image part for an image over the cap";
  json message = json::parse(sent.body, nullptr, false);
  ASSERT_TRUE(message.is_object()) << sent.body;
  EXPECT_EQ(message["embeds"].size(), 1u);
}

TEST_F(NotificationImagesTest, ThePreviewRouteRendersTheMessageAndSendsNothing) {
  start(2 * 1024 * 1024);
  const int64_t provider = addDiscord();
  ApiAnswer saved = api_.call("POST", "/api/v1/notifications/preview",
                              json{{"provider_id", provider}, {"event", "print_complete"}});
  ASSERT_EQ(saved.status, 200) << saved.raw;
  EXPECT_EQ(saved.body["type"], "discord");
  EXPECT_FALSE(saved.body["preview"]["title"].get<std::string>().empty()) << saved.raw;
  EXPECT_EQ(saved.raw.find("integration-token"), std::string::npos)
      << "a preview never shows the webhook token";

  ApiAnswer unsaved = api_.call(
      "POST", "/api/v1/notifications/preview",
      json{{"type", "discord"},
           {"event", "print_failed"},
           {"settings", {{"webhook_url", discord_.url("/api/webhooks/1184000000000000001/other-token")}}}});
  ASSERT_EQ(unsaved.status, 200) << unsaved.raw;
  ApiAnswer bad =
      api_.call("POST", "/api/v1/notifications/preview",
                json{{"type", "discord"}, {"event", "print_failed"}, {"settings", json::object()}});
  EXPECT_EQ(bad.status, 400) << bad.raw;
  ApiAnswer limited = api_.call("POST", "/api/v1/notifications/preview",
                                json{{"provider_id", provider}, {"event", "print_complete"}}.dump(),
                                api_.keyWith({"settings:read"}));
  EXPECT_EQ(limited.status, 403) << "settings:write is needed: it may create a plugin instance";
  EXPECT_TRUE(discord_.requests().empty()) << "a preview never sends";
}

} // namespace notification_images_test
} // namespace bambuddy::testing
