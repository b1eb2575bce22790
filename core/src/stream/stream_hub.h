// The event stream (GET /api/v1/events/stream): lifecycle and queue events pushed to clients as
// Server-Sent Events, each exactly as its webhook body, plus coalesced status snapshots on request.
//
// Where events come from: the journal pump hands every journal entry to publish() after the
// outbox consumer (so a stream never shows an event that no webhook will get). Each event is
// formatted once into a frame shared by every client: `id:` the event id webhooks carry, `event:`
// its name, `data:` the webhook body. The last `ring_events` events (none older than
// `ring_age_ms`) are kept for clients resuming with Last-Event-ID; a client whose id is no longer
// held gets `event: reset` and then live events.
//
// What a client sees: only events its key may read (printer events need printers:read, queue events
// queue:read, archive events archives:read; a key limited to some printers sees nothing attributed
// to another), narrowed by its filters. With status on, `event: status` frames (no id: they are
// snapshots, not events to resume from) carry a printer's status answer, at most once a second per
// printer, starting with every visible printer's latest one.
//
// Nothing a client does can hold up anything else: writing to a client only appends to its buffer
// (the HTTP server sends it as the socket takes it); a client whose unsent backlog passes
// `max_buffer_bytes` gets its backlog replaced by `event: overflow` and is disconnected. Open
// streams are limited per key and in all. A comment line goes to a quiet stream every
// `comment_interval_ms`.
//
// Threading: publish() on the journal pump's thread, which only files the event (ring, recipients)
// and hands its fan-out to the hub's fan-out threads (two; each client always on the same one, so
// its frames keep their order), so the pump never waits for 1,000 client writes;
// the status listener on the status feed's thread; open() on HTTP workers; the hub's own thread
// writes comments, prunes closed streams and expires the ring. One mutex guards the list of streams and the
// ring, held only to change them or to take a copy of the list; the writes to clients happen after it, each
// under its stream's own mutex, and never block (StreamSink), so a status round and an event never wait for
// each other's fan-out.
#pragma once

#include "common/latency_histogram.h"
#include "http/http_types.h"
#include "journal/event_journal.h"
#include "printers/status_feed.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace bambuddy {
class Logger;
}

namespace bambuddy::stream {

struct StreamSettings {
  size_t per_key_limit = 10;    // open streams of one key
  size_t server_limit = 1000;   // open streams in all
  size_t ring_events = 10000;   // kept for Last-Event-ID
  int64_t ring_age_ms = 600000; // ... and at most this old
  int64_t comment_interval_ms = 15000;
  size_t max_buffer_bytes = 256 * 1024; // a client's unsent backlog before it is dropped
  int64_t retry_ms = 3000;              // sent to browsers: wait before reconnecting
};

struct StreamFilter {
  std::set<std::string> events; // empty = every event
  std::optional<int64_t> printer_id;
  bool status = false;
};

struct StreamStats {
  size_t open = 0;
  uint64_t opened_total = 0;
  uint64_t overflowed_total = 0;
  uint64_t refused_key_limit_total = 0;
  uint64_t refused_server_limit_total = 0;
  uint64_t frames_sent_total = 0; // event and status frames written to clients
  size_t ring_size = 0;
  // From an event being decided (its journal timestamp) to the hub receiving it, which then queues it
  // for its clients: the journal pipeline ahead of the stream.
  LatencyHistogram delay;
};

class StreamHub {
public:
  // `monotonic_ms`: a steady clock in ms (ring ages, comment intervals). `wall_ms` (UTC epoch ms)
  // measures how long events took to reach the stream (StreamStats::delay); null: not measured.
  StreamHub(StreamSettings settings, Logger& logger, std::function<int64_t()> monotonic_ms,
            std::function<int64_t()> wall_ms = nullptr);
  ~StreamHub(); // stop()
  StreamHub(const StreamHub&) = delete;
  StreamHub& operator=(const StreamHub&) = delete;

  void start();
  // Ends every open stream (their connections close) and joins the hub's thread. Idempotent.
  void stop();

  // Journal consumer (after the outbox): the event goes into the ring and to every matching client.
  void publish(const journal::JournalEntry& entry);

  // At start-up, before any client connects: the journal's most recent entries (oldest first), so a
  // client that was connected before a restart (or a kill -9) resumes with its Last-Event-ID instead
  // of being told to reset. Entries older than ring_age_ms (by their timestamp against
  // `wall_now_ms`) are skipped.
  void seed(const std::vector<journal::JournalEntry>& entries, int64_t wall_now_ms);

  // For the status feed: wanted while a stream with status on is open.
  printers::StatusListener statusListener();

  // A new stream for `principal`: 200 text/event-stream with the stream as its body, or a
  // refusal: 429 too_many_streams (this key's limit), 503 stream_capacity (the server's).
  // `last_event_id`: the client's Last-Event-ID header, when it sent one.
  http::Response open(const http::Principal& principal, StreamFilter filter,
                      std::optional<std::string> last_event_id);

  // Ends every stream of `principal_id` (its key was deleted, changed or rotated): each gets a last
  // `event: closed` with `reason` and is disconnected, so the client authenticates again, with
  // what its key may do now. Returns how many streams ended.
  size_t endStreamsOf(const std::string& principal_id, const std::string& reason);

  StreamStats stats() const;

  // The hub's periodic work now (tests; its thread does this every second).
  void tick();

  // For tests: true once every event published so far has been written to its clients (after
  // start(), the fan-out runs on the hub's own threads), false if that took longer than timeout_ms.
  bool drain(int64_t timeout_ms = 5000);

private:
  void fanOutLoop(size_t shard);

  struct Core;
  class Session;
  std::shared_ptr<Core> core_;
};

// The permission bit (BB_PERM_*) a client needs to see events of `type`.
uint64_t permissionForEvent(const std::string& type);

} // namespace bambuddy::stream
