// Notifications and webhooks through the real server binary, the real notifier.webhook plugin and
// real local HTTP receivers: provider management with the secret shown once, precise 400s, the
// test endpoint with a Standard Webhooks signature checked here with OpenSSL (independently of the
// plugin's code), retries while a receiver is down, Retry-After, 410, kill -9 with pending
// deliveries, a dead receiver among healthy ones, the delivery log and redelivery, and a
// simulated print arriving as print_started / print_progress / print_complete in order.
#include "support/http_client.h"
#include "support/http_receiver.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <signal.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace bambuddy::testing {
namespace notifications_test {

using nlohmann::json;

// A fixed key with 256 bits of entropy (the server refuses a weak BAMBUDDY_ADMIN_KEY).
const std::string kAdminKey = "bb_6H-2HGJu4qwF8pvpksj63qiWKLy18EjNMS4_MjlQOBQ";

struct Answer {
  int status = 0;
  json body;
  std::string raw;
};

std::string base64Decode(const std::string& text) {
  std::string out(text.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) {
    return "";
  }
  size_t padding = 0;
  for (size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) {
    ++padding;
  }
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

std::string base64Encode(const unsigned char* data, size_t len) {
  std::string out(4 * ((len + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(len));
  out.resize(static_cast<size_t>(n));
  return out;
}

// Standard Webhooks verification as a receiver does it: HMAC-SHA256 over "id.timestamp.body" with
// the base64-decoded secret, compared in constant time against each "v1,<base64>" entry.
bool signatureValid(const ReceivedRequest& request, const std::string& secret) {
  const std::string key = base64Decode(secret.substr(6));
  const std::string signed_content =
      request.header("webhook-id") + "." + request.header("webhook-timestamp") + "." + request.body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(signed_content.data()), signed_content.size(), mac, &mac_len);
  const std::string expected = base64Encode(mac, mac_len);
  std::istringstream entries(request.header("webhook-signature"));
  std::string entry;
  while (entries >> entry) {
    if (entry.rfind("v1,", 0) == 0 && entry.size() - 3 == expected.size() &&
        CRYPTO_memcmp(entry.data() + 3, expected.data(), expected.size()) == 0) {
      return true;
    }
  }
  return false;
}

class NotificationsTest : public ::testing::Test {
protected:
  void SetUp() override { start(); }

  std::string config(const std::string& extra) {
    return dir_.write("bambuddy.yaml",
                      "server:\n  listen: 127.0.0.1:0\n"
                      "auth:\n  rate_limits: {read: 100000, write: 100000, control: 100000}\n"
                      "notifications:\n"
                      "  retry_schedule_s: [0, 0.3, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]\n"
                      "  retry_jitter: 0\n"
                      "  attempt_timeout_ms: 5000\n"
                      "data_dir: " +
                          dir_.file("data") + "\n" + extra + "plugins:\n  search_path: [" + pluginDir() +
                          "]\n  load:\n"
                          "    - name: storage.local\n"
                          "    - name: auth.apikey\n"
                          "    - name: notifier.webhook\n"
                          "    - name: printer.sim\n"
                          "      instances:\n"
                          "        - id: sim-a\n"
                          "          name: Sim A\n"
                          "          settings: {speed: 600, report_interval_ms: 20}\n");
  }

  void start(const std::string& extra = "") {
    server_ = std::make_unique<ServerProcess>(
        serverBinary(), std::vector<std::string>{"--config", config(extra)},
        std::map<std::string, std::string>{{"BAMBUDDY_ADMIN_KEY", kAdminKey}});
    ASSERT_TRUE(server_->waitReady()) << server_->log();
  }

  Answer api(const std::string& method, const std::string& path, const std::string& body = "") {
    std::vector<std::pair<std::string, std::string>> headers = {{"X-API-Key", kAdminKey}};
    if (!body.empty()) {
      headers.emplace_back("Content-Type", "application/json");
    }
    HttpResult r = httpRequest("127.0.0.1", server_->port(), method, path, body, headers, 15000);
    return Answer{r.status, json::parse(r.body, nullptr, false), r.body};
  }
  Answer api(const std::string& method, const std::string& path, const json& body) {
    return api(method, path, body.dump());
  }

  json createWebhook(const std::string& name, const HttpReceiver& rx, json extra = json::object()) {
    json body = {{"type", "webhook"}, {"name", name}, {"settings", {{"url", rx.url("/hook")}}}};
    body.update(extra);
    Answer a = api("POST", "/api/v1/notifications", body);
    EXPECT_EQ(a.status, 201) << a.raw;
    return a.body;
  }

  std::string path(const json& provider, const std::string& tail = "") {
    return "/api/v1/notifications/" + std::to_string(provider["id"].get<int64_t>()) + tail;
  }

  // POST /test answers 202 at once (the test runs on the server's test threads); this polls the
  // delivery until its first attempt is stored and answers with it.
  Answer sendTest(const json& provider) {
    Answer queued = api("POST", path(provider, "/test"));
    EXPECT_EQ(queued.status, 202) << queued.raw;
    if (queued.status != 202) {
      return queued;
    }
    const std::string at =
        "/api/v1/notifications/deliveries/" + std::to_string(queued.body["id"].get<int64_t>());
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    Answer last;
    while (std::chrono::steady_clock::now() < until) {
      last = api("GET", at);
      if (last.status == 200 &&
          (last.body["attempts"].get<int>() > 0 || last.body["status"] == "cancelled")) {
        return last;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ADD_FAILURE() << "the test delivery was not attempted; last " << last.raw;
    return last;
  }

  // Polls the provider's delivery log until `check` holds.
  json waitLog(const json& provider, const std::function<bool(const json&)>& check,
               int64_t deadline_ms = 15000) {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(deadline_ms);
    Answer last;
    while (std::chrono::steady_clock::now() < until) {
      last = api("GET", path(provider, "/deliveries"));
      if (last.status == 200 && check(last.body["items"])) {
        return last.body["items"];
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "delivery log condition not reached; last " << last.raw;
    return last.body["items"];
  }

  static size_t countStatus(const json& items, const std::string& status) {
    size_t n = 0;
    for (const json& i : items) {
      n += i["status"] == status ? 1 : 0;
    }
    return n;
  }

  void simPrint(const std::string& filename, int estimated_s = 600) {
    Answer a =
        api("POST", "/api/v1/sim/sim-a/actions",
            json{{"action", "start_print"}, {"filename", filename}, {"estimated_time_s", estimated_s}});
    ASSERT_EQ(a.status, 200) << a.raw;
  }

  // The events of the webhooks a receiver got, in arrival order.
  static std::vector<std::string> events(const HttpReceiver& rx) {
    std::vector<std::string> out;
    for (const ReceivedRequest& r : rx.requests()) {
      out.push_back(json::parse(r.body, nullptr, false).value("event", "?"));
    }
    return out;
  }

  static bool waitForEvent(const HttpReceiver& rx, const std::string& event, int64_t deadline_ms = 15000) {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(deadline_ms);
    while (std::chrono::steady_clock::now() < until) {
      for (const std::string& e : events(rx)) {
        if (e == event) {
          return true;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(NotificationsTest, SecretShownOnceAndTheTestWebhookIsSignedAsStandardWebhooks) {
  HttpReceiver rx;
  json created = createWebhook("Home Assistant", rx);
  ASSERT_TRUE(created["secret"].is_string()) << created.dump();
  const std::string secret = created["secret"];
  EXPECT_EQ(secret.rfind("whsec_", 0), 0u);
  EXPECT_EQ(base64Decode(secret.substr(6)).size(), 32u);
  EXPECT_EQ(created["settings"]["secret"], "********");
  EXPECT_EQ(created["type"], "webhook");

  const std::string key_text = secret.substr(6);
  EXPECT_EQ(api("GET", path(created)).raw.find(key_text), std::string::npos);
  EXPECT_EQ(api("GET", "/api/v1/notifications").raw.find(key_text), std::string::npos);

  Answer test = sendTest(created);
  ASSERT_EQ(test.status, 200) << test.raw;
  EXPECT_EQ(test.body["status"], "delivered");
  EXPECT_EQ(test.body["http_status"], 200);
  EXPECT_EQ(test.body["event"], "test");
  ASSERT_TRUE(rx.waitForRequests(1, 5000));
  ReceivedRequest got = rx.requests()[0];
  EXPECT_EQ(got.method, "POST");
  EXPECT_EQ(got.path, "/hook");
  json body = json::parse(got.body);
  EXPECT_EQ(body["event"], "test");
  EXPECT_EQ(body["id"], test.body["event_id"]);
  EXPECT_EQ(got.header("webhook-id"), body["id"]);
  const int64_t ts = std::stoll(got.header("webhook-timestamp"));
  EXPECT_LE(std::llabs(ts - static_cast<int64_t>(std::time(nullptr))), 60);
  EXPECT_TRUE(signatureValid(got, secret)) << got.header("webhook-signature");
  EXPECT_FALSE(signatureValid(
      got, "whsec_" +
               base64Encode(reinterpret_cast<const unsigned char*>("another secret of 32 bytes......"), 32)))
      << "the check really checks";
  EXPECT_EQ(server_->log().find(key_text), std::string::npos) << "the secret is never logged";

  // Rotation: the new secret is shown once; during the grace period both sign.
  Answer rotated = api("POST", path(created, "/rotate-secret"), json{{"grace_period_s", 600}});
  ASSERT_EQ(rotated.status, 200) << rotated.raw;
  const std::string fresh = rotated.body["secret"];
  ASSERT_EQ(sendTest(created).body["status"], "delivered");
  ASSERT_TRUE(rx.waitForRequests(2, 5000));
  EXPECT_TRUE(signatureValid(rx.requests()[1], fresh));
  EXPECT_TRUE(signatureValid(rx.requests()[1], secret))
      << "old receivers keep working during the grace period";
  EXPECT_EQ(api("GET", path(created)).raw.find(fresh.substr(6)), std::string::npos);
}

TEST_F(NotificationsTest, BadSettingsAreRefusedPreciselyAndNothingIsStored) {
  Answer no_url = api("POST", "/api/v1/notifications",
                      json{{"type", "webhook"}, {"name", "x"}, {"settings", json::object()}});
  EXPECT_EQ(no_url.status, 400) << no_url.raw;
  EXPECT_EQ(no_url.body["code"], "invalid_settings");
  EXPECT_EQ(no_url.body["detail"], "settings.url: required") << no_url.raw;
  Answer wrong_type = api("POST", "/api/v1/notifications",
                          json{{"type", "webhook"}, {"name", "x"}, {"settings", {{"url", 5}}}});
  EXPECT_EQ(wrong_type.status, 400);
  EXPECT_EQ(wrong_type.body["errors"][0]["path"], "settings.url") << wrong_type.raw;
  Answer refused =
      api("POST", "/api/v1/notifications",
          json{{"type", "webhook"}, {"name", "x"}, {"settings", {{"url", "gopher://example/"}}}});
  EXPECT_EQ(refused.status, 400) << refused.raw;
  EXPECT_EQ(refused.body["detail"].get<std::string>().rfind("settings: ", 0), 0u) << refused.raw;
  Answer unknown = api("POST", "/api/v1/notifications", json{{"type", "pager"}, {"name", "x"}});
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body["detail"].get<std::string>().find("loaded: webhook"), std::string::npos)
      << unknown.raw;
  Answer bad_event = api("POST", "/api/v1/notifications",
                         json{{"type", "webhook"},
                              {"name", "x"},
                              {"events", {"print_done"}},
                              {"settings", {{"url", "http://127.0.0.1:1/"}}}});
  EXPECT_EQ(bad_event.status, 400);
  EXPECT_EQ(bad_event.body["code"], "invalid_events");
  EXPECT_EQ(api("POST", "/api/v1/notifications", std::string("{\"type\":")).status, 400);
  Answer list = api("GET", "/api/v1/notifications");
  EXPECT_EQ(list.body["total"], 0) << list.raw;
  EXPECT_EQ(api("GET", "/api/v1/notifications/1").status, 404);
}

TEST_F(NotificationsTest, TypesAndEventsAreListed) {
  Answer types = api("GET", "/api/v1/notifications/types");
  ASSERT_EQ(types.status, 200);
  bool webhook = false;
  for (const json& t : types.body["items"]) {
    if (t["type"] == "webhook") {
      webhook = true;
      EXPECT_TRUE(t["settings_schema"]["properties"].contains("url"));
      EXPECT_EQ(t["generated_secrets"], json({"secret"}));
    }
  }
  EXPECT_TRUE(webhook) << types.raw;
  Answer events = api("GET", "/api/v1/notifications/events");
  ASSERT_EQ(events.status, 200);
  std::set<std::string> names;
  for (const json& e : events.body["items"]) {
    names.insert(e["event"].get<std::string>());
    EXPECT_EQ(e["sample"]["event"], e["event"]);
  }
  for (const char* n :
       {"print_started", "print_progress", "print_complete", "print_failed", "printer_offline",
        "printer_error", "print_paused", "print_resumed", "print_cancelled", "printer_online",
        "queue_item_added", "queue_item_started", "test"}) {
    EXPECT_EQ(names.count(n), 1u) << n;
  }
}

TEST_F(NotificationsTest, ReceiverDownIsRetriedAndDeliveredWhenBack) {
  HttpReceiver rx;
  std::atomic<bool> down{true};
  rx.setHandler([&](const ReceivedRequest&) {
    ScriptedResponse r;
    r.drop = down.load(); // the connection closes without an answer, as when the receiver crashes
    return r;
  });
  json p = createWebhook("flaky", rx);
  Answer first = sendTest(p);
  EXPECT_EQ(first.body["status"], "retrying") << first.raw;
  ASSERT_TRUE(rx.waitForRequests(3, 10000));
  down = false; // the third attempt may already see this: at least two were dropped
  json items = waitLog(p, [](const json& items) { return countStatus(items, "delivered") == 1; });
  const int attempts = items[0]["attempts"];
  EXPECT_GE(attempts, 3);
  ASSERT_EQ(items[0]["history"].size(), static_cast<size_t>(attempts));
  for (int i = 0; i + 1 < attempts; ++i) {
    EXPECT_EQ(items[0]["history"][i]["outcome"], "retryable") << i;
    EXPECT_TRUE(items[0]["history"][i]["error"].is_string()) << i;
  }
  EXPECT_EQ(items[0]["history"][attempts - 1]["outcome"], "delivered");
  std::set<std::string> ids;
  for (const ReceivedRequest& r : rx.requests()) {
    ids.insert(r.header("webhook-id"));
  }
  EXPECT_EQ(ids.size(), 1u) << "every attempt of one delivery carries the same webhook-id";
}

TEST_F(NotificationsTest, RetryAfterOfA503IsHonoured) {
  HttpReceiver rx;
  rx.enqueue({503, {{"Retry-After", "2"}}, "busy"});
  json p = createWebhook("busy", rx);
  Answer first = sendTest(p);
  EXPECT_EQ(first.body["status"], "retrying");
  EXPECT_EQ(first.body["http_status"], 503);
  EXPECT_EQ(first.body["response_snippet"], "busy");
  ASSERT_TRUE(rx.waitForRequests(2, 10000));
  auto requests = rx.requests();
  EXPECT_GE(requests[1].received_at_ms - requests[0].received_at_ms, 1900) << "not the 0.3 s of the schedule";
  json items = waitLog(p, [](const json& items) { return countStatus(items, "delivered") == 1; });
  EXPECT_EQ(items[0]["history"][0]["retry_after_ms"], 2000);
}

TEST_F(NotificationsTest, GoneDisablesTheProviderWithTheReasonShown) {
  HttpReceiver rx;
  rx.setDefault({410, {}, "no such hook"});
  json p = createWebhook("retired", rx);
  Answer result = sendTest(p);
  EXPECT_EQ(result.body["status"], "failed");
  EXPECT_EQ(result.body["http_status"], 410);
  Answer provider = api("GET", path(p));
  EXPECT_EQ(provider.body["enabled"], false);
  EXPECT_NE(provider.body["disabled_reason"].get<std::string>().find("410 Gone"), std::string::npos)
      << provider.raw;
  EXPECT_TRUE(provider.body["disabled_at"].is_string());
  json items = api("GET", path(p, "/deliveries")).body["items"];
  EXPECT_TRUE(items[0]["history"][0]["provider_disabled"].is_string()) << items.dump();
  // Disabled providers take no new events (a healthy one shows they happened); redelivery waits
  // for the provider to be enabled again, which is explicit.
  HttpReceiver witness;
  createWebhook("witness", witness);
  simPrint("after-gone.3mf");
  ASSERT_TRUE(waitForEvent(witness, "print_complete"));
  EXPECT_EQ(api("GET", path(p, "/deliveries")).body["total"], 1);
  EXPECT_EQ(rx.requestCount(), 1u);
  EXPECT_EQ(api("POST", "/api/v1/notifications/deliveries/" + std::to_string(items[0]["id"].get<int64_t>()) +
                            "/redeliver")
                .status,
            409);
  Answer enabled = api("PATCH", path(p), json{{"enabled", true}});
  EXPECT_EQ(enabled.body["disabled_reason"], nullptr);
}

TEST_F(NotificationsTest, PendingDeliveriesSurviveKillMinus9AndAreDeliveredAfterTheRestart) {
  HttpReceiver rx;
  std::atomic<bool> down{true};
  rx.setHandler([&](const ReceivedRequest&) {
    ScriptedResponse r;
    r.status = down.load() ? 503 : 200;
    return r;
  });
  json p = createWebhook("durable", rx);
  std::set<std::string> sent_ids;
  for (int i = 0; i < 3; ++i) {
    Answer a = sendTest(p);
    ASSERT_EQ(a.body["status"], "retrying") << a.raw;
    sent_ids.insert(a.body["event_id"].get<std::string>());
  }
  ASSERT_EQ(::kill(server_->pid(), SIGKILL), 0);
  server_->waitExit(5000);
  down = false;
  rx.clearRequests();
  start();
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  std::set<std::string> delivered_ids;
  while (std::chrono::steady_clock::now() < until && delivered_ids.size() < sent_ids.size()) {
    for (const ReceivedRequest& r : rx.requests()) {
      delivered_ids.insert(r.header("webhook-id"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(delivered_ids, sent_ids)
      << "each pending delivery arrives after the restart, with its webhook-id";
  json items = waitLog(p, [](const json& items) { return countStatus(items, "delivered") == 3; });
  EXPECT_EQ(items.size(), 3u);
}

TEST_F(NotificationsTest, ADeadReceiverDoesNotDelayHealthyOnes) {
  HttpReceiver dead;
  dead.setDefault({200, {}, "", 20000}); // never answers within the 5 s attempt deadline
  std::vector<std::unique_ptr<HttpReceiver>> healthy;
  std::vector<json> healthy_providers;
  json dead_provider = createWebhook("dead", dead);
  for (int i = 0; i < 3; ++i) {
    healthy.push_back(std::make_unique<HttpReceiver>());
    healthy_providers.push_back(createWebhook("healthy " + std::to_string(i), *healthy.back()));
  }
  const auto t0 = std::chrono::steady_clock::now();
  simPrint("isolation.3mf", 300); // about half a second of real time
  for (auto& rx : healthy) {
    ASSERT_TRUE(waitForEvent(*rx, "print_complete", 10000));
  }
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(elapsed, std::chrono::milliseconds(4900))
      << "every healthy receiver had the whole print before the "
         "dead one's first attempt even timed out";
  json dead_log = api("GET", path(dead_provider, "/deliveries")).body["items"];
  EXPECT_EQ(dead_log.size(), 5u) << "every event was stored for the dead provider too";
  for (const json& row : dead_log) {
    EXPECT_EQ(row["attempts"], 0) << "its first attempt is still waiting for an answer";
  }
  for (auto& rx : healthy) {
    EXPECT_EQ(events(*rx).front(), "print_started");
    EXPECT_EQ(events(*rx).back(), "print_complete");
  }
}

TEST_F(NotificationsTest, DeliveryLogPagesAndRedeliverKeepsTheWebhookId) {
  HttpReceiver rx;
  json p = createWebhook("log", rx);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(sendTest(p).body["status"], "delivered");
  }
  Answer page = api("GET", path(p, "/deliveries?limit=2&offset=1"));
  ASSERT_EQ(page.status, 200) << page.raw;
  EXPECT_EQ(page.body["total"], 3);
  ASSERT_EQ(page.body["items"].size(), 2u);
  const json& row = page.body["items"][0];
  for (const char* field : {"id", "event", "event_id", "status", "attempts", "http_status", "error",
                            "response_snippet", "created_at", "updated_at", "delivered_at", "history"}) {
    EXPECT_TRUE(row.contains(field)) << field;
  }
  EXPECT_EQ(api("GET", path(p, "/deliveries?status=delivered")).body["total"], 3);
  EXPECT_EQ(api("GET", path(p, "/deliveries?status=failed")).body["total"], 0);
  EXPECT_EQ(api("GET", path(p, "/deliveries?status=bogus")).status, 400);
  EXPECT_EQ(api("GET", path(p, "/deliveries?limit=0")).status, 400);

  const int64_t delivery = row["id"];
  Answer again = api("POST", "/api/v1/notifications/deliveries/" + std::to_string(delivery) + "/redeliver");
  ASSERT_EQ(again.status, 202) << again.raw;
  EXPECT_EQ(again.body["redelivery_of"], delivery);
  ASSERT_TRUE(rx.waitForRequests(4, 5000));
  auto requests = rx.requests();
  std::string original_id = row["event_id"];
  size_t with_id = 0;
  for (const ReceivedRequest& r : requests) {
    with_id += r.header("webhook-id") == original_id ? 1 : 0;
  }
  EXPECT_EQ(with_id, 2u) << "the redelivery repeats the webhook-id so receivers can de-duplicate";
  EXPECT_EQ(api("POST", "/api/v1/notifications/deliveries/99999/redeliver").status, 404);
  EXPECT_EQ(api("DELETE", path(p)).status, 204);
  EXPECT_EQ(api("GET", path(p, "/deliveries")).status, 404);
}

TEST_F(NotificationsTest, SimulatedPrintArrivesAsStartedProgressCompleteInOrder) {
  HttpReceiver rx;
  json p = createWebhook(
      "print events", rx,
      {{"events", {"print_started", "print_progress", "print_complete"}}, {"printer_ids", {1}}});
  simPrint("benchy.3mf");
  ASSERT_TRUE(waitForEvent(rx, "print_complete"));
  std::vector<std::string> got = events(rx);
  EXPECT_EQ(got, (std::vector<std::string>{"print_started", "print_progress", "print_progress",
                                           "print_progress", "print_complete"}));
  std::vector<int> milestones;
  for (const ReceivedRequest& r : rx.requests()) {
    json body = json::parse(r.body);
    EXPECT_EQ(body["data"]["printer"], "Sim A");
    EXPECT_EQ(body["data"]["filename"], "benchy.3mf");
    if (body["event"] == "print_progress") {
      milestones.push_back(body["data"]["progress"].get<int>());
    }
    if (body["event"] == "print_complete") {
      EXPECT_EQ(body["data"]["status"], "success");
      EXPECT_TRUE(body["data"]["duration"].is_number_integer());
    }
  }
  EXPECT_EQ(milestones, (std::vector<int>{25, 50, 75}));
  json items = waitLog(p, [](const json& items) { return countStatus(items, "delivered") == 5; });
  EXPECT_EQ(items.size(), 5u);
}

// Quiet hours in a zone's local time (cctz on the system tzdata): the same window holds back the
// event for a provider in Asia/Kolkata (UTC+5:30, no daylight saving) whose local time is inside it
// and lets it through for one in UTC, 5.5 hours outside it. Unknown zones are refused precisely.
TEST_F(NotificationsTest, QuietHoursFollowTheProvidersTimeZone) {
  const std::time_t now_s = std::time(nullptr);
  const int64_t kolkata_minute = ((now_s + 5 * 3600 + 1800) / 60) % (24 * 60);
  auto hhmm = [](int64_t minute) {
    minute = (minute % (24 * 60) + 24 * 60) % (24 * 60);
    char text[8];
    std::snprintf(text, sizeof text, "%02d:%02d", static_cast<int>(minute / 60),
                  static_cast<int>(minute % 60));
    return std::string(text);
  };
  auto quiet = [&](const std::string& zone) {
    return json{{"start", hhmm(kolkata_minute - 60)}, {"end", hhmm(kolkata_minute + 60)}, {"timezone", zone}};
  };
  for (const auto& [zone, detail] : std::vector<std::pair<std::string, std::string>>{
           {"Mars/Base", "quiet_hours.timezone: unknown time zone 'Mars/Base' (expected an IANA name such as "
                         "Europe/Berlin)"},
           {"../../etc/passwd",
            "quiet_hours.timezone: '../../etc/passwd' is not an IANA time zone name (e.g. Europe/Berlin)"}}) {
    Answer refused = api("POST", "/api/v1/notifications",
                         json{{"type", "webhook"},
                              {"name", "x"},
                              {"quiet_hours", quiet(zone)},
                              {"settings", {{"url", "http://127.0.0.1:1/"}}}});
    EXPECT_EQ(refused.status, 400) << refused.raw;
    EXPECT_EQ(refused.body["code"], "invalid_quiet_hours") << refused.raw;
    EXPECT_EQ(refused.body["detail"], detail) << refused.raw;
  }
  EXPECT_EQ(api("GET", "/api/v1/notifications").body["total"], 0);

  HttpReceiver quiet_rx, awake_rx;
  json in_kolkata = createWebhook("kolkata", quiet_rx,
                                  {{"events", {"print_started"}}, {"quiet_hours", quiet("Asia/Kolkata")}});
  json in_utc =
      createWebhook("utc", awake_rx, {{"events", {"print_started"}}, {"quiet_hours", quiet("UTC")}});
  EXPECT_EQ(api("GET", path(in_kolkata)).body["quiet_hours"]["timezone"], "Asia/Kolkata");
  simPrint("quiet.3mf");
  ASSERT_TRUE(waitForEvent(awake_rx, "print_started"));
  json held = waitLog(in_kolkata, [](const json& items) { return countStatus(items, "suppressed") == 1; });
  EXPECT_EQ(held[0]["error"],
            "quiet hours " + hhmm(kolkata_minute - 60) + "-" + hhmm(kolkata_minute + 60) + " Asia/Kolkata");
  EXPECT_TRUE(quiet_rx.requests().empty());
}

TEST_F(NotificationsTest, YamlProviderIsReadOnlyOverRest) {
  HttpReceiver rx;
  server_->stop();
  std::string yaml = config("");
  // Add an instance to the webhook plugin entry.
  std::string text = readFile(yaml);
  const std::string entry = "    - name: notifier.webhook\n";
  text.replace(text.find(entry), entry.size(),
               entry +
                   "      instances:\n        - id: from-yaml\n          name: From YAML\n          "
                   "settings: {url: \"" +
                   rx.url("/yaml") + "\"}\n          events: [test]\n");
  dir_.write("bambuddy.yaml", text);
  server_ =
      std::make_unique<ServerProcess>(serverBinary(), std::vector<std::string>{"--config", yaml},
                                      std::map<std::string, std::string>{{"BAMBUDDY_ADMIN_KEY", kAdminKey}});
  ASSERT_TRUE(server_->waitReady()) << server_->log();
  Answer list = api("GET", "/api/v1/notifications");
  ASSERT_EQ(list.body["total"], 1) << list.raw;
  json p = list.body["items"][0];
  EXPECT_EQ(p["source"], "config");
  EXPECT_EQ(p["name"], "From YAML");
  EXPECT_EQ(api("PATCH", path(p), json{{"name", "x"}}).status, 409);
  EXPECT_EQ(api("DELETE", path(p)).status, 409);
  EXPECT_EQ(sendTest(p).body["status"], "delivered");
  ASSERT_TRUE(rx.waitForRequests(1, 5000));
  EXPECT_EQ(rx.requests()[0].path, "/yaml");
  EXPECT_FALSE(rx.requests()[0].hasHeader("webhook-signature")) << "no secret in the file: unsigned";
}

} // namespace notifications_test
} // namespace bambuddy::testing
