#include "archives/answer_cache.h"

#include <utility>

namespace bambuddy::archives {

AnswerCache::AnswerCache(std::function<uint64_t()> generation, std::size_t capacity)
    : generation_(std::move(generation)), capacity_(capacity < 1 ? 1 : capacity) {}

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
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    // Keep whichever answer belongs to the newer generation (another thread may have stored one).
    if (it->second.generation <= generation) {
      it->second.generation = generation;
      it->second.body = body;
    }
    recency_.splice(recency_.begin(), recency_, it->second.recency);
    return body;
  }
  if (entries_.size() >= capacity_) {
    entries_.erase(recency_.back());
    recency_.pop_back();
  }
  recency_.push_front(key);
  entries_.emplace(key, Entry{generation, body, recency_.begin()});
  return body;
}

std::size_t AnswerCache::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

} // namespace bambuddy::archives
