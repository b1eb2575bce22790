// Several host threads using one instance at once, as abi.h allows.
#include "store_test_util.h"

#include <atomic>
#include <thread>

namespace bambuddy::storage_local::test {
namespace store_concurrency_test {

constexpr size_t kBlobBytes = 256 * 1024;
constexpr int kWriters = 4;
constexpr int kPutsPerWriter = 25;

// True when `blob` is one complete value written by writer 0..3: right size, one repeated byte.
bool isCompleteValue(const std::string& blob) {
  if (blob.size() != kBlobBytes || blob[0] < 'A' || blob[0] >= 'A' + kWriters) {
    return false;
  }
  return blob.find_first_not_of(blob[0]) == std::string::npos;
}

class StorageLocalConcurrency : public StoreTest {};

TEST_F(StorageLocalConcurrency, ConcurrentPutsToOneKeyLeaveOneCompleteValue) {
  auto instance = create(rootConfig());
  StoreClient store(*instance);
  ASSERT_EQ(store.put("shared/model.3mf", std::string(kBlobBytes, 'A')).rc, BB_OK);

  std::atomic<int> writers_left{kWriters};
  std::atomic<int> failures{0};
  std::atomic<int> torn_reads{0};
  std::atomic<int> reads{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      std::string value(kBlobBytes, static_cast<char>('A' + w));
      for (int i = 0; i < kPutsPerWriter; ++i) {
        if (store.put("shared/model.3mf", value).rc != BB_OK) {
          ++failures;
        }
      }
      --writers_left;
    });
  }
  // A reader checks that every get sees a whole value while the writers race.
  threads.emplace_back([&] {
    do {
      std::string blob;
      OpResult r = store.get("shared/model.3mf", &blob);
      ++reads;
      if (r.rc != BB_OK || !isCompleteValue(blob)) {
        ++torn_reads;
      }
    } while (writers_left.load() > 0);
  });
  for (auto& t : threads) {
    t.join();
  }

  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(torn_reads.load(), 0) << "of " << reads.load() << " reads";
  std::string final_value = store.read("shared/model.3mf");
  EXPECT_TRUE(isCompleteValue(final_value));
  EXPECT_EQ(entries(tmp_.path() + "/blobs/shared"), (std::vector<std::string>{"model.3mf"}));
  EXPECT_EQ(store.keys(), (Listing{{"shared/model.3mf", kBlobBytes}}));
}

TEST_F(StorageLocalConcurrency, ConcurrentPutsCreatingTheSameDirectories) {
  auto instance = create(rootConfig());
  StoreClient store(*instance);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < 10; ++i) {
        std::string key = "p/q/r" + std::to_string(i) + "/t" + std::to_string(w);
        if (store.put(key, key).rc != BB_OK) {
          ++failures;
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(failures.load(), 0);
  Listing all = store.keys("p/");
  ASSERT_EQ(all.size(), static_cast<size_t>(kWriters * 10));
  for (const auto& [key, size] : all) {
    EXPECT_EQ(store.read(key), key);
  }
  EXPECT_TRUE(tempFiles(tmp_.path() + "/blobs").empty());
}

TEST_F(StorageLocalConcurrency, ConcurrentListsEachSeeEveryKey) {
  auto instance = create(rootConfig());
  StoreClient store(*instance);
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(store.put("k" + std::to_string(i), "v").rc, BB_OK);
    ASSERT_EQ(store.put("d/k" + std::to_string(i), "v").rc, BB_OK);
  }
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kWriters; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        Listing rows;
        if (store.list("", &rows).rc != BB_OK || rows.size() != 40) {
          ++wrong;
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(wrong.load(), 0);
}

} // namespace store_concurrency_test
} // namespace bambuddy::storage_local::test
