// The event stream's hub with a recording sink in place of the HTTP server: who sees which event,
// resume and reset, status snapshots, comments on a quiet stream, slow clients and the limits.
// The HTTP side (StreamPump) and the whole route are tested in tests/unit/http and
// tests/integration/event_stream_test.cpp.
#include "stream/stream_hub.h"

#include "common/logger.h"

#include <bambuddy/abi.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace bambuddy::stream {
namespace stream_hub_test {

using nlohmann::json;

// Records what the hub writes; `backlog` plays the bytes a slow client has not taken.
class RecordingSink : public http::StreamSink {
public:
  bool write(std::string bytes) override {
    std::lock_guard<std::mutex> lock(mutex);
    if (ended) {
      return false;
    }
    text += bytes;
    backlog += held_back ? bytes.size() : 0;
    return true;
  }
  size_t pendingBytes() const override {
    std::lock_guard<std::mutex> lock(mutex);
    return backlog;
  }
  void closeWith(std::string last) override {
    std::lock_guard<std::mutex> lock(mutex);
    closed_with = last;
    ended = true;
  }
  void keepAlive() override { ++keep_alives; }

  // The parsed frames written so far: {"id", "event", "data"} (comments as {"comment"}).
  std::vector<json> frames() const {
    std::lock_guard<std::mutex> lock(mutex);
    std::vector<json> out;
    json current = json::object();
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      std::string line = text.substr(start, end - start);
      start = end + 1;
      if (line.empty()) {
        if (!current.empty()) {
          out.push_back(current);
        }
        current = json::object();
      } else if (line[0] == ':') {
        current["comment"] = line.substr(2);
      } else {
        size_t colon = line.find(": ");
        current[line.substr(0, colon)] = line.substr(colon + 2);
      }
    }
    return out;
  }
  std::vector<json> events() const {
    std::vector<json> out;
    for (const json& f : frames()) {
      if (f.contains("event")) {
        out.push_back(f);
      }
    }
    return out;
  }

  mutable std::mutex mutex;
  std::string text;
  size_t backlog = 0;
  bool held_back = false;
  bool ended = false;
  std::string closed_with;
  std::atomic<int> keep_alives{0};
};

http::Principal principal(const std::string& id, uint64_t permissions, std::vector<int64_t> printers = {}) {
  http::Principal p;
  p.id = id;
  p.permissions = permissions;
  p.printer_ids = std::move(printers);
  return p;
}

journal::JournalEntry entry(const std::string& id, const std::string& type, int64_t printer_id) {
  journal::JournalEntry e;
  e.event_id = id;
  e.type = type;
  e.printer_id = printer_id;
  e.timestamp_ms = 1705329000000;
  e.payload_json = json{{"printer_id", printer_id}}.dump();
  return e;
}

class StreamHubTest : public ::testing::Test {
protected:
  StreamHubTest() { settings_.comment_interval_ms = 15000; }

  std::unique_ptr<StreamHub>& hub() {
    if (!hub_) {
      hub_ = std::make_unique<StreamHub>(settings_, logger_, [this] { return now_ms_.load(); });
    }
    return hub_;
  }

  // Opens a stream as the HTTP server would; the sink is what the client receives.
  std::shared_ptr<RecordingSink> open(const http::Principal& who, StreamFilter filter = {},
                                      std::optional<std::string> last_event_id = std::nullopt,
                                      int* status = nullptr) {
    http::Response r = hub()->open(who, std::move(filter), std::move(last_event_id));
    if (status != nullptr) {
      *status = r.status;
    }
    if (r.status != 200) {
      return nullptr;
    }
    EXPECT_EQ(r.content_type, "text/event-stream; charset=utf-8");
    auto sink = std::make_shared<RecordingSink>();
    bodies_.push_back(r.stream_body);
    r.stream_body->open(sink);
    return sink;
  }

  std::vector<std::string> eventNames(const RecordingSink& sink) {
    std::vector<std::string> out;
    for (const json& f : sink.events()) {
      out.push_back(f["event"]);
    }
    return out;
  }

  StreamSettings settings_;
  Logger logger_{LogLevel::Error};
  std::atomic<int64_t> now_ms_{1000};
  std::unique_ptr<StreamHub> hub_;
  std::vector<std::shared_ptr<http::StreamBody>> bodies_;
};

TEST_F(StreamHubTest, EventsGoOutAsTheirWebhookBodyWithIdAndName) {
  auto sink = open(principal("k1", BB_PERM_PRINTERS_READ));
  hub()->publish(entry("evt_000000000000000000000001", "print_started", 3));
  std::vector<json> events = sink->events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["id"], "evt_000000000000000000000001");
  EXPECT_EQ(events[0]["event"], "print_started");
  json body = json::parse(events[0]["data"].get<std::string>());
  EXPECT_EQ(body["id"], "evt_000000000000000000000001");
  EXPECT_EQ(body["event"], "print_started");
  EXPECT_EQ(body["timestamp"], "2024-01-15T14:30:00Z");
  EXPECT_EQ(body["data"]["printer_id"], 3);
  EXPECT_NE(sink->text.find("retry: 3000\n\n"), std::string::npos) << "browsers learn the reconnect delay";
}

TEST_F(StreamHubTest, AKeySeesOnlyWhatItMayReadAndWhatItAskedFor) {
  auto printers = open(principal("p", BB_PERM_PRINTERS_READ));
  auto queue = open(principal("q", BB_PERM_QUEUE_READ));
  auto admin = open(principal("a", BB_PERM_ADMIN));
  auto scoped = open(principal("s", BB_PERM_PRINTERS_READ | BB_PERM_QUEUE_READ, {2}));
  auto nothing = open(principal("n", BB_PERM_STATISTICS_READ));
  StreamFilter only_failed;
  only_failed.events = {"print_failed"};
  auto failed = open(principal("f", BB_PERM_PRINTERS_READ), only_failed);
  StreamFilter printer_two;
  printer_two.printer_id = 2;
  auto two = open(principal("t", BB_PERM_ADMIN), printer_two);

  hub()->publish(entry("e1", "print_started", 1));
  hub()->publish(entry("e2", "print_failed", 2));
  hub()->publish(entry("e3", "queue_item_added", 0));
  hub()->publish(entry("e4", "queue_item_started", 1));

  EXPECT_EQ(eventNames(*printers), (std::vector<std::string>{"print_started", "print_failed"}));
  EXPECT_EQ(eventNames(*queue), (std::vector<std::string>{"queue_item_added", "queue_item_started"}));
  EXPECT_EQ(eventNames(*admin).size(), 4u);
  EXPECT_EQ(eventNames(*scoped), (std::vector<std::string>{"print_failed", "queue_item_added"}))
      << "another printer's events stay hidden; an event about no printer is everyone's";
  EXPECT_TRUE(eventNames(*nothing).empty());
  EXPECT_EQ(eventNames(*failed), (std::vector<std::string>{"print_failed"}));
  EXPECT_EQ(eventNames(*two), (std::vector<std::string>{"print_failed"}));
}

TEST_F(StreamHubTest, LastEventIdResumesAfterThatEventOrResets) {
  auto first = open(principal("k", BB_PERM_ADMIN));
  for (int i = 1; i <= 4; ++i) {
    hub()->publish(entry("e" + std::to_string(i), "print_progress", 1));
  }
  auto resumed = open(principal("k", BB_PERM_ADMIN), {}, std::string("e2"));
  std::vector<json> replay = resumed->events();
  ASSERT_EQ(replay.size(), 2u);
  EXPECT_EQ(replay[0]["id"], "e3");
  EXPECT_EQ(replay[1]["id"], "e4");
  hub()->publish(entry("e5", "print_progress", 1));
  EXPECT_EQ(resumed->events().back()["id"], "e5") << "then live events, none twice";
  EXPECT_EQ(resumed->events().size(), 3u);

  auto lost = open(principal("k", BB_PERM_ADMIN), {}, std::string("evt_from_before_a_restart"));
  ASSERT_EQ(lost->events().size(), 1u);
  EXPECT_EQ(lost->events()[0]["event"], "reset");
  EXPECT_FALSE(lost->events()[0].contains("id")) << "a reset is no event to resume from";
  EXPECT_EQ(json::parse(lost->events()[0]["data"].get<std::string>())["reason"], "unknown_last_event_id");
}

TEST_F(StreamHubTest, EventsFromTheJournalAtStartUpCanBeResumedFrom) {
  const int64_t wall_now = 1705329000000;
  std::vector<journal::JournalEntry> entries = {
      entry("old", "print_started", 1), entry("e1", "print_started", 1), entry("e2", "print_progress", 1)};
  entries[0].timestamp_ms = wall_now - settings_.ring_age_ms - 1;
  entries[1].timestamp_ms = wall_now - 1000;
  entries[2].timestamp_ms = wall_now;
  hub()->seed(entries, wall_now);
  EXPECT_EQ(hub()->stats().ring_size, 2u) << "older than the ring keeps: left out";
  auto resumed = open(principal("k", BB_PERM_ADMIN), {}, std::string("e1"));
  ASSERT_EQ(resumed->events().size(), 1u);
  EXPECT_EQ(resumed->events()[0]["id"], "e2");
  hub()->publish(entries[2]);
  EXPECT_EQ(resumed->events().size(), 1u)
      << "the pump handing it over again after the restart sends nothing twice";
}

TEST_F(StreamHubTest, AReplayLargerThanAClientsBufferIsAReset) {
  settings_.max_buffer_bytes = 4096;
  for (int i = 0; i < 40; ++i) {
    hub()->publish(entry("e" + std::to_string(i), "print_progress", 1));
  }
  auto behind = open(principal("k", BB_PERM_ADMIN), {}, std::string("e0"));
  ASSERT_EQ(behind->events().size(), 1u);
  EXPECT_EQ(json::parse(behind->events()[0]["data"].get<std::string>())["reason"], "too_far_behind");
}

TEST_F(StreamHubTest, ResumingHonoursPermissions) {
  hub()->publish(entry("e1", "print_started", 1));
  hub()->publish(entry("e2", "print_started", 2));
  hub()->publish(entry("e3", "queue_item_added", 2));
  auto resumed = open(principal("k", BB_PERM_PRINTERS_READ, {2}), {}, std::string("e1"));
  EXPECT_EQ(eventNames(*resumed), (std::vector<std::string>{"print_started"}));
  EXPECT_EQ(resumed->events()[0]["id"], "e2");
}

TEST_F(StreamHubTest, AQuietStreamGetsACommentEveryIntervalAndIsKeptAlive) {
  auto sink = open(principal("k", BB_PERM_ADMIN));
  now_ms_ += 14000;
  hub()->tick();
  EXPECT_EQ(sink->text.find(": keep-alive"), std::string::npos);
  EXPECT_GE(sink->keep_alives.load(), 1) << "between comments the connection is kept alive";
  now_ms_ += 1000;
  hub()->tick();
  EXPECT_NE(sink->text.find(": keep-alive\n\n"), std::string::npos);
  // An event restarts the interval.
  const size_t comments_before = sink->frames().size();
  hub()->publish(entry("e1", "print_started", 1));
  now_ms_ += 14000;
  hub()->tick();
  EXPECT_EQ(sink->frames().size(), comments_before + 1) << "only the event, no comment yet";
}

TEST_F(StreamHubTest, AClientThatCannotKeepUpIsDroppedWithOverflowAndOthersGoOn) {
  settings_.max_buffer_bytes = 4096;
  auto slow = open(principal("slow", BB_PERM_ADMIN));
  auto fast = open(principal("fast", BB_PERM_ADMIN));
  slow->held_back = true;
  for (int i = 0; i < 100; ++i) {
    hub()->publish(entry("e" + std::to_string(i), "print_progress", 1));
  }
  EXPECT_TRUE(slow->ended);
  json overflow = json::parse(slow->closed_with.substr(slow->closed_with.find("data: ") + 6));
  EXPECT_EQ(slow->closed_with.rfind("event: overflow\n", 0), 0u) << slow->closed_with;
  EXPECT_EQ(overflow["reason"], "client_too_slow");
  EXPECT_EQ(fast->events().size(), 100u);
  EXPECT_EQ(hub()->stats().overflowed_total, 1u);
}

TEST_F(StreamHubTest, StreamsAreLimitedPerKeyAndInAllAndFreedWhenTheyEnd) {
  settings_.per_key_limit = 2;
  settings_.server_limit = 3;
  int status = 0;
  ASSERT_TRUE(open(principal("a", BB_PERM_ADMIN)));
  ASSERT_TRUE(open(principal("a", BB_PERM_ADMIN)));
  EXPECT_FALSE(open(principal("a", BB_PERM_ADMIN), {}, std::nullopt, &status));
  EXPECT_EQ(status, 429);
  ASSERT_TRUE(open(principal("b", BB_PERM_ADMIN)));
  EXPECT_FALSE(open(principal("c", BB_PERM_ADMIN), {}, std::nullopt, &status));
  EXPECT_EQ(status, 503);
  EXPECT_EQ(hub()->stats().open, 3u);

  bodies_[0]->closed(); // the HTTP server says the client went away
  hub()->tick();
  EXPECT_EQ(hub()->stats().open, 2u);
  EXPECT_TRUE(open(principal("a", BB_PERM_ADMIN)));

  // A stream the server never opened (the client left before the head went out) is freed as
  // soon as the server drops it.
  bodies_[1]->closed();
  hub()->tick();
  EXPECT_EQ(hub()->stats().open, 2u);
  http::Response never = hub()->open(principal("b", BB_PERM_ADMIN), {}, std::nullopt);
  ASSERT_EQ(never.status, 200);
  EXPECT_EQ(hub()->stats().open, 3u);
  never.stream_body.reset();
  EXPECT_EQ(hub()->stats().open, 2u);
}

TEST_F(StreamHubTest, StatusSnapshotsGoToStreamsThatAskedForThemWithinScope) {
  printers::StatusListener listener = hub()->statusListener();
  EXPECT_FALSE(listener.wanted()) << "no cost while no stream wants status";
  StreamFilter with_status;
  with_status.status = true;
  auto all = open(principal("a", BB_PERM_PRINTERS_READ), with_status);
  auto scoped = open(principal("s", BB_PERM_PRINTERS_READ, {2}), with_status);
  auto without = open(principal("w", BB_PERM_PRINTERS_READ));
  auto queue_only = open(principal("q", BB_PERM_QUEUE_READ), with_status);
  EXPECT_TRUE(listener.wanted());

  listener.deliver({{1, {{"id", 1}, {"state", "printing"}}}, {2, {{"id", 2}, {"state", "idle"}}}}, {});
  EXPECT_EQ(eventNames(*all), (std::vector<std::string>{"status", "status"}));
  EXPECT_FALSE(all->events()[0].contains("id"));
  EXPECT_EQ(json::parse(all->events()[0]["data"].get<std::string>())["state"], "printing");
  ASSERT_EQ(scoped->events().size(), 1u);
  EXPECT_EQ(json::parse(scoped->events()[0]["data"].get<std::string>())["id"], 2);
  EXPECT_TRUE(without->events().empty());
  EXPECT_TRUE(queue_only->events().empty());

  // A new status stream starts with every visible printer's latest status.
  auto late = open(principal("l", BB_PERM_PRINTERS_READ), with_status);
  EXPECT_EQ(late->events().size(), 2u);
  listener.deliver({}, {1});
  auto later = open(principal("l", BB_PERM_PRINTERS_READ), with_status);
  EXPECT_EQ(later->events().size(), 1u) << "a removed printer's status is forgotten";
}

TEST_F(StreamHubTest, AKeysStreamsEndWhenItChanges) {
  auto mine = open(principal("key:7", BB_PERM_ADMIN));
  auto also_mine = open(principal("key:7", BB_PERM_ADMIN));
  auto other = open(principal("key:8", BB_PERM_ADMIN));
  EXPECT_EQ(hub()->endStreamsOf("key:7", "key_deleted"), 2u);
  EXPECT_TRUE(mine->ended);
  EXPECT_TRUE(also_mine->ended);
  EXPECT_EQ(mine->closed_with.rfind("event: closed\n", 0), 0u) << mine->closed_with;
  EXPECT_NE(mine->closed_with.find("key_deleted"), std::string::npos);
  EXPECT_FALSE(other->ended);
  hub()->publish(entry("e1", "print_started", 1));
  EXPECT_EQ(other->events().size(), 1u);
}

// Started, the hub writes to clients on its own thread (the journal pump only files the event),
// in publish order.
TEST_F(StreamHubTest, AStartedHubFansOutOnItsOwnThreadInPublishOrder) {
  hub()->start();
  auto sink = open(principal("k", BB_PERM_ADMIN));
  for (int i = 0; i < 50; ++i) {
    hub()->publish(entry("e" + std::to_string(i), "print_progress", 1));
  }
  ASSERT_TRUE(hub()->drain());
  std::vector<json> events = sink->events();
  ASSERT_EQ(events.size(), 50u);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(events[static_cast<size_t>(i)]["id"], "e" + std::to_string(i));
  }
  hub()->stop();
  EXPECT_TRUE(sink->ended);
}

TEST_F(StreamHubTest, StopEndsEveryStreamAndRefusesNewOnes) {
  auto sink = open(principal("a", BB_PERM_ADMIN));
  hub()->stop();
  EXPECT_TRUE(sink->ended);
  int status = 0;
  EXPECT_FALSE(open(principal("a", BB_PERM_ADMIN), {}, std::nullopt, &status));
  EXPECT_EQ(status, 503);
}

} // namespace stream_hub_test
} // namespace bambuddy::stream
