#include "archives/answer_cache.h"

#include <utility>

namespace bambuddy::archives {

AnswerCache::AnswerCache(std::function<uint64_t()> generation, std::size_t capacity, std::size_t max_bytes)
    : generation_(std::move(generation)), capacity_(capacity < 1 ? 1 : capacity), max_bytes_(max_bytes) {}

std::string AnswerCache::get(const std::string& key, const std::function<std::string()>& compute) {
  const uint64_t generation = generation_();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = entries_.find(key);
    if (it != entries_.end() && it->second.generation == generation) {
      recency_.splice(recency_.begin(), recency_, it->second.recency);
      return it->second.body;
    }
  }
  std::string body = compute();
  if (body.size() > max_bytes_ / 4) {
    return body;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    // Keep whichever answer belongs to the newer generation (another thread may have stored one).
    if (it->second.generation <= generation) {
      bytes_ = bytes_ - it->second.body.size() + body.size();
      it->second.generation = generation;
      it->second.body = body;
    }
    recency_.splice(recency_.begin(), recency_, it->second.recency);
  } else {
    recency_.push_front(key);
    bytes_ += body.size();
    entries_.emplace(key, Entry{generation, body, recency_.begin()});
  }
  // Evict from the least recently used end, never the answer just stored (it is at the front).
  while ((entries_.size() > capacity_ || bytes_ > max_bytes_) && entries_.size() > 1) {
    auto last = entries_.find(recency_.back());
    bytes_ -= last->second.body.size();
    entries_.erase(last);
    recency_.pop_back();
  }
  return body;
}

std::size_t AnswerCache::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

std::size_t AnswerCache::bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return bytes_;
}

} // namespace bambuddy::archives
