// Keys that try to leave the root, and symbolic links below the root, are refused without
// touching the file system.
#include "store_test_util.h"

#include <filesystem>

namespace bambuddy::storage_local::test {
namespace store_safety_test {

namespace fs = std::filesystem;

class StorageLocalSafety : public StoreTest {
protected:
  void SetUp() override {
    fs::create_directories(tmp_.path() + "/store");
    instance_ = create(rootConfig("store/blobs"));
    store_ = std::make_unique<StoreClient>(*instance_);
    root_ = tmp_.path() + "/store/blobs";
    outside_ = tmp_.path() + "/outside";
    tmp_.write("outside/secret.txt", "top secret");
    tmp_.write("store/sibling.txt", "next to the root");
  }

  std::unique_ptr<bambuddy::testing::FakeHost::Instance> instance_;
  std::unique_ptr<StoreClient> store_;
  std::string root_;
  std::string outside_;
};

std::vector<std::string> invalidKeys() {
  return {"",
          "/",
          "/etc/passwd",
          "/abs/key",
          ".",
          "..",
          "../escape",
          "../../escape",
          "../store/escape",
          "a/../../escape",
          "a/../b",
          "a/..",
          "a/./b",
          "./a",
          "a//b",
          "a/",
          "//a",
          "a\\b",
          "..\\escape",
          "a b",
          "a:b",
          "~",
          "a*",
          "a\nb",
          std::string("a\0b", 3),
          std::string("..\0/x", 5),
          "caf\xC3\xA9",
          std::string(1025, 'k'),
          std::string(256, 's'),
          "dir/" + std::string(256, 's')};
}

TEST_F(StorageLocalSafety, InvalidKeysAreRefusedAndNothingIsWritten) {
  ASSERT_EQ(store_->put("a/existing", "v").rc, BB_OK);
  auto before = snapshot(tmp_.path());
  for (const std::string& key : invalidKeys()) {
    SCOPED_TRACE(::testing::PrintToString(key));
    for (const OpResult& r : {store_->put(key, "payload"), store_->get(key), store_->remove(key)}) {
      EXPECT_EQ(r.rc, BB_ERR_INVALID_ARGUMENT);
      EXPECT_EQ(r.reason, "invalid_key");
      EXPECT_EQ(r.message.rfind("invalid key \"", 0), 0u) << r.message;
    }
  }
  EXPECT_EQ(snapshot(tmp_.path()), before);
  EXPECT_FALSE(fs::exists(tmp_.path() + "/escape"));
  EXPECT_FALSE(fs::exists(tmp_.path() + "/store/escape"));
}

TEST_F(StorageLocalSafety, MessagesNameTheKeyAndTheRule) {
  OpResult r = store_->put("../../etc/cron.d/x", "x");
  EXPECT_EQ(r.message, "invalid key \"../../etc/cron.d/x\": segment \"..\" at offset 0 is not allowed");
  r = store_->get("/etc/shadow");
  EXPECT_EQ(r.message, "invalid key \"/etc/shadow\": must be relative (starts with '/')");
}

TEST_F(StorageLocalSafety, LongestValidKeyWorks) {
  std::string seg(204, 'x');
  std::string key = seg + "/" + seg + "/" + seg + "/" + seg + "/" + seg;
  ASSERT_EQ(key.size(), 1024u);
  ASSERT_EQ(store_->put(key, "deep").rc, BB_OK);
  EXPECT_EQ(store_->read(key), "deep");
  EXPECT_EQ(store_->keys(seg.substr(0, 10)), (Listing{{key, 4}}));
}

TEST_F(StorageLocalSafety, SymlinkedDirectoryPointingOutsideIsNeverFollowed) {
  fs::create_directory_symlink(outside_, root_ + "/evil");
  auto before = snapshot(outside_);

  OpResult r = store_->put("evil/planted.txt", "x");
  EXPECT_EQ(r.rc, BB_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(r.reason, "symlink_refused");
  EXPECT_NE(r.message.find("\"evil\" is a symbolic link"), std::string::npos) << r.message;
  r = store_->put("evil/new/dir/planted.txt", "x");
  EXPECT_EQ(r.reason, "symlink_refused");

  std::string content;
  r = store_->get("evil/secret.txt", &content);
  EXPECT_EQ(r.rc, BB_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(r.reason, "symlink_refused");
  EXPECT_EQ(content, "");

  EXPECT_EQ(store_->remove("evil/secret.txt").reason, "symlink_refused");
  EXPECT_EQ(store_->list("evil/", nullptr).reason, "symlink_refused");
  EXPECT_TRUE(store_->keys("").empty());
  EXPECT_TRUE(store_->keys("ev").empty());

  EXPECT_EQ(snapshot(outside_), before);
  EXPECT_EQ(bambuddy::testing::readFile(outside_ + "/secret.txt"), "top secret");
}

TEST_F(StorageLocalSafety, SymlinkedDirectoryDeeperDownIsNeverFollowed) {
  ASSERT_EQ(store_->put("a/keep", "1").rc, BB_OK);
  fs::create_directory_symlink(outside_, root_ + "/a/b");
  auto before = snapshot(outside_);
  EXPECT_EQ(store_->put("a/b/c/d", "x").reason, "symlink_refused");
  EXPECT_EQ(store_->get("a/b/secret.txt").reason, "symlink_refused");
  EXPECT_EQ(store_->keys("a/"), (Listing{{"a/keep", 1}}));
  EXPECT_EQ(snapshot(outside_), before);
}

TEST_F(StorageLocalSafety, SymlinkedFileIsNeitherReadNorReplacedNorRemoved) {
  fs::create_symlink(outside_ + "/secret.txt", root_ + "/link.txt");
  auto before = snapshot(outside_);

  std::string content;
  OpResult r = store_->get("link.txt", &content);
  EXPECT_EQ(r.rc, BB_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(r.reason, "symlink_refused");
  EXPECT_EQ(content, "");
  EXPECT_EQ(store_->put("link.txt", "overwrite").reason, "symlink_refused");
  EXPECT_EQ(store_->remove("link.txt").reason, "symlink_refused");
  EXPECT_TRUE(store_->keys().empty());

  EXPECT_TRUE(fs::is_symlink(root_ + "/link.txt"));
  EXPECT_EQ(snapshot(outside_), before);
  EXPECT_TRUE(tempFiles(root_).empty());
}

TEST_F(StorageLocalSafety, SymlinkInsideTheRootIsAlsoRefused) {
  // Not an escape, but links are never followed below the root: one rule, no exceptions.
  ASSERT_EQ(store_->put("real/blob", "v").rc, BB_OK);
  fs::create_directory_symlink(root_ + "/real", root_ + "/alias");
  EXPECT_EQ(store_->get("alias/blob").reason, "symlink_refused");
  EXPECT_EQ(store_->keys(), (Listing{{"real/blob", 1}}));
}

} // namespace store_safety_test
} // namespace bambuddy::storage_local::test
