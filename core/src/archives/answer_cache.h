// Serialized answers of archive reads (lists, statistics), kept until the archives change.
//
// Dashboards and Home Assistant sensors poll the same few URLs every few seconds while archives
// change a few times per print; an answer computed once per change is enough. Entries carry the
// archives' write generation (ArchiveStore::generation()) read *before* the answer was computed, so
// a write racing with the computation makes that entry stale instead of serving old data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

namespace bambuddy::archives {

class AnswerCache {
public:
  // `generation` returns the current write generation; thread-safe. At most `capacity` answers
  // (>= 1) and `max_bytes` of answer bodies are kept; an answer larger than max_bytes / 4 is
  // computed every time rather than pushing out many small, often polled ones.
  AnswerCache(std::function<uint64_t()> generation, std::size_t capacity, std::size_t max_bytes);

  // The cached answer for `key` if the archives have not changed since it was computed; otherwise
  // runs `compute` (outside the lock, so slow answers never block other keys) and keeps the result.
  // Exceptions from compute propagate and nothing is kept. Thread-safe.
  std::string get(const std::string& key, const std::function<std::string()>& compute);

  std::size_t size() const;
  std::size_t bytes() const;

private:
  struct Entry {
    uint64_t generation = 0;
    std::string body;
    std::list<std::string>::iterator recency; // position in recency_, front = most recent
  };

  std::function<uint64_t()> generation_;
  const std::size_t capacity_;
  const std::size_t max_bytes_;
  mutable std::mutex mutex_;
  std::size_t bytes_ = 0;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> recency_;
};

} // namespace bambuddy::archives
