// A stored secret only goes where it was entered for (issue 13, attack 4), through the real server
// with the real notifier and printer plugins and real receivers: a key with settings:write cannot
// point a webhook, ntfy or e-mail provider (or an admin a printer) at a new destination without
// resending its secrets (400 secret_required naming them), the old destination alone ever sees
// them, reads never show them, and every change is audited without values. Also: provider tests
// run on their own threads, so receivers that never answer cannot stall /health (part 5).
#include "support/http_client.h"
#include "support/http_receiver.h"
#include "support/server_process.h"
#include "support/smtp_sink.h"
#include "support/temp_dir.h"
#include "support/test_cert.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace bambuddy::testing {
namespace provider_secrets_test {

using nlohmann::json;

const std::string kAdminKey = "bb_tgZq_dhm5ClcPrRuuqzIGQ-9vIBnbjeRCumm1bib6f8";
const std::string kHaToken = "Bearer ha-long-lived-token-4f8e2a";
const std::string kNtfyToken = "tk_ntfytoken9c1d77";
const std::string kSmtpPassword = "smtp-pass-51e0b3";

struct Answer {
  int status = 0;
  json body;
  std::string raw;
};

class ProviderSecretsTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string config =
        dir_.write("bambuddy.yaml", "server:\n  listen: 127.0.0.1:0\n"
                                    "auth:\n  rate_limits: {read: 100000, write: 100000, control: 100000}\n"
                                    "notifications:\n"
                                    "  retry_schedule_s: [0, 60]\n"
                                    "  retry_jitter: 0\n"
                                    "  attempt_timeout_ms: 5000\n"
                                    "data_dir: " +
                                        dir_.file("data") + "\nplugins:\n  search_path: [" + pluginDir() +
                                        "]\n  load:\n"
                                        "    - name: storage.local\n"
                                        "    - name: auth.apikey\n"
                                        "    - name: notifier.webhook\n"
                                        "    - name: notifier.ntfy\n"
                                        "    - name: notifier.email\n"
                                        "    - name: printer.bambu\n");
    server_ = std::make_unique<ServerProcess>(
        serverBinary(), std::vector<std::string>{"--config", config},
        std::map<std::string, std::string>{{"BAMBUDDY_ADMIN_KEY", kAdminKey}});
    ASSERT_TRUE(server_->waitReady()) << server_->log();
    Answer key = call(kAdminKey, "POST", "/api/v1/api-keys",
                      json{{"name", "integrations"}, {"permissions", {"settings:read", "settings:write"}}});
    ASSERT_EQ(key.status, 201) << key.raw;
    key_ = key.body["key"];
    key_id_ = "key:" + key.body["id"].dump(); // the principal id the key plugin gives its keys
  }

  Answer call(const std::string& key, const std::string& method, const std::string& path,
              const json& body = nullptr) {
    std::vector<std::pair<std::string, std::string>> headers = {{"X-API-Key", key}};
    std::string text;
    if (!body.is_null()) {
      text = body.dump();
      headers.emplace_back("Content-Type", "application/json");
    }
    HttpResult r = httpRequest("127.0.0.1", server_->port(), method, path, text, headers, 15000);
    return Answer{r.status, json::parse(r.body, nullptr, false), r.body};
  }
  // The narrow key (settings:read + settings:write), as the attacker of the issue holds.
  Answer api(const std::string& method, const std::string& path, const json& body = nullptr) {
    return call(key_, method, path, body);
  }

  static std::string path(const json& provider, const std::string& tail = "") {
    return "/api/v1/notifications/" + std::to_string(provider["id"].get<int64_t>()) + tail;
  }

  // POST /test answers 202 at once; this polls the delivery until its first attempt is stored.
  Answer sendTest(const json& provider, int64_t deadline_ms = 15000) {
    Answer queued = api("POST", path(provider, "/test"));
    EXPECT_EQ(queued.status, 202) << queued.raw;
    if (queued.status != 202) {
      return queued;
    }
    return waitAttempted(queued.body["id"].get<int64_t>(), deadline_ms);
  }

  Answer waitAttempted(int64_t delivery_id, int64_t deadline_ms = 15000) {
    const std::string at = "/api/v1/notifications/deliveries/" + std::to_string(delivery_id);
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(deadline_ms);
    Answer last;
    while (std::chrono::steady_clock::now() < until) {
      last = api("GET", at);
      if (last.status == 200 && last.body["attempts"].get<int>() > 0) {
        return last;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "delivery " << delivery_id << " was not attempted; last " << last.raw;
    return last;
  }

  // Audit rows of `kind` (admin only), newest first; waits until `count` are stored.
  json audit(const std::string& kind, size_t count) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    Answer a;
    while (std::chrono::steady_clock::now() < until) {
      a = call(kAdminKey, "GET", "/api/v1/audit?kind=" + kind);
      if (a.status == 200 && a.body["items"].size() >= count) {
        return a.body["items"];
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "fewer than " << count << " audit rows of kind " << kind << ": " << a.raw;
    return a.body.is_object() ? a.body["items"] : json::array();
  }

  static bool has(const json& list, const std::string& value) {
    return std::find(list.begin(), list.end(), json(value)) != list.end();
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::string key_;
  std::string key_id_;
};

TEST_F(ProviderSecretsTest, WebhookHeadersOnlyEverReachTheReceiverTheyWereEnteredFor) {
  HttpReceiver a;
  HttpReceiver b;
  Answer created =
      api("POST", "/api/v1/notifications",
          json{{"type", "webhook"},
               {"name", "Home Assistant"},
               {"settings", {{"url", a.url("/hook")}, {"headers", {{"Authorization", kHaToken}}}}}});
  ASSERT_EQ(created.status, 201) << created.raw;
  const json p = created.body;
  const std::string signing = p["secret"];

  // Reads never show the stored values.
  for (const std::string& read : {path(p), std::string("/api/v1/notifications"),
                                  std::string("/api/v1/plugins"), path(p, "/deliveries")}) {
    Answer r = api("GET", read);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.raw.find("ha-long-lived"), std::string::npos) << r.raw;
    EXPECT_EQ(r.raw.find(signing.substr(6)), std::string::npos) << r.raw;
  }
  EXPECT_EQ(api("GET", path(p)).body["settings"]["headers"], "********");

  // The attack: a new URL without the headers, or with the mask sent back.
  Answer moved = api("PATCH", path(p), json{{"settings", {{"url", b.url("/steal")}}}});
  EXPECT_EQ(moved.status, 400) << moved.raw;
  EXPECT_EQ(moved.body["code"], "secret_required");
  EXPECT_EQ(moved.body["fields"], json({"settings.headers"})) << moved.raw;
  EXPECT_NE(moved.body["detail"].get<std::string>().find("settings.url"), std::string::npos) << moved.raw;
  Answer masked =
      api("PATCH", path(p), json{{"settings", {{"url", b.url("/steal")}, {"headers", "********"}}}});
  EXPECT_EQ(masked.status, 400) << masked.raw;
  EXPECT_EQ(masked.body["code"], "secret_required");
  EXPECT_EQ(api("GET", path(p)).body["settings"]["url"], a.url("/hook"))
      << "a refused change changes nothing";

  // The test goes to A, with the token; B never hears of it.
  Answer tested = sendTest(p);
  EXPECT_EQ(tested.body["status"], "delivered") << tested.raw;
  ASSERT_TRUE(a.waitForRequests(1, 5000));
  EXPECT_EQ(a.requests()[0].header("authorization"), kHaToken);
  EXPECT_EQ(b.requestCount(), 0u);

  // Changing other things keeps working without the secrets.
  EXPECT_EQ(api("PATCH", path(p), json{{"name", "HA"}, {"settings", {{"timeout_ms", 4000}}}}).status, 200);

  // Resending the headers (new ones) moves it; the stored token is not merged into them, and the
  // signing secret (not a destination credential) stays.
  Answer resent =
      api("PATCH", path(p), json{{"settings", {{"url", b.url("/new")}, {"headers", {{"X-Receiver", "b"}}}}}});
  ASSERT_EQ(resent.status, 200) << resent.raw;
  EXPECT_EQ(sendTest(p).body["status"], "delivered");
  ASSERT_TRUE(b.waitForRequests(1, 5000));
  const ReceivedRequest at_b = b.requests()[0];
  EXPECT_EQ(at_b.header("x-receiver"), "b");
  EXPECT_FALSE(at_b.hasHeader("authorization")) << "the token entered for A never reaches B";
  EXPECT_FALSE(at_b.header("webhook-signature").empty()) << "still signed";
  for (const ReceivedRequest& r : b.requests()) {
    EXPECT_EQ(r.body.find("ha-long-lived"), std::string::npos);
  }
  for (const std::string& read : {path(p), path(p, "/deliveries")}) {
    EXPECT_EQ(api("GET", read).raw.find("ha-long-lived"), std::string::npos) << read;
  }
  // Dropping the secrets (null) is also an explicit choice.
  EXPECT_EQ(api("PATCH", path(p), json{{"settings", {{"url", a.url("/back")}, {"headers", nullptr}}}}).status,
            200);

  ASSERT_EQ(api("DELETE", path(p)).status, 204);

  // Audit: who, which fields, never values.
  json created_rows = audit("provider_created", 1);
  ASSERT_FALSE(created_rows.empty());
  EXPECT_EQ(created_rows[0]["principal_id"], key_id_) << created_rows.dump();
  EXPECT_EQ(created_rows[0]["principal_name"], "integrations");
  EXPECT_TRUE(has(created_rows[0]["detail"]["changes"], "settings.headers")) << created_rows.dump();
  json changed = audit("provider_changed", 3);
  ASSERT_GE(changed.size(), 3u);
  EXPECT_TRUE(has(changed[1]["detail"]["changes"], "settings.url")) << changed.dump();
  EXPECT_TRUE(has(changed[1]["detail"]["changes"], "settings.headers")) << changed.dump();
  EXPECT_EQ(changed[1]["principal_id"], key_id_);
  EXPECT_EQ(changed[1]["method"], "PATCH");
  json tested_rows = audit("provider_tested", 2);
  ASSERT_GE(tested_rows.size(), 2u);
  EXPECT_EQ(tested_rows[0]["detail"]["provider_id"], p["id"]);
  EXPECT_TRUE(tested_rows[0]["detail"]["delivery_id"].is_number_integer());
  json deleted = audit("provider_deleted", 1);
  ASSERT_FALSE(deleted.empty());
  EXPECT_EQ(deleted[0]["detail"]["provider_id"], p["id"]);
  Answer all = call(kAdminKey, "GET", "/api/v1/audit?limit=500");
  ASSERT_EQ(all.status, 200);
  for (const std::string& secret :
       {std::string("ha-long-lived"), std::string("X-Receiver"), signing.substr(6)}) {
    EXPECT_EQ(all.raw.find(secret), std::string::npos) << secret << " in the audit log";
  }
  EXPECT_EQ(server_->log().find("ha-long-lived"), std::string::npos);
}

TEST_F(ProviderSecretsTest, NtfyTokenOnlyEverReachesItsServerAndTopic) {
  HttpReceiver a;
  HttpReceiver b;
  Answer created =
      api("POST", "/api/v1/notifications",
          json{{"type", "ntfy"},
               {"name", "phone"},
               {"settings", {{"server", a.url("")}, {"topic", "farm-a"}, {"token", kNtfyToken}}}});
  ASSERT_EQ(created.status, 201) << created.raw;
  const json p = created.body;
  EXPECT_EQ(api("GET", path(p)).raw.find(kNtfyToken), std::string::npos);

  for (const json& move : {json{{"server", b.url("")}}, json{{"topic", "attacker"}},
                           json{{"server", b.url("")}, {"token", "********"}}}) {
    Answer r = api("PATCH", path(p), json{{"settings", move}});
    EXPECT_EQ(r.status, 400) << move.dump() << " " << r.raw;
    EXPECT_EQ(r.body["code"], "secret_required");
    EXPECT_EQ(r.body["fields"], json({"settings.token"})) << r.raw;
  }
  EXPECT_EQ(sendTest(p).body["status"], "delivered");
  ASSERT_TRUE(a.waitForRequests(1, 5000));
  EXPECT_EQ(a.requests()[0].header("authorization"), "Bearer " + kNtfyToken);
  EXPECT_EQ(b.requestCount(), 0u);

  Answer resent =
      api("PATCH", path(p), json{{"settings", {{"server", b.url("")}, {"token", "tk_tokenforb0000"}}}});
  ASSERT_EQ(resent.status, 200) << resent.raw;
  EXPECT_EQ(sendTest(p).body["status"], "delivered");
  ASSERT_TRUE(b.waitForRequests(1, 5000));
  EXPECT_EQ(b.requests()[0].header("authorization"), "Bearer tk_tokenforb0000");
  EXPECT_EQ(a.requestCount(), 1u);
}

TEST_F(ProviderSecretsTest, SmtpPasswordOnlyEverReachesItsServer) {
  TestCert cert = makeSelfSignedCert(dir_.path());
  ASSERT_TRUE(cert.ok()) << cert.error;
  SmtpSinkOptions options;
  options.tls_cert = cert.cert_path;
  options.tls_key = cert.key_path;
  options.auth_user = "farm";
  options.auth_password = kSmtpPassword;
  TempDir a_dir;
  TempDir b_dir;
  SmtpSink a(a_dir.path(), options);
  ASSERT_TRUE(a.start()) << a.log();
  SmtpSink b(b_dir.path(), options); // would accept the password too
  ASSERT_TRUE(b.start()) << b.log();
  auto smtp = [](const SmtpSink& sink) { return "smtp://127.0.0.1:" + std::to_string(sink.port()); };

  Answer created = api("POST", "/api/v1/notifications",
                       json{{"type", "email"},
                            {"name", "mail"},
                            {"settings",
                             {{"smtp_url", smtp(a)},
                              {"ca_file", cert.cert_path},
                              {"username", "farm"},
                              {"password", kSmtpPassword},
                              {"from", "farm@example.com"},
                              {"to", {"ops@example.com"}}}}});
  ASSERT_EQ(created.status, 201) << created.raw;
  const json p = created.body;
  EXPECT_EQ(api("GET", path(p)).raw.find(kSmtpPassword), std::string::npos);

  // A new server, or weaker checks of the same one, need the password again.
  for (const json& move :
       {json{{"smtp_url", smtp(b)}}, json{{"tls_verify", false}}, json{{"starttls", "none"}},
        json{{"smtp_url", smtp(b)}, {"password", "********"}}}) {
    Answer r = api("PATCH", path(p), json{{"settings", move}});
    EXPECT_EQ(r.status, 400) << move.dump() << " " << r.raw;
    EXPECT_EQ(r.body["code"], "secret_required");
    EXPECT_EQ(r.body["fields"], json({"settings.password"})) << r.raw;
  }
  EXPECT_EQ(api("PATCH", path(p), json{{"settings", {{"to", {"noc@example.com"}}}}}).status, 200)
      << "recipients are not where the password goes";

  Answer tested = sendTest(p);
  EXPECT_EQ(tested.body["status"], "delivered") << tested.raw;
  ASSERT_TRUE(a.waitForMessages(1, 5000)) << a.log();
  EXPECT_EQ(a.messages()[0].auth_user, "farm");
  EXPECT_TRUE(b.messages().empty());

  Answer resent =
      api("PATCH", path(p), json{{"settings", {{"smtp_url", smtp(b)}, {"password", kSmtpPassword}}}});
  ASSERT_EQ(resent.status, 200) << resent.raw;
  EXPECT_EQ(sendTest(p).body["status"], "delivered");
  ASSERT_TRUE(b.waitForMessages(1, 5000)) << b.log();
}

TEST_F(ProviderSecretsTest, PrinterAccessCodeStaysWithItsHostAndPrinterChangesAreAudited) {
  Answer created = call(kAdminKey, "POST", "/api/v1/printers",
                        json{{"name", "X1C"},
                             {"driver", "printer.bambu"},
                             {"settings",
                              {{"host", "127.0.0.1"},
                               {"port", 1},
                               {"serial", "01P00A000000001"},
                               {"access_code", "12345678"}}}});
  ASSERT_EQ(created.status, 201) << created.raw;
  const std::string at = "/api/v1/printers/" + std::to_string(created.body["id"].get<int64_t>());
  Answer read = call(kAdminKey, "GET", at);
  EXPECT_EQ(read.body["settings"]["access_code"], "********") << read.raw;
  EXPECT_EQ(read.raw.find("12345678"), std::string::npos);

  for (const json& move : {json{{"host", "127.0.0.2"}}, json{{"port", 2}},
                           json{{"tls", {{"fingerprint_sha256", std::string(64, 'a')}}}}}) {
    Answer r = call(kAdminKey, "PATCH", at, json{{"settings", move}});
    EXPECT_EQ(r.status, 400) << move.dump() << " " << r.raw;
    EXPECT_EQ(r.body["code"], "secret_required");
    EXPECT_EQ(r.body["fields"], json({"settings.access_code"})) << r.raw;
  }
  EXPECT_EQ(call(kAdminKey, "PATCH", at, json{{"name", "X1C left"}}).status, 200);
  Answer moved =
      call(kAdminKey, "PATCH", at, json{{"settings", {{"host", "127.0.0.2"}, {"access_code", "87654321"}}}});
  EXPECT_EQ(moved.status, 200) << moved.raw;
  EXPECT_EQ(moved.body["settings"]["host"], "127.0.0.2");
  ASSERT_EQ(call(kAdminKey, "DELETE", at).status, 204);

  EXPECT_TRUE(has(audit("printer_created", 1)[0]["detail"]["changes"], "settings.access_code"));
  json changed = audit("printer_changed", 2);
  ASSERT_GE(changed.size(), 2u);
  EXPECT_TRUE(has(changed[0]["detail"]["changes"], "settings.host")) << changed.dump();
  EXPECT_EQ(changed[0]["principal_id"].get<std::string>().rfind("key:", 0), 0u) << changed.dump();
  EXPECT_NE(changed[0]["principal_id"], key_id_) << "the admin key, not the narrow one";
  EXPECT_EQ(audit("printer_deleted", 1).size(), 1u);
  Answer all = call(kAdminKey, "GET", "/api/v1/audit?limit=500");
  EXPECT_EQ(all.raw.find("12345678"), std::string::npos);
  EXPECT_EQ(all.raw.find("87654321"), std::string::npos);
}

TEST_F(ProviderSecretsTest, SettingsChangesAreAuditedByName) {
  Answer r = api("PATCH", "/api/v1/settings", json{{"currency", "CHF"}});
  ASSERT_EQ(r.status, 200) << r.raw;
  json rows = audit("settings_changed", 1);
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0]["detail"]["changes"], json({"currency"})) << rows.dump();
  EXPECT_EQ(rows[0]["principal_id"], key_id_);
  EXPECT_EQ(rows[0]["path"], "/api/v1/settings");
}

// Part 5: tests against receivers that accept and never answer run on the test threads; the HTTP
// workers stay free, a flood beyond the bound is answered 429, and each result reports the timeout.
TEST_F(ProviderSecretsTest, TestsAgainstASilentReceiverDoNotStallHealth) {
  HttpReceiver silent;
  silent.setDefault({200, {}, "", 60000}); // reads the request, never answers in time
  Answer created = api("POST", "/api/v1/notifications",
                       json{{"type", "webhook"},
                            {"name", "silent"},
                            {"settings", {{"url", silent.url("/never")}, {"timeout_ms", 1500}}}});
  ASSERT_EQ(created.status, 201) << created.raw;
  const json p = created.body;

  constexpr int kTests = 10;
  std::vector<Answer> queued(kTests);
  std::vector<int64_t> post_ms(kTests);
  std::vector<std::thread> senders;
  for (int i = 0; i < kTests; ++i) {
    senders.emplace_back([&, i] {
      auto t0 = std::chrono::steady_clock::now();
      queued[i] = api("POST", path(p, "/test"));
      post_ms[i] =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
              .count();
    });
  }
  // While the tests hang on the receiver, /health answers quickly every time.
  int64_t worst_health_ms = 0;
  int health_answers = 0;
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1200);
  while (std::chrono::steady_clock::now() < until) {
    auto t0 = std::chrono::steady_clock::now();
    HttpResult h = httpRequest("127.0.0.1", server_->port(), "GET", "/health", "", {}, 5000);
    int64_t ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_EQ(h.status, 200);
    worst_health_ms = std::max(worst_health_ms, ms);
    ++health_answers;
  }
  for (std::thread& t : senders) {
    t.join();
  }
  EXPECT_GT(health_answers, 5);
  EXPECT_LT(worst_health_ms, 1000) << "a provider test held up /health";
  ASSERT_TRUE(silent.waitForRequests(4, 5000)) << "the tests did reach the receiver";
  for (int i = 0; i < kTests; ++i) {
    EXPECT_EQ(queued[i].status, 202) << queued[i].raw;
    EXPECT_LT(post_ms[i], 1000) << "POST /test waits for nothing";
  }
  // Each result eventually reports the timeout.
  Answer done = waitAttempted(queued[0].body["id"].get<int64_t>(), 20000);
  EXPECT_EQ(done.body["status"], "retrying") << done.raw;
  EXPECT_NE(done.body["error"].get<std::string>().find("timed out"), std::string::npos) << done.raw;

  // A flood beyond the bound (4 running + 16 waiting) is refused at once, never queued without end.
  std::vector<int> statuses(40);
  std::vector<std::thread> flood;
  for (int i = 0; i < 40; ++i) {
    flood.emplace_back([&, i] { statuses[i] = api("POST", path(p, "/test")).status; });
  }
  for (std::thread& t : flood) {
    t.join();
  }
  EXPECT_GT(std::count(statuses.begin(), statuses.end(), 429), 0);
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 202) +
                std::count(statuses.begin(), statuses.end(), 429),
            40);
  HttpResult h = httpRequest("127.0.0.1", server_->port(), "GET", "/health", "", {}, 5000);
  EXPECT_EQ(h.status, 200);
}

} // namespace provider_secrets_test
} // namespace bambuddy::testing
