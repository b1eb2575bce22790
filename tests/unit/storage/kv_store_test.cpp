#include "storage/kv_store.h"

#include "storage/database.h"
#include "storage/migrations.h"
#include "storage_test_util.h"
#include "support/temp_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

namespace bambuddy::storage {
namespace kv_store_test {

using test::LogCapture;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Entries = std::vector<std::pair<std::string, std::string>>;

class StorageKv : public ::testing::Test {
protected:
  void SetUp() override { open(4); }

  void open(int pool_size) {
    kv_.reset();
    db_.reset();
    DatabaseOptions options;
    options.path = dir_.file("kv.db");
    options.pool_size = pool_size;
    db_ = std::make_unique<Database>(options, log_.logger());
    migrate(*db_, coreMigrations(), log_.logger());
    kv_ = std::make_unique<KvStore>(*db_);
  }

  Entries scanAll(const std::string& ns, const std::string& prefix) {
    Entries out;
    kv_->scan(ns, prefix, [&](const std::string& k, const std::string& v) {
      out.emplace_back(k, v);
      return true;
    });
    return out;
  }

  std::vector<std::string> scanKeys(const std::string& ns, const std::string& prefix) {
    std::vector<std::string> keys;
    for (auto& [k, v] : scanAll(ns, prefix)) {
      keys.push_back(k);
    }
    return keys;
  }

  int rowCount() {
    return db_->read([](soci::session& s) {
      int n = 0;
      s << "SELECT COUNT(*) FROM kv", soci::into(n);
      return n;
    });
  }

  testing::TempDir dir_;
  LogCapture log_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<KvStore> kv_;
};

TEST_F(StorageKv, RoundTripOverwriteAndRemove) {
  EXPECT_EQ(kv_->get("plugin.a", "settings"), std::nullopt);
  kv_->put("plugin.a", "settings", R"({"interval_s": 30, "name": "Ünïcode ✓"})");
  EXPECT_EQ(kv_->get("plugin.a", "settings"), R"({"interval_s": 30, "name": "Ünïcode ✓"})");

  kv_->put("plugin.a", "settings", "[1,2,3]");
  EXPECT_EQ(kv_->get("plugin.a", "settings"), "[1,2,3]");
  EXPECT_EQ(rowCount(), 1);

  EXPECT_TRUE(kv_->remove("plugin.a", "settings"));
  EXPECT_FALSE(kv_->remove("plugin.a", "settings"));
  EXPECT_EQ(kv_->get("plugin.a", "settings"), std::nullopt);
  EXPECT_EQ(rowCount(), 0);
}

TEST_F(StorageKv, ScalarJsonDocumentsAreAccepted) {
  for (const std::string doc : {"42", "\"text\"", "null", "true", "  {}  ", "-1.5e3"}) {
    kv_->put("ns", "k", doc);
    EXPECT_EQ(kv_->get("ns", "k"), doc);
  }
}

TEST_F(StorageKv, NamespacesAreIsolated) {
  kv_->put("one", "k", "1");
  kv_->put("two", "k", "2");
  EXPECT_EQ(kv_->get("one", "k"), "1");
  EXPECT_EQ(kv_->get("two", "k"), "2");
  EXPECT_TRUE(kv_->remove("one", "k"));
  EXPECT_EQ(kv_->get("two", "k"), "2");
  EXPECT_THAT(scanKeys("two", ""), ElementsAre("k"));
  EXPECT_TRUE(scanKeys("one", "").empty());
}

TEST_F(StorageKv, UpdatedAtIsIsoUtc) {
  kv_->put("ns", "k", "{}");
  std::string updated_at = db_->read([](soci::session& s) {
    std::string t;
    s << "SELECT updated_at FROM kv WHERE namespace = 'ns' AND key = 'k'", soci::into(t);
    return t;
  });
  EXPECT_EQ(updated_at.size(), 24u) << updated_at;
  EXPECT_EQ(updated_at.back(), 'Z');
}

TEST_F(StorageKv, InvalidJsonIsRejectedAndNothingStored) {
  const std::vector<std::string> bad_values = {"",
                                               "{",
                                               "{'a': 1}",
                                               "[1,]",
                                               "nope",
                                               "{} {}",
                                               std::string("{}\0", 3),
                                               std::string("{}\0junk", 7),
                                               std::string("\"\xC3\x28\"")};
  for (const std::string& bad : bad_values) {
    try {
      kv_->put("ns", "k", bad);
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const std::invalid_argument& e) {
      EXPECT_STREQ(e.what(), "value is not valid JSON");
    }
  }
  EXPECT_EQ(rowCount(), 0);

  kv_->put("ns", "k", R"({"keep": true})");
  EXPECT_THROW(kv_->put("ns", "k", "{broken"), std::invalid_argument);
  EXPECT_EQ(kv_->get("ns", "k"), R"({"keep": true})");
}

TEST_F(StorageKv, KeyAndNamespaceLimits) {
  const std::string max_key(KvStore::kMaxKeyBytes, 'k');
  kv_->put("ns", max_key, "1");
  EXPECT_EQ(kv_->get("ns", max_key), "1");

  const std::vector<std::string> bad_keys = {"",
                                             std::string(KvStore::kMaxKeyBytes + 1, 'k'),
                                             std::string("a\0b", 3),
                                             "\xFF",
                                             "\xC0\xAF",
                                             "\xED\xA0\x80",
                                             "\xE2\x82"};
  for (const std::string& key : bad_keys) {
    EXPECT_THROW(kv_->put("ns", key, "1"), std::invalid_argument) << key.size();
    EXPECT_THROW(kv_->get("ns", key), std::invalid_argument);
    EXPECT_THROW(kv_->remove("ns", key), std::invalid_argument);
  }
  EXPECT_THROW(kv_->put("", "k", "1"), std::invalid_argument);
  EXPECT_THROW(kv_->scan("", "", [](const std::string&, const std::string&) { return true; }),
               std::invalid_argument);
  try {
    kv_->put("ns", std::string(300, 'k'), "1");
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "key is 300 bytes, the limit is 256");
  }
  EXPECT_EQ(rowCount(), 1);
}

TEST_F(StorageKv, ValueLimitIsOneMebibyte) {
  // A JSON string literal of exactly 1 MiB including its quotes.
  std::string at_limit = "\"" + std::string(KvStore::kMaxValueBytes - 2, 'x') + "\"";
  ASSERT_EQ(at_limit.size(), KvStore::kMaxValueBytes);
  kv_->put("ns", "big", at_limit);
  EXPECT_EQ(kv_->get("ns", "big"), at_limit);

  std::string over = "\"" + std::string(KvStore::kMaxValueBytes - 1, 'x') + "\"";
  try {
    kv_->put("ns", "bigger", over);
    ADD_FAILURE() << "accepted a value over the limit";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("1048577 bytes"));
  }
  EXPECT_EQ(kv_->get("ns", "bigger"), std::nullopt);
}

TEST_F(StorageKv, ScanIsOrderedAndPrefixTreatsWildcardsLiterally) {
  for (const std::string key : {"b", "a_b", "a%", "aXb", "a%b", "ab", "a", "a_", "A", "a%%", "axb"}) {
    kv_->put("ns", key, "\"" + key + "\"");
  }
  kv_->put("other", "a%z", "0");

  EXPECT_THAT(scanKeys("ns", ""),
              ElementsAre("A", "a", "a%", "a%%", "a%b", "aXb", "a_", "a_b", "ab", "axb", "b"));
  EXPECT_THAT(scanKeys("ns", "a%"), ElementsAre("a%", "a%%", "a%b"));
  EXPECT_THAT(scanKeys("ns", "a_"), ElementsAre("a_", "a_b"));
  EXPECT_THAT(scanKeys("ns", "a%b"), ElementsAre("a%b"));
  EXPECT_THAT(scanKeys("ns", "%"), ElementsAre());
  EXPECT_THAT(scanKeys("ns", "_"), ElementsAre());
  EXPECT_THAT(scanKeys("ns", "zz"), ElementsAre());
  EXPECT_THAT(scanKeys("ns", std::string(KvStore::kMaxKeyBytes + 1, 'a')), ElementsAre());

  Entries entries = scanAll("ns", "a_");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[1].second, "\"a_b\"");
}

TEST_F(StorageKv, ScanPrefixWithMultibyteCharacters) {
  for (const std::string key : {"é", "éa", "éz", "ê", "e", "f"}) {
    kv_->put("ns", key, "1");
  }
  EXPECT_THAT(scanKeys("ns", "é"), ElementsAre("é", "éa", "éz"));
  EXPECT_THAT(scanKeys("ns", "\xC3"), ElementsAre("é", "éa", "éz", "ê"));
}

TEST_F(StorageKv, ScanStopsWhenVisitReturnsFalse) {
  for (const std::string key : {"k1", "k2", "k3", "k4"}) {
    kv_->put("ns", key, "1");
  }
  std::vector<std::string> seen;
  kv_->scan("ns", "k", [&](const std::string& k, const std::string&) {
    seen.push_back(k);
    return seen.size() < 2;
  });
  EXPECT_THAT(seen, ElementsAre("k1", "k2"));
}

TEST_F(StorageKv, ScanCrossesPagesExactlyOnce) {
  db_->write([](soci::session& s) {
    for (int i = 0; i < 300; ++i) {
      char key[32];
      std::snprintf(key, sizeof key, "job/%04d", i);
      std::string k = key;
      std::string v = std::to_string(i);
      s << "INSERT INTO kv (namespace, key, value, updated_at) VALUES ('ns', :k, :v, 'x')", soci::use(k),
          soci::use(v);
    }
  });
  kv_->put("ns", "job", "0");  // sorts before the prefix "job/"
  kv_->put("ns", "job0", "0"); // '0' sorts after '/'
  std::vector<std::string> keys = scanKeys("ns", "job/");
  ASSERT_EQ(keys.size(), 300u);
  for (int i = 0; i < 300; ++i) {
    char key[32];
    std::snprintf(key, sizeof key, "job/%04d", i);
    EXPECT_EQ(keys[static_cast<std::size_t>(i)], key);
  }
}

TEST_F(StorageKv, VisitMayWriteToTheStoreEvenWithOneSession) {
  open(1);
  for (int i = 0; i < 100; ++i) {
    kv_->put("ns", "k" + std::to_string(100 + i), "1");
  }
  int visited = 0;
  kv_->scan("ns", "k", [&](const std::string& k, const std::string&) {
    ++visited;
    kv_->put("ns", k, "2");
    kv_->put("copies", k, "3");
    return true;
  });
  EXPECT_EQ(visited, 100);
  EXPECT_EQ(kv_->get("ns", "k150"), "2");
  EXPECT_EQ(scanKeys("copies", "").size(), 100u);
}

TEST_F(StorageKv, PersistsAcrossReopen) {
  kv_->put("plugin.x", "state", R"({"n": 7})");
  open(2);
  EXPECT_EQ(kv_->get("plugin.x", "state"), R"({"n": 7})");
}

TEST(StorageKvWithoutSchema, DatabaseErrorsBecomeStorageErrors) {
  testing::TempDir dir;
  LogCapture log;
  DatabaseOptions options;
  options.path = dir.file("empty.db");
  Database db(options, log.logger());
  KvStore kv(db);
  try {
    kv.get("ns", "k");
    FAIL() << "expected StorageError";
  } catch (const StorageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("kv get failed"));
    EXPECT_THAT(e.what(), HasSubstr("no such table"));
  }
  EXPECT_THROW(kv.put("ns", "k", "1"), StorageError);
  EXPECT_THROW(kv.remove("ns", "k"), StorageError);
  EXPECT_THROW(kv.scan("ns", "", [](const std::string&, const std::string&) { return true; }), StorageError);
}

} // namespace kv_store_test
} // namespace bambuddy::storage
