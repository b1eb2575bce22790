// AnswerCache: answers are reused only while the archives' write generation stays the same.
#include "archives/answer_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>

namespace bambuddy::archives {
namespace answer_cache_test {

TEST(AnswerCacheTest, ReusesUntilTheGenerationMoves) {
  std::atomic<uint64_t> generation{0};
  AnswerCache cache([&] { return generation.load(); }, 4, 1 << 20);
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
  AnswerCache cache([&] { return generation.load(); }, 4, 1 << 20);
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
  AnswerCache cache([] { return uint64_t{0}; }, 2, 1 << 20);
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

TEST(AnswerCacheTest, KeepsWithinItsByteBudget) {
  AnswerCache cache([] { return uint64_t{0}; }, 100, 1000);
  int computed = 0;
  auto sized = [&](std::size_t n) {
    return [&computed, n] {
      ++computed;
      return std::string(n, 'x');
    };
  };
  cache.get("a", sized(200));
  cache.get("b", sized(200));
  cache.get("c", sized(200));
  cache.get("d", sized(200));
  cache.get("e", sized(200));
  EXPECT_EQ(cache.bytes(), 1000u);
  cache.get("f", sized(200)); // over budget: the least recently used (a) goes
  EXPECT_EQ(cache.size(), 5u);
  EXPECT_LE(cache.bytes(), 1000u);
  computed = 0;
  cache.get("f", sized(200));
  EXPECT_EQ(computed, 0) << "f is kept";
  cache.get("a", sized(200));
  EXPECT_EQ(computed, 1) << "a was evicted";
  // An answer over a quarter of the budget is never kept.
  computed = 0;
  cache.get("big", sized(300));
  cache.get("big", sized(300));
  EXPECT_EQ(computed, 2);
  EXPECT_LE(cache.bytes(), 1000u);
}

TEST(AnswerCacheTest, FailuresAreNotKept) {
  AnswerCache cache([] { return uint64_t{0}; }, 2, 1 << 20);
  EXPECT_THROW(cache.get("a", []() -> std::string { throw std::runtime_error("db down"); }),
               std::runtime_error);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.get("a", [] { return std::string("ok"); }), "ok");
}

} // namespace answer_cache_test
} // namespace bambuddy::archives
