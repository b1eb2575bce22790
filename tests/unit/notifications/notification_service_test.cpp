// The notification service with the real plugin host, a real SQLite file and the real bus, over
// the scripted notifier plugin (tests/unit/notifications/plugins): provider management, the
// router, retries, Retry-After, 410 and long-failure disabling, quiet hours, per-provider
// isolation, the test endpoint, redelivery, secret rotation, restart with pending rows and YAML
// providers. Waits are on conditions with deadlines.
#include "config/config_error.h"
#include "config/core_config.h"
#include "notifications/notification_error.h"
#include "notifications/notification_service.h"
#include "notifications/provider_store.h"
#include "plugins/plugin_host.h"
#include "support/core_services.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace bambuddy::notifications {
namespace notification_service_test {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Sent {
  std::string instance;
  json notification;
  std::string action;
  std::string secret;
  std::string previous_secret;
  int64_t attempt_started_ms; // the attempt's deadline minus the attempt timeout: when the engine began it
  json attachments;           // [{role, filename, content_type, size, head_hex}] the plugin was given
};

class NotificationServiceTest : public ::testing::Test {
protected:
  NotificationServiceTest() {
    core_.bus().subscribe("scripted_notifier_sent", [this](const bus::Event& e) {
      json p = json::parse(e.payload_json);
      std::lock_guard<std::mutex> lock(mutex_);
      sent_.push_back({p["instance"], p["notification"], p["action"], p["secret"], p["previous_secret"],
                       p["deadline_ms"].get<int64_t>() - settings_.engine.attempt_timeout_ms,
                       p["attachments"]});
      cv_.notify_all();
    });
    settings_.engine.retry.schedule_ms = {0, 100, 200, 200, 200, 200};
    settings_.engine.retry.jitter = 0;
    settings_.engine.attempt_timeout_ms = 5000;
    settings_.engine.rescan_interval_ms = 5000;
  }
  ~NotificationServiceTest() override { shutdown(); }

  void start(const std::string& instances_yaml = "") {
    host_ = std::make_unique<plugins::PluginHost>(plugins::HostServices{
        core_.logger(), core_.bus(), core_.kv(), core_.dir().path(), [this] { return now(); }});
    std::string yaml = "data_dir: " + core_.dir().path() +
                       "\nplugins:\n  search_path: []\n  load:\n    - name: notifier.scripted\n      path: " +
                       std::string(SCRIPTED_NOTIFIER_PLUGIN) + "\n" + instances_yaml;
    config::Environment env;
    env.exe_dir = core_.dir().path();
    config_ = config::parseCoreConfig(yaml, core_.dir().file("bambuddy.yaml"), env);
    host_->loadAll(config_);
    service_ = std::make_unique<NotificationService>(
        core_.database(), *host_, core_.logger(), [this] { return now(); }, settings_);
    if (images_) {
      service_->setImageSource(images_);
    }
    service_->start(config_);
  }

  void shutdown() {
    if (service_) {
      service_->stop();
    }
    service_.reset();
    host_.reset();
  }

  int64_t now() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count() +
           offset_ms_.load();
  }

  json create(json body) {
    if (!body.contains("type")) {
      body["type"] = "scripted";
    }
    if (!body.contains("name")) {
      body["name"] = "scripted";
    }
    return service_->create(body);
  }

  // What the journal pump does for each journal entry.
  void publish(const std::string& type, json data = {{"printer", "X1C"}, {"printer_id", 1}}) {
    journal::JournalEntry entry;
    entry.seq = ++seq_;
    entry.event_id = journal::EventJournal::newEventId();
    entry.type = type;
    entry.printer_id = data.value("printer_id", int64_t{0});
    entry.timestamp_ms = now();
    entry.payload_json = data.dump();
    service_->route(entry);
  }

  bool waitSent(size_t count, int64_t timeout_ms = 5000) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return sent_.size() >= count; });
  }

  std::vector<Sent> sent() {
    std::lock_guard<std::mutex> lock(mutex_);
    return sent_;
  }

  std::vector<Sent> sentTo(const std::string& instance) {
    std::vector<Sent> out;
    for (const Sent& s : sent()) {
      if (s.instance == instance) {
        out.push_back(s);
      }
    }
    return out;
  }

  // The plugin announces a send on the bus, which runs behind the delivery log: wait for it.
  std::vector<Sent> waitSentTo(const std::string& instance, size_t count, int64_t timeout_ms = 5000) {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] {
      return std::count_if(sent_.begin(), sent_.end(), [&](const Sent& s) {
               return s.instance == instance;
             }) >= static_cast<std::ptrdiff_t>(count);
    });
    lock.unlock();
    return sentTo(instance);
  }

  json log(int64_t provider_id, const std::optional<std::string>& status = std::nullopt) {
    return service_->deliveries(provider_id, status, 100, 0)["items"];
  }

  // Waits until the provider's log has `count` rows in `status`.
  bool waitStatus(int64_t provider_id, const std::string& status, size_t count, int64_t timeout_ms = 5000) {
    auto until = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (Clock::now() < until) {
      if (log(provider_id, status).size() >= count) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  // test() queues the test on the service's test threads and answers at once; this waits for the
  // outcome of its first attempt, as a client polling GET /notifications/deliveries/{id} does.
  json testNow(const json& provider_id) {
    json queued = service_->test(provider_id.get<int64_t>());
    EXPECT_EQ(queued["status"], "pending");
    EXPECT_EQ(queued["attempts"], 0);
    auto until = Clock::now() + std::chrono::seconds(10);
    json row = queued;
    while (Clock::now() < until) {
      row = service_->delivery(queued["id"].get<int64_t>());
      if (row["attempts"].get<int>() > 0) {
        return row;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ADD_FAILURE() << "the test was not attempted: " << row.dump();
    return row;
  }

  template <class Fn> NotificationError expectError(Fn&& fn) {
    try {
      fn();
    } catch (const NotificationError& e) {
      return e;
    }
    ADD_FAILURE() << "no NotificationError";
    return NotificationError(NotificationError::Kind::Invalid, "none", "none"); // never inspected
  }

  testing::CoreServices core_;
  NotificationSettings settings_;
  ImageSource images_; // set before start()
  std::atomic<int64_t> offset_ms_{0};
  config::CoreConfig config_;
  std::unique_ptr<plugins::PluginHost> host_;
  int64_t seq_ = 0;
  std::unique_ptr<NotificationService> service_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Sent> sent_;
};

std::string instanceOf(const json& provider) {
  return provider["instance_id"].get<std::string>();
}

TEST_F(NotificationServiceTest, CreateGeneratesTheSecretShowsItOnceAndHandsItToThePlugin) {
  start();
  json created = create({{"name", "Home Assistant"}});
  ASSERT_TRUE(created["secret"].is_string());
  const std::string secret = created["secret"];
  ASSERT_EQ(secret.rfind("whsec_", 0), 0u);
  unsigned char key[64];
  EXPECT_EQ(EVP_DecodeBlock(key, reinterpret_cast<const unsigned char*>(secret.c_str() + 6),
                            static_cast<int>(secret.size() - 6)),
            33) // 32 bytes plus the padding byte EVP_DecodeBlock counts
      << secret;
  EXPECT_EQ(created["settings"]["secret"], "********");
  EXPECT_EQ(created["source"], "api");
  EXPECT_EQ(created["enabled"], true);
  EXPECT_EQ(created["events"], nullptr);
  const int64_t id = created["id"];
  EXPECT_EQ(created["instance_id"], "provider-" + std::to_string(id));

  json read = service_->get(id);
  EXPECT_FALSE(read.contains("secret"));
  EXPECT_EQ(read["settings"]["secret"], "********");
  EXPECT_EQ(service_->list()[0].dump().find(secret.substr(6)), std::string::npos);

  json result = testNow(id);
  EXPECT_EQ(result["status"], "delivered");
  ASSERT_EQ(waitSentTo(instanceOf(created), 1).size(), 1u);
  EXPECT_EQ(sent()[0].secret, secret) << "the plugin instance got the generated secret";
  EXPECT_EQ(core_.log().find(secret.substr(6)), std::string::npos) << "never in the log";

  json own = create({{"name", "own secret"}, {"settings", {{"secret", "whsec_" + std::string(32, 'A')}}}});
  EXPECT_FALSE(own.contains("secret")) << "a secret the operator chose is not echoed";
}

TEST_F(NotificationServiceTest, BadInputIsRefusedPreciselyAndNothingIsStored) {
  start();
  struct Case {
    json body;
    std::string code;
    std::string detail;
  };
  for (const Case& c : {
           Case{{{"type", "carrier_pigeon"}},
                "invalid_type",
                "type: 'carrier_pigeon' is not a loaded notifier type (loaded: scripted)"},
           Case{{{"settings", {{"script", {"explode"}}}}}, "invalid_settings", "settings.script[0]: "},
           Case{{{"settings", {{"colour", "red"}}}}, "invalid_settings", "settings.colour: "},
           Case{{{"settings", {{"refuse", true}}}}, "invalid_settings", "settings: "},
           Case{{{"events", {"print_done"}}}, "invalid_events", "events[0]: unknown event 'print_done'"},
           Case{{{"printer_ids", {0}}}, "invalid_printer_ids", "printer_ids[0]: must be a positive integer"},
           Case{{{"quiet_hours", {{"start", "22:00"}, {"end", "07:00"}, {"timezone", "Mars/Base"}}}},
                "invalid_quiet_hours",
                "quiet_hours.timezone: unknown time zone 'Mars/Base'"},
           Case{{{"quiet_hours", {{"start", "25:00"}, {"end", "07:00"}}}},
                "invalid_quiet_hours",
                "quiet_hours.start: must be a time HH:MM"},
           // Names, types and unknown keys are the route's body schema's:
           // tests/unit/app/body_schema_test.cpp.
       }) {
    NotificationError e = expectError([&] { create(c.body); });
    EXPECT_EQ(e.httpStatus(), 400) << c.body.dump();
    EXPECT_EQ(e.code(), c.code) << c.body.dump() << " -> " << e.what();
    EXPECT_EQ(std::string(e.what()).rfind(c.detail, 0), 0u) << e.what();
  }
  NotificationError schema = expectError([&] { create({{"settings", {{"script", {"explode"}}}}}); });
  ASSERT_TRUE(schema.extra()["errors"].is_array());
  EXPECT_EQ(schema.extra()["errors"][0]["path"], "settings.script[0]");
  EXPECT_EQ(service_->list(), json::array());
  EXPECT_TRUE(host_->instancesOfKind(BB_KIND_NOTIFIER).empty()) << "no instance left behind";
}

TEST_F(NotificationServiceTest, RouterWritesOneRowPerMatchingProviderAndDelivers) {
  start();
  json all = create({{"name", "all"}});
  json failures = create({{"name", "failures"}, {"events", {"print_failed"}}});
  json printer2 = create({{"name", "printer 2"}, {"printer_ids", {2}}});
  publish("print_complete", {{"printer", "X1C"}, {"printer_id", 1}, {"duration", 8100}});
  ASSERT_TRUE(waitStatus(all["id"], "delivered", 1));
  json row = log(all["id"])[0];
  EXPECT_EQ(row["event"], "print_complete");
  EXPECT_EQ(row["attempts"], 1);
  EXPECT_EQ(row["http_status"], 200);
  EXPECT_EQ(row["response_snippet"], "ok");
  EXPECT_EQ(row["notification"]["data"]["duration"], 8100);
  EXPECT_EQ(row["notification"]["id"], row["event_id"]);
  EXPECT_EQ(row["notification"]["id"].get<std::string>().rfind("evt_", 0), 0u);
  EXPECT_EQ(row["notification"]["timestamp"].get<std::string>().size(), 20u); // YYYY-MM-DDTHH:MM:SSZ
  EXPECT_EQ(row["history"].size(), 1u);
  EXPECT_EQ(log(failures["id"]), json::array()) << "not subscribed: no row at all";
  EXPECT_EQ(log(printer2["id"]), json::array()) << "other printer";

  publish("printer_online", {{"printer", "P1S"}, {"printer_id", 2}});
  ASSERT_TRUE(waitStatus(printer2["id"], "delivered", 1));
  publish("queue_item_added", {{"queue_item_id", 3}});
  ASSERT_TRUE(waitStatus(printer2["id"], "delivered", 2)) << "events without a printer pass the filter";
  publish("printer_status_reported", {{"instance", "x"}});
  publish("not_in_the_catalogue", json::object());
  ASSERT_TRUE(waitStatus(all["id"], "delivered", 3));
  ASSERT_TRUE(core_.bus().waitIdle(2000));
  EXPECT_EQ(log(all["id"]).size(), 3u) << "only catalogue events are routed";
}

TEST_F(NotificationServiceTest, PrintNotificationsCarryTheirImagesWhenThereAreAnyAndFitTheCap) {
  settings_.engine.max_attachment_bytes = 100;
  std::atomic<int> asked{0};
  images_ = [&asked](const std::string& event, const json& data, int64_t max_bytes) {
    ++asked;
    EXPECT_EQ(max_bytes, 100);
    const int64_t archive = data.value("archive_id", int64_t{0});
    if (archive == 13) {
      throw std::runtime_error("the archive was deleted meanwhile");
    }
    std::vector<NotificationImage> images;
    if (archive == 12 && event == "print_complete") {
      images.push_back(
          {"thumbnail", "thumbnail.png", "image/png", std::string("\x89PNG\r\n\x1a\n", 8) + "pixels"});
    }
    return images;
  };
  start();
  json provider = create({});
  publish("print_complete", {{"printer", "X1C"}, {"printer_id", 1}, {"archive_id", 12}});
  publish("print_complete", {{"printer", "X1C"}, {"printer_id", 1}, {"archive_id", 13}});
  publish("printer_online", {{"printer", "X1C"}, {"printer_id", 1}});
  std::vector<Sent> sent = waitSentTo(instanceOf(provider), 3);
  ASSERT_EQ(sent.size(), 3u);
  ASSERT_EQ(sent[0].attachments.size(), 1u) << "the thumbnail goes with the notification";
  EXPECT_EQ(sent[0].attachments[0]["role"], "thumbnail");
  EXPECT_EQ(sent[0].attachments[0]["filename"], "thumbnail.png");
  EXPECT_EQ(sent[0].attachments[0]["content_type"], "image/png");
  EXPECT_EQ(sent[0].attachments[0]["size"], 14);
  EXPECT_EQ(sent[0].attachments[0]["head_hex"], "89504e470d0a1a0a");
  EXPECT_EQ(sent[1].attachments, json::array()) << "a failed lookup sends the text alone";
  EXPECT_EQ(sent[1].action, "ok");
  EXPECT_EQ(sent[2].attachments, json::array());
  ASSERT_TRUE(waitStatus(provider["id"], "delivered", 3));
  EXPECT_EQ(asked.load(), 3);
  shutdown(); // before `asked` goes
}

TEST_F(NotificationServiceTest, PreviewIsThePluginsOwnDescriptionAndSendsNothing) {
  start();
  json provider = create({});
  json saved = service_->preview({{"provider_id", provider["id"]}, {"event", "print_complete"}});
  EXPECT_EQ(saved["type"], "scripted");
  EXPECT_EQ(saved["event"], "print_complete");
  EXPECT_EQ(saved["notification"]["event"], "print_complete");
  EXPECT_EQ(saved["notification"]["id"], "evt_000000000000000000000000");
  EXPECT_EQ(saved["preview"]["title"],
            "print_complete on " + saved["notification"]["data"]["printer"].get<std::string>())
      << "the event's sample data when none is given";

  json own = service_->preview({{"type", "scripted"},
                                {"settings", json::object()},
                                {"event", "print_failed"},
                                {"data", {{"printer", "P1S"}, {"printer_id", 2}}}});
  EXPECT_EQ(own["preview"]["title"], "print_failed on P1S");
  EXPECT_EQ(json::parse(own["preview"]["message"].get<std::string>())["printer_id"], 2);
  EXPECT_EQ(host_->findInstance("notifier.scripted", "preview-1"), nullptr)
      << "the short-lived instance is gone";

  NotificationError bad = expectError([&] {
    service_->preview(
        {{"provider_id", provider["id"]}, {"settings", {{"preview_error", true}}}, {"event", "test"}});
  });
  EXPECT_EQ(bad.httpStatus(), 400);
  EXPECT_EQ(bad.code(), "template_error");
  EXPECT_EQ(expectError([&] {
              service_->preview({{"type", "scripted"}, {"event", "no_such_event"}});
            }).code(),
            "unknown_event");
  EXPECT_EQ(expectError([&] {
              service_->preview({{"type", "scripted"}, {"provider_id", provider["id"]}, {"event", "test"}});
            }).code(),
            "provider_or_type");
  EXPECT_EQ(expectError([&] {
              service_->preview({{"provider_id", 999}, {"event", "test"}});
            }).httpStatus(),
            404);
  EXPECT_EQ(
      expectError([&] {
        service_->preview({{"type", "scripted"}, {"settings", {{"script", {"explode"}}}}, {"event", "test"}});
      }).code(),
      "invalid_settings");
  EXPECT_TRUE(sent().empty()) << "a preview never sends";
  EXPECT_EQ(log(provider["id"]), json::array());
}

TEST_F(NotificationServiceTest, NoImageIsLookedUpWhenTheCapIsZero) {
  settings_.engine.max_attachment_bytes = 0;
  std::atomic<int> asked{0};
  images_ = [&asked](const std::string&, const json&, int64_t) {
    ++asked;
    return std::vector<NotificationImage>{{"thumbnail", "thumbnail.png", "image/png", "x"}};
  };
  start();
  json provider = create({});
  publish("print_complete", {{"printer", "X1C"}, {"printer_id", 1}, {"archive_id", 12}});
  std::vector<Sent> sent = waitSentTo(instanceOf(provider), 1);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].attachments, json::array());
  EXPECT_EQ(asked.load(), 0);
  shutdown(); // before `asked` goes
}

TEST_F(NotificationServiceTest, RetriesFollowTheScheduleUntilDelivered) {
  start();
  json p = create({{"settings", {{"script", {"retry", "retry", "ok"}}}}});
  publish("print_started");
  ASSERT_TRUE(waitStatus(p["id"], "delivered", 1));
  auto sends = waitSentTo(instanceOf(p), 3);
  ASSERT_EQ(sends.size(), 3u);
  EXPECT_GE(sends[1].attempt_started_ms - sends[0].attempt_started_ms, 100);
  EXPECT_GE(sends[2].attempt_started_ms - sends[1].attempt_started_ms, 200);
  EXPECT_EQ(sends[0].notification, sends[2].notification) << "every attempt carries the same body and id";
  json row = log(p["id"])[0];
  EXPECT_EQ(row["attempts"], 3);
  ASSERT_EQ(row["history"].size(), 3u);
  EXPECT_EQ(row["history"][0]["outcome"], "retryable");
  EXPECT_EQ(row["history"][0]["http_status"], 503);
  EXPECT_TRUE(row["history"][0]["next_attempt_at"].is_string());
  EXPECT_EQ(row["history"][2]["outcome"], "delivered");
  EXPECT_EQ(row["error"], nullptr);
  EXPECT_EQ(service_->get(p["id"])["failing_since"], nullptr) << "a success ends the failing run";
}

TEST_F(NotificationServiceTest, RetryAfterFromTheReceiverIsHonoured) {
  start();
  json p = create({{"settings", {{"script", {"retry_after:700"}}}}});
  publish("print_started");
  ASSERT_TRUE(waitStatus(p["id"], "delivered", 1));
  auto sends = waitSentTo(instanceOf(p), 2);
  ASSERT_EQ(sends.size(), 2u);
  EXPECT_GE(sends[1].attempt_started_ms - sends[0].attempt_started_ms, 700)
      << "not the 100 ms of the schedule";
  EXPECT_EQ(log(p["id"])[0]["history"][0]["retry_after_ms"], 700);
}

TEST_F(NotificationServiceTest, ScheduleUsedUpFailsTheDelivery) {
  settings_.engine.retry.schedule_ms = {0, 50, 50};
  start();
  json p = create({{"settings", {{"default", "retry"}}}});
  publish("print_started");
  ASSERT_TRUE(waitStatus(p["id"], "failed", 1));
  json row = log(p["id"])[0];
  EXPECT_EQ(row["attempts"], 3);
  EXPECT_EQ(row["error"], "gave up after 3 attempts: HTTP 503 from the receiver");
  EXPECT_EQ(waitSentTo(instanceOf(p), 3).size(), 3u);
}

TEST_F(NotificationServiceTest, GoneDisablesTheProviderAndCancelsWhatWaits) {
  start();
  json p = create({{"settings", {{"script", {"slow:300", "gone"}}, {"default", "ok"}}}});
  const int64_t id = p["id"];
  publish("print_started");
  publish("print_progress");
  publish("print_complete");
  ASSERT_TRUE(waitStatus(id, "failed", 1));
  ASSERT_TRUE(waitStatus(id, "cancelled", 1));
  json provider = service_->get(id);
  EXPECT_EQ(provider["enabled"], false);
  ASSERT_TRUE(provider["disabled_reason"].is_string());
  EXPECT_NE(provider["disabled_reason"].get<std::string>().find("410 Gone"), std::string::npos);
  json failed = log(id, std::string("failed"))[0];
  EXPECT_EQ(failed["http_status"], 410);
  EXPECT_TRUE(failed["history"].back()["provider_disabled"].is_string()) << "the disable shows in the log";
  json cancelled = log(id, std::string("cancelled"))[0];
  EXPECT_EQ(
      cancelled["error"].get<std::string>().rfind("provider disabled: the receiver answered 410 Gone", 0),
      0u);
  // Disabled: new events make no rows; the first attempt (slow, then retried) is cancelled too.
  publish("print_failed");
  ASSERT_TRUE(core_.bus().waitIdle(2000));
  EXPECT_EQ(log(id).size(), 3u);
  EXPECT_EQ(sentTo(instanceOf(p)).size(), 2u);
  // Enabling again clears the reason; deliveries flow.
  service_->update(id, {{"enabled", true}});
  EXPECT_EQ(service_->get(id)["disabled_reason"], nullptr);
  publish("print_failed");
  ASSERT_TRUE(waitStatus(id, "delivered", 1));
}

TEST_F(NotificationServiceTest, ProviderFailingForTooLongIsDisabledWithTheReason) {
  settings_.disable_after_failing_ms = 300;
  settings_.engine.retry.schedule_ms = {0, 100, 100, 100, 100, 100, 100, 100, 100, 100};
  start();
  json p = create({{"settings", {{"default", "retry"}}}});
  publish("print_started");
  ASSERT_TRUE(waitStatus(p["id"], "cancelled", 1));
  json provider = service_->get(p["id"]);
  EXPECT_EQ(provider["enabled"], false);
  EXPECT_EQ(provider["disabled_reason"].get<std::string>().rfind("every delivery failed for", 0), 0u)
      << provider["disabled_reason"];
  EXPECT_NE(provider["disabled_reason"].get<std::string>().find("HTTP 503"), std::string::npos);
  size_t attempts = log(p["id"])[0]["attempts"];
  EXPECT_GE(attempts, 2u); // about 4 at 100 ms apart; fewer when a loaded machine makes the gaps longer
  EXPECT_LE(attempts, 6u);
}

TEST_F(NotificationServiceTest, QuietHoursLogSuppressedInsteadOfSending) {
  start();
  const int64_t minute = now() / 60000 % 1440;
  auto clock = [](int64_t m) {
    m = (m + 1440) % 1440;
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02d:%02d", static_cast<int>(m / 60), static_cast<int>(m % 60));
    return std::string(buf);
  };
  json quiet = create(
      {{"name", "quiet"}, {"quiet_hours", {{"start", clock(minute - 1)}, {"end", clock(minute + 3)}}}});
  json loud = create({{"name", "loud"}});
  publish("print_failed");
  ASSERT_TRUE(waitStatus(loud["id"], "delivered", 1));
  ASSERT_TRUE(waitStatus(quiet["id"], "suppressed", 1));
  json row = log(quiet["id"])[0];
  EXPECT_EQ(row["attempts"], 0);
  EXPECT_EQ(row["error"].get<std::string>().rfind("quiet hours ", 0), 0u);
  EXPECT_TRUE(sentTo(instanceOf(quiet)).empty());
  // A suppressed delivery can be sent on demand.
  json again = service_->redeliver(row["id"]);
  ASSERT_TRUE(waitStatus(quiet["id"], "delivered", 1));
  EXPECT_EQ(again["redelivery_of"], row["id"]);
}

TEST_F(NotificationServiceTest, ADeadReceiverDoesNotDelayTheOthers) {
  start();
  json dead = create({{"name", "dead"}, {"settings", {{"default", "slow:3000"}}}});
  json healthy = create({{"name", "healthy"}});
  const auto t0 = Clock::now();
  for (int i = 0; i < 5; ++i) {
    publish("print_progress", {{"printer_id", 1}, {"progress", 10 * i}});
  }
  ASSERT_TRUE(waitStatus(healthy["id"], "delivered", 5, 2500));
  EXPECT_LT(Clock::now() - t0, std::chrono::milliseconds(2500))
      << "healthy deliveries did not wait for the dead one";
  EXPECT_TRUE(log(dead["id"], std::string("delivered")).empty());
  // In event order at the healthy receiver (one worker per provider).
  auto sends = waitSentTo(instanceOf(healthy), 5);
  ASSERT_EQ(sends.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(sends[i].notification["data"]["progress"], 10 * i);
  }
}

TEST_F(NotificationServiceTest, TestEndpointReturnsTheDeliveryResult) {
  start();
  json ok = create({{"name", "ok"}});
  json result = testNow(ok["id"]);
  EXPECT_EQ(result["event"], "test");
  EXPECT_EQ(result["status"], "delivered");
  EXPECT_EQ(result["attempts"], 1);
  EXPECT_EQ(result["notification"]["data"]["provider"], "ok");
  EXPECT_EQ(result["notification"]["data"]["provider_id"], ok["id"]);
  json bad = create({{"name", "bad"}, {"settings", {{"script", {"fail"}}}}});
  json failed = testNow(bad["id"]);
  EXPECT_EQ(failed["status"], "failed");
  EXPECT_EQ(failed["http_status"], 400);
  EXPECT_EQ(failed["response_snippet"], "bad payload");
  EXPECT_EQ(failed["error"], "HTTP 400 from the receiver");
  json thrower = create({{"name", "thrower"}, {"settings", {{"script", {"throw"}}}}});
  json retrying = testNow(thrower["id"]);
  EXPECT_EQ(retrying["status"], "retrying");
  EXPECT_NE(retrying["error"].get<std::string>().find("scripted failure"), std::string::npos);
  ASSERT_TRUE(waitStatus(thrower["id"], "delivered", 1)) << "a failed test is retried like any delivery";
  EXPECT_EQ(expectError([&] { service_->test(999); }).httpStatus(), 404);
}

TEST_F(NotificationServiceTest, TestsRunOnTheirOwnBoundedThreadsAndAreRefusedWhenFull) {
  settings_.test_threads = 1;
  settings_.test_queue = 1;
  start();
  json slow = create({{"name", "slow"}, {"settings", {{"script", {"slow:1500", "slow:1500"}}}}});
  const auto t0 = Clock::now();
  json first = service_->test(slow["id"].get<int64_t>());
  json second = service_->test(slow["id"].get<int64_t>());
  EXPECT_LT(Clock::now() - t0, std::chrono::milliseconds(1000)) << "test() waits for no receiver";
  EXPECT_EQ(first["status"], "pending");
  EXPECT_EQ(second["status"], "pending");
  NotificationError busy = expectError([&] { service_->test(slow["id"].get<int64_t>()); });
  EXPECT_EQ(busy.httpStatus(), 429);
  EXPECT_EQ(busy.code(), "tests_busy");
  EXPECT_EQ(log(slow["id"]).size(), 2u) << "a refused test leaves no row";
  ASSERT_TRUE(waitStatus(slow["id"], "delivered", 2, 15000)) << "timed out, then retried";
  EXPECT_EQ(testNow(slow["id"])["status"], "delivered") << "room again once they finished";
}

TEST_F(NotificationServiceTest, RedeliverSendsTheSameNotificationAgain) {
  start();
  json p = create({});
  publish("print_complete");
  ASSERT_TRUE(waitStatus(p["id"], "delivered", 1));
  json first = log(p["id"])[0];
  json again = service_->redeliver(first["id"]);
  EXPECT_EQ(again["status"], "pending");
  EXPECT_EQ(again["redelivery_of"], first["id"]);
  ASSERT_TRUE(waitStatus(p["id"], "delivered", 2));
  auto sends = waitSentTo(instanceOf(p), 2);
  ASSERT_EQ(sends.size(), 2u);
  EXPECT_EQ(sends[0].notification, sends[1].notification) << "same id, so the same webhook-id";
  EXPECT_EQ(expectError([&] { service_->redeliver(987654); }).httpStatus(), 404);

  json slow = create({{"name", "slow"}, {"settings", {{"script", {"retry"}}}}});
  settings_.engine.retry.schedule_ms = {0, 100};
  publish("print_failed");
  ASSERT_TRUE(waitStatus(slow["id"], "retrying", 1));
  NotificationError pending = expectError([&] { service_->redeliver(log(slow["id"])[0]["id"]); });
  EXPECT_EQ(pending.httpStatus(), 409);
  EXPECT_EQ(pending.code(), "delivery_pending");
}

TEST_F(NotificationServiceTest, RotatingTheSecretKeepsThePreviousOneForTheGracePeriod) {
  start();
  json p = create({});
  const std::string first = p["secret"];
  json rotated = service_->rotateSecret(p["id"], {{"grace_period_s", 60}});
  const std::string second = rotated["secret"];
  EXPECT_NE(first, second);
  EXPECT_EQ(second.rfind("whsec_", 0), 0u);
  EXPECT_TRUE(rotated["previous_secret_expires_at"].is_string());
  EXPECT_EQ(rotated["provider"]["settings"]["secret"], "********");
  EXPECT_EQ(rotated["provider"]["settings"]["previous_secret"], "********");
  testNow(p["id"]);
  ASSERT_EQ(waitSentTo(instanceOf(p), 1).size(), 1u);
  EXPECT_EQ(sent()[0].secret, second);
  EXPECT_EQ(sent()[0].previous_secret, first);
  const std::string read = service_->get(p["id"]).dump();
  EXPECT_EQ(read.find(second.substr(6)), std::string::npos);
  EXPECT_EQ(read.find(first.substr(6)), std::string::npos);

  json immediate = service_->rotateSecret(p["id"], json::object());
  EXPECT_TRUE(immediate["previous_secret_expires_at"].is_string()) << "default grace 86400 s";
  json no_grace = service_->rotateSecret(p["id"], {{"grace_period_s", 0}});
  EXPECT_EQ(no_grace["previous_secret_expires_at"], nullptr);
  EXPECT_FALSE(no_grace["provider"]["settings"].contains("previous_secret"));
  // An out-of-range grace_period_s is the route's body schema's (tests/unit/app/body_schema_test.cpp).
}

TEST_F(NotificationServiceTest, UpdateAndRemove) {
  start();
  json p = create({{"name", "before"}});
  const int64_t id = p["id"];
  json changed =
      service_->update(id, {{"name", "after"}, {"events", {"print_failed"}}, {"printer_ids", {1, 2}}});
  EXPECT_EQ(changed["name"], "after");
  EXPECT_EQ(changed["events"], json({"print_failed"}));
  EXPECT_EQ(changed["printer_ids"], json({1, 2}));
  // A refused settings change changes nothing: the old instance still delivers.
  NotificationError refused = expectError([&] { service_->update(id, {{"settings", {{"refuse", true}}}}); });
  EXPECT_EQ(refused.code(), "invalid_settings");
  EXPECT_EQ(testNow(id)["status"], "delivered");
  // Sending the mask back keeps the secret; a real change re-creates the instance.
  service_->update(id, {{"settings", {{"secret", "********"}, {"script", {"fail"}}}}});
  EXPECT_EQ(testNow(id)["status"], "failed");
  EXPECT_EQ(waitSentTo(instanceOf(p), 2).back().secret, p["secret"]);
  // Back to every event.
  EXPECT_EQ(service_->update(id, {{"events", nullptr}})["events"], nullptr);

  service_->remove(id);
  EXPECT_EQ(expectError([&] { service_->get(id); }).httpStatus(), 404);
  EXPECT_EQ(expectError([&] { service_->deliveries(id, std::nullopt, 10, 0); }).httpStatus(), 404);
  EXPECT_TRUE(host_->instancesOfKind(BB_KIND_NOTIFIER).empty());
  json next = create({});
  EXPECT_GT(next["id"].get<int64_t>(), id) << "ids are never reused";
}

TEST_F(NotificationServiceTest, DisablingByHandCancelsWhatWaits) {
  start();
  json p = create({{"settings", {{"default", "retry"}}}});
  settings_.engine.retry.schedule_ms = {0, 100};
  publish("print_started");
  ASSERT_TRUE(waitStatus(p["id"], "retrying", 1));
  service_->update(p["id"], {{"enabled", false}});
  ASSERT_TRUE(waitStatus(p["id"], "cancelled", 1));
  EXPECT_EQ(log(p["id"])[0]["error"], "the provider was disabled by a user");
}

TEST_F(NotificationServiceTest, PendingDeliveriesSurviveARestartAndKeepTheirId) {
  settings_.engine.retry.schedule_ms = {0, 60000};
  start();
  json p = create({{"settings", {{"default", "retry"}}}});
  const int64_t id = p["id"];
  for (const char* type : {"print_started", "print_progress", "print_complete"}) {
    publish(type);
  }
  // The first waits for its retry; the two after it are about the same printer, so they wait too.
  ASSERT_TRUE(waitStatus(id, "retrying", 1));
  ASSERT_TRUE(waitStatus(id, "pending", 2));
  std::vector<Sent> first = waitSentTo(instanceOf(p), 1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].notification["event"], "print_started");
  std::vector<std::string> ids_before;
  for (const json& row : log(id)) {
    ids_before.push_back(row["notification"]["id"]);
  }
  shutdown();

  // The receiver is fixed meanwhile; the retries come due.
  ProviderStore store(core_.database());
  ProviderRecord record = *store.find(id);
  record.settings["default"] = "ok";
  store.update(record);
  offset_ms_ = 61000;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    sent_.clear();
  }
  start();
  ASSERT_TRUE(waitStatus(id, "delivered", 3));
  std::vector<std::string> ids_after, events_after;
  for (const Sent& s : waitSentTo(instanceOf(p), 3)) {
    ids_after.push_back(s.notification["id"]);
    events_after.push_back(s.notification["event"]);
  }
  EXPECT_EQ(events_after, (std::vector<std::string>{"print_started", "print_progress", "print_complete"}))
      << "after the restart too, the retried event goes before the ones it held back";
  std::sort(ids_before.begin(), ids_before.end());
  std::sort(ids_after.begin(), ids_after.end());
  EXPECT_EQ(ids_after, ids_before) << "each delivered with the id it was stored with";
  json rows = log(id); // newest first
  EXPECT_EQ(rows[2]["attempts"], 2) << "print_started: its failed attempt and the one after the restart";
  EXPECT_EQ(rows[0]["attempts"], 1);
}

TEST_F(NotificationServiceTest, ARetryHoldsBackOnlyThatPrintersLaterEventsForThatProvider) {
  settings_.engine.retry.schedule_ms = {0, 400};
  start();
  json slow = create({{"name", "slow"}, {"settings", {{"script", {"retry"}}, {"default", "ok"}}}});
  json other = create({{"name", "other"}});
  publish("print_started", {{"printer", "X1C"}, {"printer_id", 1}});
  ASSERT_TRUE(waitStatus(slow["id"], "retrying", 1));
  publish("print_cancelled", {{"printer", "X1C"}, {"printer_id", 1}});
  publish("print_started", {{"printer", "P1S"}, {"printer_id", 2}});
  // Printer 2 and the other provider are not held up by printer 1's retry.
  ASSERT_TRUE(waitStatus(slow["id"], "delivered", 1));
  ASSERT_TRUE(waitStatus(other["id"], "delivered", 3));
  std::vector<Sent> to_slow = sentTo(instanceOf(slow));
  ASSERT_EQ(to_slow.size(), 2u);
  EXPECT_EQ(to_slow[1].notification["data"]["printer_id"], 2);
  EXPECT_EQ(log(slow["id"], std::string("pending")).size(), 1u) << "print_cancelled waits for print_started";
  // The retry goes through, then what it held back, in event order.
  ASSERT_TRUE(waitStatus(slow["id"], "delivered", 3));
  to_slow = waitSentTo(instanceOf(slow), 4);
  ASSERT_EQ(to_slow.size(), 4u);
  EXPECT_EQ(to_slow[2].notification["event"], "print_started");
  EXPECT_EQ(to_slow[2].notification["data"]["printer_id"], 1);
  EXPECT_EQ(to_slow[3].notification["event"], "print_cancelled");
}

TEST_F(NotificationServiceTest, ProvidersDeclaredInYaml) {
  start("      instances:\n"
        "        - id: night-desk\n"
        "          name: Night desk\n"
        "          settings: { default: ok }\n"
        "          events: [print_failed, printer_error]\n"
        "          quiet_hours: { start: \"22:00\", end: \"07:00\", timezone: Europe/Berlin }\n");
  json list = service_->list();
  ASSERT_EQ(list.size(), 1u);
  json p = list[0];
  EXPECT_EQ(p["source"], "config");
  EXPECT_EQ(p["name"], "Night desk");
  EXPECT_EQ(p["instance_id"], "night-desk");
  EXPECT_EQ(p["events"], json({"print_failed", "printer_error"}));
  EXPECT_EQ(p["quiet_hours"]["timezone"], "Europe/Berlin");
  const int64_t id = p["id"];
  for (auto attempt : {std::function<void()>([&] {
                         service_->update(id, {{"name", "x"}});
                       }),
                       std::function<void()>([&] { service_->remove(id); }),
                       std::function<void()>([&] { service_->rotateSecret(id, json::object()); })}) {
    NotificationError e = expectError(attempt);
    EXPECT_EQ(e.httpStatus(), 409);
    EXPECT_EQ(e.code(), "declared_in_config");
  }
  EXPECT_EQ(testNow(id)["status"], "delivered");
  // Same id after a restart.
  shutdown();
  start("      instances:\n        - id: night-desk\n");
  ASSERT_EQ(service_->list().size(), 1u);
  EXPECT_EQ(service_->list()[0]["id"], id);
  EXPECT_EQ(service_->list()[0]["events"], nullptr);
}

TEST_F(NotificationServiceTest, YamlProblemsTheSchemaCannotSeeStopStartWithTheLine) {
  try {
    start("      instances:\n"
          "        - id: a\n"
          "          quiet_hours: { start: \"22:00\", end: \"07:00\", timezone: Mars/Base }\n"
          "        - id: provider-7\n");
    FAIL() << "started";
  } catch (const config::ConfigException& e) {
    ASSERT_EQ(e.errors().size(), 2u);
    EXPECT_EQ(e.errors()[0].line, 9); // the quiet_hours line
    EXPECT_EQ(e.errors()[0].path, "plugins.load[0].instances[0].quiet_hours");
    EXPECT_NE(e.errors()[0].message.find("unknown time zone 'Mars/Base'"), std::string::npos);
    EXPECT_EQ(e.errors()[1].path, "plugins.load[0].instances[1].id");
    EXPECT_NE(e.errors()[1].message.find("reserved"), std::string::npos);
  }
}

TEST_F(NotificationServiceTest, TypesAndEventsDescribeThemselves) {
  start();
  json types = service_->types();
  ASSERT_EQ(types.size(), 1u);
  EXPECT_EQ(types[0]["type"], "scripted");
  EXPECT_EQ(types[0]["plugin"], "notifier.scripted");
  EXPECT_TRUE(types[0]["settings_schema"]["properties"].contains("script"));
  EXPECT_EQ(types[0]["generated_secrets"], json({"secret"}));
  json events = service_->events();
  ASSERT_EQ(events.size(), 13u);
  for (const json& e : events) {
    EXPECT_EQ(e["sample"]["event"], e["event"]);
    EXPECT_TRUE(e["sample"]["data"].is_object());
    EXPECT_FALSE(e["description"].get<std::string>().empty());
  }
}

} // namespace notification_service_test
} // namespace bambuddy::notifications
