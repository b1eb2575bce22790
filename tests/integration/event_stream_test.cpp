// GET /api/v1/events/stream through real HTTP against the server binary: simulated printers
// (printer.sim) print on their own clock, a real webhook receiver gets the same events, and SSE
// clients read the stream as a browser's EventSource would.
#include "support/http_client.h"
#include "support/http_receiver.h"
#include "support/server_api.h"
#include "support/server_process.h"
#include "support/sse_client.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace bambuddy::testing {
namespace event_stream_test {

using nlohmann::json;

const std::string kAdminKey = "bb_G6HGs2IQh4V1F8RoJCdsjSGZ-BwXbDLDkFt6dEbxU5k";

class EventStreamTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string yaml = "server:\n  listen: 127.0.0.1:0\n"
                       "  event_stream: {per_key_limit: 3, max_streams: 5, max_buffer_bytes: 4096}\n"
                       "auth:\n  rate_limits: {read: 100000, write: 100000, control: 100000}\n"
                       "data_dir: " +
                       dir_.file("data") + "\nplugins:\n  search_path: [" + pluginDir() +
                       "]\n  load:\n"
                       "    - name: storage.local\n"
                       "    - name: auth.apikey\n"
                       "    - name: notifier.webhook\n"
                       "    - name: printer.sim\n";
    config_ = dir_.write("bambuddy.yaml", yaml);
    start();
  }

  void start() {
    server_ = std::make_unique<ServerProcess>(
        serverBinary(), std::vector<std::string>{"--config", config_},
        std::map<std::string, std::string>{{"BAMBUDDY_ADMIN_KEY", kAdminKey}});
    ASSERT_TRUE(server_->waitReady()) << server_->log();
    api_ = ServerApi(server_->port(), kAdminKey);
  }

  void print(int64_t printer, int64_t archive) {
    ApiAnswer a = api_.call("POST", "/api/v1/printers/" + std::to_string(printer) + "/print/start",
                            json{{"archive_id", archive}});
    ASSERT_EQ(a.status, 202) << a.raw;
  }

  // A stream opened with `key` (X-API-Key) and the given query and extra headers.
  std::unique_ptr<SseClient> stream(const std::string& key, const std::string& query = "",
                                    std::vector<std::pair<std::string, std::string>> headers = {},
                                    int receive_buffer_bytes = 0) {
    if (!key.empty()) {
      headers.emplace_back("X-API-Key", key);
    }
    auto client = std::make_unique<SseClient>();
    EXPECT_TRUE(client->open("127.0.0.1", server_->port(), "/api/v1/events/stream" + query, headers, 5000,
                             receive_buffer_bytes))
        << client->error();
    return client;
  }

  TempDir dir_;
  std::string config_;
  std::unique_ptr<ServerProcess> server_;
  ServerApi api_;
};

std::vector<std::string> names(const std::vector<SseEvent>& events) {
  std::vector<std::string> out;
  for (const SseEvent& e : events) {
    out.push_back(e.event);
  }
  return out;
}

size_t indexOf(const std::vector<std::string>& list, const std::string& name) {
  return static_cast<size_t>(std::find(list.begin(), list.end(), name) - list.begin());
}

TEST_F(EventStreamTest, APrintsEventsArriveInOrderWithTheIdsAndBodiesOfTheirWebhooks) {
  HttpReceiver rx;
  ApiAnswer hook =
      api_.call("POST", "/api/v1/notifications",
                json{{"type", "webhook"}, {"name", "hook"}, {"settings", {{"url", rx.url("/hook")}}}});
  ASSERT_EQ(hook.status, 201) << hook.raw;
  int64_t printer = api_.addSim("Streamed");
  int64_t archive = api_.upload("cube");
  auto client = stream(api_.keyWith({"printers:read"}));
  ASSERT_EQ(client->status(), 200);
  EXPECT_EQ(client->headers().at("content-type"), "text/event-stream; charset=utf-8");
  EXPECT_EQ(client->headers().at("cache-control"), "no-cache");

  print(printer, archive);
  auto events = client->until("print_complete", 20000);
  ASSERT_TRUE(events) << client->raw();
  std::vector<std::string> order = names(*events);
  ASSERT_LT(indexOf(order, "print_started"), indexOf(order, "print_complete"));
  EXPECT_EQ(client->retryMs(), 3000);

  const std::regex event_id("^evt_[0-9a-f]{24}$");
  std::map<std::string, std::string> by_id;
  for (const SseEvent& e : *events) {
    ASSERT_TRUE(e.id) << e.event;
    EXPECT_TRUE(std::regex_match(*e.id, event_id)) << *e.id;
    json body = json::parse(e.data);
    EXPECT_EQ(body["id"], *e.id);
    EXPECT_EQ(body["event"], e.event);
    EXPECT_EQ(body["data"]["printer_id"], printer);
    by_id[*e.id] = e.data;
  }
  // The webhook of each event carries the same id and the very same body.
  ASSERT_TRUE(rx.waitForRequests(events->size(), 15000));
  size_t compared = 0;
  for (const ReceivedRequest& request : rx.requests()) {
    auto it = by_id.find(request.header("webhook-id"));
    if (it != by_id.end()) {
      EXPECT_EQ(request.body, it->second);
      ++compared;
    }
  }
  EXPECT_EQ(compared, events->size());
}

TEST_F(EventStreamTest, LastEventIdResumesWhereTheClientLeftOff) {
  int64_t printer = api_.addSim("Resumed");
  int64_t archive = api_.upload("resume");
  auto first = stream(kAdminKey, "?events=print_started,print_progress,print_complete");
  print(printer, archive);
  auto seen = first->until("print_complete", 20000);
  ASSERT_TRUE(seen);
  ASSERT_GE(seen->size(), 2u);
  first->close();

  // Reconnecting with the id of the first event replays the rest, in order, then goes live.
  auto resumed = stream(kAdminKey, "?events=print_started,print_progress,print_complete",
                        {{"Last-Event-ID", *(*seen)[0].id}});
  for (size_t i = 1; i < seen->size(); ++i) {
    auto event = resumed->next();
    ASSERT_TRUE(event) << i;
    EXPECT_EQ(event->id, (*seen)[i].id);
    EXPECT_EQ(event->data, (*seen)[i].data);
  }
  EXPECT_FALSE(resumed->next(300)) << "nothing twice";

  auto lost = stream(kAdminKey, "", {{"Last-Event-ID", "evt_000000000000000000000000"}});
  auto reset = lost->next();
  ASSERT_TRUE(reset);
  EXPECT_EQ(reset->event, "reset");
  EXPECT_FALSE(reset->id);
  EXPECT_EQ(json::parse(reset->data)["reason"], "unknown_last_event_id");
}

// A client connected before a restart resumes from its Last-Event-ID afterwards: the stream starts
// with the journal's recent events.
TEST_F(EventStreamTest, AClientResumesAcrossARestartOfTheServer) {
  int64_t printer = api_.addSim("Restarted");
  int64_t archive = api_.upload("restart");
  auto before = stream(kAdminKey, "?events=print_started,print_complete");
  print(printer, archive);
  auto seen = before->until("print_complete", 20000);
  ASSERT_TRUE(seen);
  ASSERT_GE(seen->size(), 2u);
  before->close();
  ASSERT_EQ(server_->stop(), 0);
  start();
  auto after = stream(kAdminKey, "?events=print_started,print_complete", {{"Last-Event-ID", *(*seen)[0].id}});
  for (size_t i = 1; i < seen->size(); ++i) {
    auto event = after->next();
    ASSERT_TRUE(event) << i << " " << after->raw();
    EXPECT_EQ(event->event, (*seen)[i].event);
    EXPECT_EQ(event->id, (*seen)[i].id);
  }
}

TEST_F(EventStreamTest, AKeySeesOnlyTheEventsItsPermissionsAndPrintersAllow) {
  int64_t a = api_.addSim("A");
  int64_t b = api_.addSim("B");
  int64_t archive = api_.upload("perm");
  auto only_b = stream(api_.keyWith({"printers:read"}, {b}));
  auto queue_only = stream(api_.keyWith({"queue:read"}));
  auto all = stream(api_.keyWith({"printers:read", "queue:read"}));
  auto stats_only = stream(api_.keyWith({"statistics:read"}));
  ASSERT_EQ(stats_only->status(), 200) << "any valid key may open a stream";

  print(a, archive);
  ASSERT_TRUE(all->until("print_complete", 20000));
  ASSERT_EQ(api_.call("POST", "/api/v1/queue", json{{"archive_id", archive}, {"printer_id", a}}).status, 201);
  print(b, archive);
  auto seen_all = all->until("print_complete", 20000);
  ASSERT_TRUE(seen_all);
  std::vector<std::string> all_names = names(*seen_all);
  EXPECT_LT(indexOf(all_names, "queue_item_added"), all_names.size());

  auto seen_b = only_b->until("print_complete", 20000);
  ASSERT_TRUE(seen_b);
  for (const SseEvent& e : *seen_b) {
    EXPECT_EQ(json::parse(e.data)["data"]["printer_id"], b) << e.event << " of another printer";
    EXPECT_NE(e.event.rfind("queue_", 0), 0u) << "queue events need queue:read";
  }
  auto queue_events = queue_only->until("queue_item_added", 10000);
  ASSERT_TRUE(queue_events);
  for (const SseEvent& e : *queue_events) {
    EXPECT_EQ(e.event.rfind("queue_", 0), 0u) << e.event << " needs printers:read";
  }
  EXPECT_FALSE(stats_only->next(300)) << "no event is a statistics:read event";

  auto bad = stream(kAdminKey, "?events=print_started,nonsense");
  EXPECT_EQ(bad->status(), 400);
  EXPECT_EQ(json::parse(bad->body())["code"], "invalid_events");
  auto no_key = stream("");
  EXPECT_EQ(no_key->status(), 401);
}

TEST_F(EventStreamTest, AStreamTokenOpensOneStreamForBrowsers) {
  int64_t printer = api_.addSim("Token");
  const std::string key = api_.keyWith({"printers:read"}, {printer});
  ApiAnswer issued = api_.call("POST", "/api/v1/auth/stream-token", "", key);
  ASSERT_EQ(issued.status, 201) << issued.raw;
  EXPECT_EQ(issued.body["expires_in"], 60);
  const std::string token = issued.body["token"];

  auto browser = stream("", "?status=1&token=" + token);
  ASSERT_EQ(browser->status(), 200) << browser->body();
  auto status = browser->next(5000);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->event, "status");
  EXPECT_FALSE(status->id) << "a snapshot is not an event to resume from";
  EXPECT_EQ(json::parse(status->data)["id"], printer);

  auto again = stream("", "?token=" + token);
  EXPECT_EQ(again->status(), 401);
  EXPECT_EQ(json::parse(again->body())["code"], "invalid_stream_token");
  auto made_up = stream("", "?token=bbst_00000000000000000000000000000000");
  EXPECT_EQ(made_up->status(), 401);
  EXPECT_EQ(api_.call("POST", "/api/v1/auth/stream-token", "", "bb_not_a_key").status, 401);
  EXPECT_EQ(server_->log().find(token), std::string::npos) << "a token never reaches the log";
}

TEST_F(EventStreamTest, ADeletedOrChangedKeysStreamsEnd) {
  ApiAnswer created =
      api_.call("POST", "/api/v1/api-keys", json{{"name", "display"}, {"permissions", {"printers:read"}}});
  ASSERT_EQ(created.status, 201) << created.raw;
  const std::string key = created.body["key"];
  const std::string path = "/api/v1/api-keys/" + std::to_string(created.body["id"].get<int64_t>());
  auto changed = stream(key);
  ASSERT_EQ(api_.call("PATCH", path, json{{"permissions", {"queue:read"}}}).status, 200);
  auto last = changed->next(5000);
  ASSERT_TRUE(last);
  EXPECT_EQ(last->event, "closed");
  EXPECT_EQ(json::parse(last->data)["reason"], "key_changed");
  EXPECT_TRUE(changed->ended(5000));

  auto deleted = stream(key);
  ASSERT_EQ(deleted->status(), 200);
  ASSERT_EQ(api_.call("DELETE", path).status, 204);
  last = deleted->next(5000);
  ASSERT_TRUE(last);
  EXPECT_EQ(json::parse(last->data)["reason"], "key_deleted");
  EXPECT_TRUE(deleted->ended(5000));
  EXPECT_EQ(stream(key)->status(), 401);
}

TEST_F(EventStreamTest, StatusSnapshotsComeAtMostOncePerSecondPerPrinter) {
  int64_t printer = api_.addSim("Status"); // reports every 20 ms
  ApiAnswer slow =
      api_.call("PATCH", "/api/v1/printers/" + std::to_string(printer), json{{"settings", {{"speed", 1.0}}}});
  ASSERT_EQ(slow.status, 200) << slow.raw;
  print(printer, api_.upload("long")); // a minute of printing: the status changes with every report
  auto client = stream(kAdminKey, "?status=1&printer_id=" + std::to_string(printer));
  size_t snapshots = 0;
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(4200);
  while (std::chrono::steady_clock::now() < until) {
    auto event = client->next(200);
    if (!event || event->event != "status") {
      continue; // the print's own lifecycle events may arrive too: only snapshots are counted
    }
    json status = json::parse(event->data);
    EXPECT_EQ(status["id"], printer);
    ++snapshots;
  }
  // ~210 reports in 4.2 s: a snapshot within a second, then at most one a second (a slow machine
  // may lose a round, never add ~200).
  EXPECT_GE(snapshots, 3u);
  EXPECT_LE(snapshots, 6u);
}

TEST_F(EventStreamTest, OpenStreamsAreLimitedPerKeyAndInAll) {
  const std::string one = api_.keyWith({"printers:read"});
  const std::string two = api_.keyWith({"printers:read"});
  std::vector<std::unique_ptr<SseClient>> open;
  for (int i = 0; i < 3; ++i) {
    open.push_back(stream(one));
    ASSERT_EQ(open.back()->status(), 200);
  }
  auto refused = stream(one);
  EXPECT_EQ(refused->status(), 429);
  EXPECT_EQ(json::parse(refused->body())["code"], "too_many_streams");
  open.push_back(stream(two));
  open.push_back(stream(two));
  ASSERT_EQ(open.back()->status(), 200);
  auto full = stream(kAdminKey);
  EXPECT_EQ(full->status(), 503);
  EXPECT_EQ(json::parse(full->body())["code"], "stream_capacity");

  open.front()->close(); // the slot is free again once the server notices
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  int status = 0;
  while (std::chrono::steady_clock::now() < until && status != 200) {
    auto retry = stream(one);
    status = retry->status();
    if (status == 200) {
      open.push_back(std::move(retry));
    }
  }
  EXPECT_EQ(status, 200);
}

TEST_F(EventStreamTest, ASlowClientIsDroppedWithOverflowWhileOthersGetEverything) {
  int64_t archive = api_.upload("many");
  auto slow = stream(kAdminKey, "?events=queue_item_added", {}, 4096);
  auto fast = stream(kAdminKey, "?events=queue_item_added");
  constexpr int kItems = 800; // ~400 KB of events against a 4 KiB backlog and small socket buffers
  std::thread reader([&] {
    int got = 0;
    while (got < kItems) {
      auto e = fast->next(15000);
      if (!e) {
        break;
      }
      got += e->event == "queue_item_added" ? 1 : 0;
    }
    EXPECT_EQ(got, kItems) << "the fast client got every event";
  });
  for (int i = 0; i < kItems; ++i) {
    ASSERT_EQ(api_.call("POST", "/api/v1/queue", json{{"archive_id", archive}}).status, 201);
  }
  reader.join();
  auto events = slow->until("overflow", 15000);
  ASSERT_TRUE(events) << "the slow client reads its overflow event in the end; it got " << slow->raw().size()
                      << " bytes, ending in "
                      << slow->raw().substr(slow->raw().size() > 300 ? slow->raw().size() - 300 : 0);
  EXPECT_LT(events->size(), static_cast<size_t>(kItems));
  EXPECT_EQ(json::parse(events->back().data)["reason"], "client_too_slow");
  EXPECT_TRUE(slow->ended(5000));
  EXPECT_EQ(api_.call("GET", "/health").status, 200);
}

} // namespace event_stream_test
} // namespace bambuddy::testing
