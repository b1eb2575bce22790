// put / get / remove / list through the descriptor's ops table.
#include "store_test_util.h"

#include <csignal>
#include <filesystem>
#include <random>
#include <sys/resource.h>
#include <sys/stat.h>

namespace bambuddy::storage_local::test {
namespace store_ops_test {

namespace fs = std::filesystem;

class StorageLocalOps : public StoreTest {
protected:
  void SetUp() override {
    instance_ = create(rootConfig());
    store_ = std::make_unique<StoreClient>(*instance_);
    root_ = tmp_.path() + "/blobs";
  }

  std::unique_ptr<bambuddy::testing::FakeHost::Instance> instance_;
  std::unique_ptr<StoreClient> store_;
  std::string root_;
};

TEST_F(StorageLocalOps, RoundTrip) {
  ASSERT_EQ(store_->put("model.3mf", "PK\x03\x04 payload").rc, BB_OK);
  EXPECT_EQ(store_->read("model.3mf"), "PK\x03\x04 payload");
  EXPECT_EQ(bambuddy::testing::readFile(root_ + "/model.3mf"), "PK\x03\x04 payload");
}

// Blobs are private (issue 13): 0600 files in 0700 directories, whatever the process umask.
TEST_F(StorageLocalOps, FilesAreCreatedWithAFixedMode) {
  mode_t mask = ::umask(0); // the most permissive umask: only the modes the store asks for count
  ASSERT_EQ(store_->put("a", "1").rc, BB_OK);
  ASSERT_EQ(store_->put("a", "2").rc, BB_OK); // the replacement gets the same mode
  ASSERT_EQ(store_->put("dir/sub/b", "3").rc, BB_OK);
  ::umask(mask);
  struct stat st {};
  ASSERT_EQ(::stat((root_ + "/a").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((root_ + "/dir/sub/b").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((root_ + "/dir").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat((root_ + "/dir/sub").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat(root_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u) << "a root the store created";
}

TEST_F(StorageLocalOps, EmptyBlobRoundTrips) {
  ASSERT_EQ(store_->put("empty", "").rc, BB_OK);
  std::string content = "garbage";
  EXPECT_EQ(store_->get("empty", &content).rc, BB_OK);
  EXPECT_EQ(content, "");
  EXPECT_EQ(store_->keys(), (Listing{{"empty", 0}}));
}

TEST_F(StorageLocalOps, BinaryDataWithNulsRoundTrips) {
  std::string every_byte;
  for (int round = 0; round < 4; ++round) {
    for (int b = 0; b < 256; ++b) {
      every_byte.push_back(static_cast<char>(b));
    }
  }
  ASSERT_EQ(store_->put("bin/all-bytes", every_byte).rc, BB_OK);
  EXPECT_EQ(store_->read("bin/all-bytes"), every_byte);

  // Larger than one read chunk, random content.
  std::mt19937 rng(42);
  std::string big(3 * 1024 * 1024 + 17, '\0');
  for (char& c : big) {
    c = static_cast<char>(rng() & 0xFF);
  }
  ASSERT_EQ(store_->put("bin/big", big).rc, BB_OK);
  std::string back;
  ASSERT_EQ(store_->get("bin/big", &back).rc, BB_OK);
  EXPECT_EQ(back.size(), big.size());
  EXPECT_TRUE(back == big);
}

TEST_F(StorageLocalOps, NestedKeysCreateDirectories) {
  ASSERT_EQ(store_->put("a/b/c.3mf", "deep").rc, BB_OK);
  EXPECT_TRUE(fs::is_directory(root_ + "/a/b"));
  EXPECT_EQ(bambuddy::testing::readFile(root_ + "/a/b/c.3mf"), "deep");
  EXPECT_EQ(store_->read("a/b/c.3mf"), "deep");
  ASSERT_EQ(store_->put("a/b/d.png", "sibling").rc, BB_OK);
  EXPECT_EQ(store_->keys("a/"), (Listing{{"a/b/c.3mf", 4}, {"a/b/d.png", 7}}));
}

TEST_F(StorageLocalOps, OverwriteReplacesAndLeavesNoTempFiles) {
  ASSERT_EQ(store_->put("k", std::string(10000, 'o')).rc, BB_OK);
  ASSERT_EQ(store_->put("k", "new").rc, BB_OK);
  EXPECT_EQ(store_->read("k"), "new");
  EXPECT_EQ(entries(root_), (std::vector<std::string>{"k"}));
  EXPECT_EQ(fs::file_size(root_ + "/k"), 3u);
  ASSERT_EQ(store_->put("d/k", "1").rc, BB_OK);
  ASSERT_EQ(store_->put("d/k", "2").rc, BB_OK);
  EXPECT_EQ(entries(root_ + "/d"), (std::vector<std::string>{"k"}));
  EXPECT_TRUE(tempFiles(root_).empty());
}

TEST_F(StorageLocalOps, GetMissingIsNotFound) {
  std::string content = "untouched";
  OpResult r = store_->get("missing.3mf", &content);
  EXPECT_EQ(r.rc, BB_ERR_NOT_FOUND);
  EXPECT_EQ(r.reason, "not_found");
  EXPECT_EQ(content, ""); // the sink was never called
  EXPECT_EQ(store_->get("no/such/dir/file").rc, BB_ERR_NOT_FOUND);

  ASSERT_EQ(store_->put("dir/file", "x").rc, BB_OK);
  EXPECT_EQ(store_->get("dir").rc, BB_ERR_NOT_FOUND);            // a directory is not a blob
  EXPECT_EQ(store_->get("dir/file/below").rc, BB_ERR_NOT_FOUND); // a blob is not a directory
}

TEST_F(StorageLocalOps, RemoveDeletesOnlyThatBlob) {
  ASSERT_EQ(store_->put("x/one", "1").rc, BB_OK);
  ASSERT_EQ(store_->put("x/two", "2").rc, BB_OK);
  EXPECT_EQ(store_->remove("x/one").rc, BB_OK);
  EXPECT_EQ(store_->get("x/one").rc, BB_ERR_NOT_FOUND);
  EXPECT_EQ(store_->read("x/two"), "2");
  EXPECT_EQ(store_->remove("x/two").rc, BB_OK);
  // The now-empty directory stays: remove prunes nothing else.
  EXPECT_TRUE(fs::is_directory(root_ + "/x"));
  EXPECT_TRUE(store_->keys().empty());
}

TEST_F(StorageLocalOps, RemoveMissingIsNotFound) {
  OpResult r = store_->remove("ghost");
  EXPECT_EQ(r.rc, BB_ERR_NOT_FOUND);
  EXPECT_EQ(r.reason, "not_found");
  EXPECT_EQ(store_->remove("no/such/dir").rc, BB_ERR_NOT_FOUND);
  ASSERT_EQ(store_->put("d/f", "x").rc, BB_OK);
  EXPECT_EQ(store_->remove("d").rc, BB_ERR_NOT_FOUND); // a directory is not a blob
  EXPECT_EQ(store_->remove("d/f/g").rc, BB_ERR_NOT_FOUND);
  ASSERT_EQ(store_->remove("d/f").rc, BB_OK);
  EXPECT_EQ(store_->remove("d/f").rc, BB_ERR_NOT_FOUND);
}

TEST_F(StorageLocalOps, ListIsInByteOrderWithSizes) {
  // Byte order differs from a depth-first walk: '-' (0x2D) < '.' (0x2E) < '/' (0x2F) < '0'.
  const std::vector<std::pair<std::string, std::string>> blobs = {
      {"a0", "12345"}, {"a/x", "1"},      {"a.b", "12"},       {"a-b", "123"},
      {"B", ""},       {"b/c/d", "1234"}, {"a/y/z", "123456"}, {"_", "1234567"}};
  for (const auto& [key, value] : blobs) {
    ASSERT_EQ(store_->put(key, value).rc, BB_OK) << key;
  }
  EXPECT_EQ(
      store_->keys(),
      (Listing{
          {"B", 0}, {"_", 7}, {"a-b", 3}, {"a.b", 2}, {"a/x", 1}, {"a/y/z", 6}, {"a0", 5}, {"b/c/d", 4}}));
}

TEST_F(StorageLocalOps, ListPrefixIsAPlainStringPrefix) {
  for (const char* key :
       {"arch/2024/a.3mf", "arch/2024/b.3mf", "arch/2025/c.3mf", "archive.txt", "other/x"}) {
    ASSERT_EQ(store_->put(key, key).rc, BB_OK) << key;
  }
  EXPECT_EQ(store_->keys("arch/2024/"), (Listing{{"arch/2024/a.3mf", 15}, {"arch/2024/b.3mf", 15}}));
  EXPECT_EQ(store_->keys("arch/202"),
            (Listing{{"arch/2024/a.3mf", 15}, {"arch/2024/b.3mf", 15}, {"arch/2025/c.3mf", 15}}));
  EXPECT_EQ(
      store_->keys("arch"),
      (Listing{
          {"arch/2024/a.3mf", 15}, {"arch/2024/b.3mf", 15}, {"arch/2025/c.3mf", 15}, {"archive.txt", 11}}));
  EXPECT_EQ(store_->keys("arch/2024/a.3mf"), (Listing{{"arch/2024/a.3mf", 15}}));
  EXPECT_TRUE(store_->keys("zzz").empty());
  EXPECT_TRUE(store_->keys("missing/dir/").empty());
  EXPECT_TRUE(store_->keys("archive.txt/").empty()); // a blob is not a directory
  // Every list walks from a fresh directory handle, however often the root was read before.
  EXPECT_EQ(store_->keys("").size(), 5u);
  EXPECT_EQ(store_->keys("").size(), 5u);
}

TEST_F(StorageLocalOps, ListStopsWhenTheVisitorAsks) {
  for (const char* key : {"a", "b", "c"}) {
    ASSERT_EQ(store_->put(key, "x").rc, BB_OK);
  }
  Listing rows;
  EXPECT_EQ(store_->list("", &rows, 1).rc, BB_OK);
  EXPECT_EQ(rows, (Listing{{"a", 1}}));
}

TEST_F(StorageLocalOps, ListSkipsTempFilesAndForeignEntries) {
  ASSERT_EQ(store_->put("real", "1").rc, BB_OK);
  ASSERT_EQ(store_->put("sub/real", "22").rc, BB_OK);
  tmp_.write("blobs/.~tmp-0123-1", "half written");
  tmp_.write("blobs/sub/.~tmp-0123-2", "half written");
  tmp_.write("blobs/has space", "not a key");
  tmp_.write("blobs/bad name dir/inner", "not a key");
  ASSERT_EQ(::mkfifo((root_ + "/fifo").c_str(), 0600), 0);
  fs::create_symlink(root_ + "/real", root_ + "/link");
  EXPECT_EQ(store_->keys(), (Listing{{"real", 1}, {"sub/real", 2}}));
  EXPECT_EQ(store_->get("fifo").rc, BB_ERR_NOT_FOUND); // not a blob, and get does not hang
}

TEST_F(StorageLocalOps, ListRefusesImpossiblePrefixes) {
  for (const std::string& bad :
       std::vector<std::string>{"/", "/a", "a//", "../", "a/../", "x y", std::string(1025, 'a')}) {
    OpResult r = store_->list(bad, nullptr);
    EXPECT_EQ(r.rc, BB_ERR_INVALID_ARGUMENT) << bad;
    EXPECT_EQ(r.reason, "invalid_prefix") << bad;
  }
}

TEST_F(StorageLocalOps, KeyThatIsADirectoryOrBelowABlobConflicts) {
  ASSERT_EQ(store_->put("a/b", "blob").rc, BB_OK);
  OpResult r = store_->put("a", "over a directory");
  EXPECT_EQ(r.rc, BB_ERR_CONFLICT);
  EXPECT_EQ(r.reason, "key_conflict");
  EXPECT_NE(r.message.find("\"a\""), std::string::npos) << r.message;
  r = store_->put("a/b/c", "below a blob");
  EXPECT_EQ(r.rc, BB_ERR_CONFLICT);
  EXPECT_NE(r.message.find("\"a/b\" is a blob"), std::string::npos) << r.message;
  EXPECT_EQ(store_->read("a/b"), "blob");
  EXPECT_TRUE(tempFiles(root_).empty());
}

TEST_F(StorageLocalOps, TooLargeIsRefusedBeforeAnythingIsWritten) {
  auto small = host_.create(descriptor(), rootConfig("small", R"("max_blob_bytes":16)"), "{}", "small");
  StoreClient store(*small);
  EXPECT_EQ(store.put("exact", std::string(16, 'x')).rc, BB_OK);
  OpResult r = store.put("nested/dir/over", std::string(17, 'x'));
  EXPECT_EQ(r.rc, BB_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(r.reason, "too_large");
  EXPECT_NE(r.message.find("17 bytes"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("16"), std::string::npos) << r.message;
  EXPECT_EQ(entries(tmp_.path() + "/small"), (std::vector<std::string>{"exact"}));
  // Replacing with an oversized value keeps the old one.
  EXPECT_EQ(store.put("exact", std::string(100, 'y')).reason, "too_large");
  EXPECT_EQ(store.read("exact"), std::string(16, 'x'));
}

TEST_F(StorageLocalOps, FailedWriteRemovesTheTempFileAndKeepsTheOldBlob) {
  ASSERT_EQ(store_->put("k", "old").rc, BB_OK);
  // A file size limit makes write() fail with EFBIG part-way (the signal is ignored for that).
  struct rlimit saved {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit limited = saved;
  limited.rlim_cur = 1024;
  if (::setrlimit(RLIMIT_FSIZE, &limited) != 0) {
    std::signal(SIGXFSZ, old_handler);
    GTEST_SKIP() << "cannot lower RLIMIT_FSIZE here";
  }
  OpResult r = store_->put("k", std::string(64 * 1024, 'n'));
  OpResult nested = store_->put("new/dir/k", std::string(64 * 1024, 'n'));
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, old_handler);

  EXPECT_EQ(r.rc, BB_ERR_IO);
  EXPECT_EQ(r.reason, "io_error");
  EXPECT_NE(r.message.find("\"k\""), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("File too large"), std::string::npos) << r.message;
  EXPECT_EQ(nested.rc, BB_ERR_IO);
  EXPECT_EQ(store_->read("k"), "old");
  EXPECT_EQ(store_->get("new/dir/k").rc, BB_ERR_NOT_FOUND);
  EXPECT_TRUE(tempFiles(root_).empty());
}

TEST_F(StorageLocalOps, FsyncCanBeTurnedOff) {
  auto fast = host_.create(descriptor(), rootConfig("fast", R"("fsync":false)"), "{}", "fast");
  StoreClient store(*fast);
  ASSERT_EQ(store.put("a/b", "v").rc, BB_OK);
  EXPECT_EQ(store.read("a/b"), "v");
  EXPECT_EQ(store.remove("a/b").rc, BB_OK);
}

TEST_F(StorageLocalOps, NullPointersWithZeroLengthAreHandled) {
  bb_error err{};
  err.struct_size = sizeof err;
  const auto* ops = instance_->ops<bb_storage_ops>();
  EXPECT_EQ(ops->put(instance_->self(), nullptr, 0, nullptr, 0, &err), BB_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(err.reason, "invalid_key");
  ASSERT_EQ(ops->put(instance_->self(), "k", 1, nullptr, 0, &err), BB_OK);
  EXPECT_EQ(store_->read("k"), "");
  EXPECT_EQ(ops->list(
                instance_->self(), nullptr, 0,
                [](void*, const char*, size_t, uint64_t) -> int32_t { return 0; }, nullptr, &err),
            BB_OK);
}

} // namespace store_ops_test
} // namespace bambuddy::storage_local::test
