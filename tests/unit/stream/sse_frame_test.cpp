// The SSE wire format as a WHATWG-conforming client parses it.
#include "stream/event_ring.h"
#include "stream/sse_frame.h"

#include <gtest/gtest.h>

#include <memory>

namespace bambuddy::stream {
namespace sse_frame_test {

TEST(SseFrame, FieldsInOrderEndedByABlankLine) {
  EXPECT_EQ(sseFrame("evt_1", "print_started", "{\"a\":1}"),
            "id: evt_1\nevent: print_started\ndata: {\"a\":1}\n\n");
  EXPECT_EQ(sseFrame("", "status", "{}"), "event: status\ndata: {}\n\n") << "no id line without an id";
}

TEST(SseFrame, EveryLineOfTheDataGetsItsOwnField) {
  EXPECT_EQ(sseFrame("", "x", "a\nb\r\nc\rd"), "event: x\ndata: a\ndata: b\ndata: c\ndata: d\n\n");
  EXPECT_EQ(sseFrame("", "x", ""), "event: x\ndata: \n\n");
}

TEST(SseFrame, LineBreaksCannotEndAFieldEarly) {
  EXPECT_EQ(sseFrame("evt\n_1", "a\r\nevent: b", "{}"), "id: evt_1\nevent: aevent: b\ndata: {}\n\n");
  EXPECT_EQ(sseComment("keep\nalive"), ": keepalive\n\n");
  EXPECT_EQ(sseRetry(3000), "retry: 3000\n\n");
}

RingEvent ringEvent(const std::string& id, int64_t at_ms) {
  RingEvent e;
  e.event_id = id;
  e.type = "print_progress";
  e.added_ms = at_ms;
  e.frame = std::make_shared<const std::string>(id);
  return e;
}

std::vector<std::string> idsAfter(const EventRing& ring, const std::string& id) {
  std::vector<std::string> out;
  const auto after = ring.after(id);
  for (const RingEvent* e : *after) {
    out.push_back(e->event_id);
  }
  return out;
}

TEST(EventRing, ReplaysWhatCameAfterAnIdItStillHolds) {
  EventRing ring(3, 1000);
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(ring.push(ringEvent("e" + std::to_string(i), i)));
  }
  EXPECT_EQ(idsAfter(ring, "e1"), (std::vector<std::string>{"e2", "e3"}));
  EXPECT_TRUE(idsAfter(ring, "e3").empty());
  EXPECT_FALSE(ring.after("nope"));
  EXPECT_FALSE(ring.push(ringEvent("e2", 4))) << "an event handed over twice is kept once";

  ring.push(ringEvent("e4", 5)); // over capacity: e1 goes
  EXPECT_FALSE(ring.after("e1"));
  EXPECT_EQ(idsAfter(ring, "e2"), (std::vector<std::string>{"e3", "e4"}));
  EXPECT_EQ(ring.size(), 3u);
}

TEST(EventRing, ForgetsEventsOlderThanItsAge) {
  EventRing ring(100, 1000);
  ring.push(ringEvent("old", 0));
  ring.push(ringEvent("new", 900));
  ring.expire(1500);
  EXPECT_FALSE(ring.after("old"));
  EXPECT_TRUE(ring.after("new"));
  EXPECT_EQ(ring.size(), 1u);
}

} // namespace sse_frame_test
} // namespace bambuddy::stream
