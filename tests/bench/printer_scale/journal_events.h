// The server's event journal as benchmarks read it after a run: each event's type and the moment
// the server decided it (created_at_ms), the start of every event-to-something latency.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

namespace bambuddy::bench {

struct JournalEvent {
  std::string type;
  int64_t created_at_ms = 0; // wall clock, whole milliseconds (truncated)
};

// event id -> every entry of the journal in the server's SQLite file, opened read-only (the server
// may still run). The journal keeps entries far longer than a run. Throws std::runtime_error when
// the file cannot be opened.
std::unordered_map<std::string, JournalEvent> readJournal(const std::string& db_path);

} // namespace bambuddy::bench
