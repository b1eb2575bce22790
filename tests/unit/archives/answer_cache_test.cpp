// AnswerCache: answers are reused only while the archives' write generation stays the same.
#include "archives/answer_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>

namespace bambuddy::archives {
namespace {

TEST(AnswerCacheTest, ReusesUntilTheGenerationMoves) {
  std::atomic<uint64_t> generation{0};
  AnswerCache cache([&] { return generation.load(); }, 4);
  int computed = 0;
  auto compute = [&] { return "answer " + std::to_string(++computed); };
  EXPECT_EQ(cache.get("a", compute), "answer 1");
  EXPECT_EQ(cache.get("a", compute), "answer 1");
  EXPECT_EQ(cache.get("b", compute), "answer 2") << "keys are separate";
  generation = 1;
  EXPECT_EQ(cache.get("a", compute), "answer 3") << "a write invalidates";
  EXPECT_EQ(cache.get("a", compute), "answer 3");
}

TEST(AnswerCacheTest, AWriteDuringTheComputationLeavesItStale) {
  std::atomic<uint64_t> generation{5};
  AnswerCache cache([&] { return generation.load(); }, 4);
  EXPECT_EQ(cache.get("k",
                      [&] {
                        generation = 6; // an archive changed while the answer was being read
                        return std::string("old");
                      }),
            "old");
  EXPECT_EQ(cache.get("k", [] { return std::string("new"); }), "new")
      << "kept under the generation read before computing, so it is not reused";
  EXPECT_EQ(cache.get("k", [] { return std::string("newer"); }), "new");
}

TEST(AnswerCacheTest, EvictsTheLeastRecentlyUsed) {
  AnswerCache cache([] { return uint64_t{0}; }, 2);
  int computed = 0;
  auto compute = [&] { return std::to_string(++computed); };
  cache.get("a", compute); // 1
  cache.get("b", compute); // 2
  cache.get("a", compute); // hit: a is now the most recent
  cache.get("c", compute); // 3, evicts b
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.get("a", compute), "1");
  EXPECT_EQ(cache.get("b", compute), "4") << "b was evicted";
}

TEST(AnswerCacheTest, FailuresAreNotKept) {
  AnswerCache cache([] { return uint64_t{0}; }, 2);
  EXPECT_THROW(cache.get("a", []() -> std::string { throw std::runtime_error("db down"); }),
               std::runtime_error);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.get("a", [] { return std::string("ok"); }), "ok");
}

} // namespace
} // namespace bambuddy::archives
