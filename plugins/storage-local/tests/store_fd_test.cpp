// put_fd and open_read (ABI 0.3): large blobs in and out of the store as files, never as one
// buffer, through the descriptor's ops table.
#include "store_test_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace bambuddy::storage_local::test {
namespace store_fd_test {

bb_error makeError() {
  bb_error err{};
  err.struct_size = sizeof(bb_error);
  return err;
}

class StorageLocalFd : public StoreTest {
protected:
  void SetUp() override {
    instance_ = create(rootConfig());
    ops_ = instance_->ops<bb_storage_ops>();
    self_ = instance_->self();
    store_ = std::make_unique<StoreClient>(*instance_);
  }

  // A source file with `content`; its descriptor's offset is left at the end on purpose.
  int sourceFile(const std::string& content) {
    std::string path = tmp_.file("source.bin");
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    EXPECT_EQ(::write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
    return fd;
  }

  int32_t putFd(const std::string& key, int fd, uint64_t size, bb_error& err) {
    err = makeError();
    return ops_->put_fd(self_, key.data(), key.size(), fd, size, &err);
  }

  std::unique_ptr<bambuddy::testing::FakeHost::Instance> instance_;
  const bb_storage_ops* ops_ = nullptr;
  void* self_ = nullptr;
  std::unique_ptr<StoreClient> store_;
};

std::string varied(size_t size) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) {
    out[i] = static_cast<char>((i * 131 + i / 4099) & 0xff);
  }
  return out;
}

TEST_F(StorageLocalFd, TableOffersBothOps) {
  ASSERT_GE(ops_->struct_size, sizeof(bb_storage_ops));
  EXPECT_NE(ops_->put_fd, nullptr);
  EXPECT_NE(ops_->open_read, nullptr);
}

TEST_F(StorageLocalFd, PutFromFileStoresExactlyTheGivenBytes) {
  const std::string content = varied(3 * 1024 * 1024 + 5);
  int fd = sourceFile(content);
  bb_error err;
  ASSERT_EQ(putFd("big/model.3mf", fd, content.size(), err), BB_OK) << err.message;
  EXPECT_EQ(store_->read("big/model.3mf"), content);
  // Only the first `size` bytes are taken, and the caller's descriptor stays open.
  ASSERT_EQ(putFd("prefix", fd, 10, err), BB_OK) << err.message;
  EXPECT_EQ(store_->read("prefix"), content.substr(0, 10));
  EXPECT_EQ(::fcntl(fd, F_GETFD), FD_CLOEXEC) << "the plugin closed the host's descriptor";
  ::close(fd);
}

TEST_F(StorageLocalFd, ShortSourceIsAnErrorAndStoresNothing) {
  int fd = sourceFile("only twelve!");
  bb_error err;
  EXPECT_EQ(putFd("partial", fd, 1000, err), BB_ERR_IO);
  EXPECT_NE(std::string(err.message).find("partial"), std::string::npos)
      << "the error names the key: " << err.message;
  EXPECT_EQ(store_->get("partial").rc, BB_ERR_NOT_FOUND);
  EXPECT_EQ(store_->keys(), Listing{});
  EXPECT_TRUE(tempFiles(tmp_.path() + "/blobs").empty()) << "a temp file was left behind";
  ::close(fd);
}

TEST_F(StorageLocalFd, PutFromFileHonoursTheSizeLimit) {
  instance_ = create(rootConfig("small", R"("max_blob_bytes": 100)"));
  ops_ = instance_->ops<bb_storage_ops>();
  self_ = instance_->self();
  int fd = sourceFile(std::string(200, 'x'));
  bb_error err;
  EXPECT_EQ(putFd("too-big", fd, 200, err), BB_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(err.reason, "too_large");
  ::close(fd);
}

TEST_F(StorageLocalFd, OpenReadGivesTheBlobAsItWasWhenOpened) {
  const std::string first = varied(70000);
  ASSERT_EQ(store_->put("a/b.3mf", first).rc, BB_OK);
  int fd = -1;
  uint64_t size = 0;
  bb_error err = makeError();
  ASSERT_EQ(ops_->open_read(self_, "a/b.3mf", 7, &fd, &size, &err), BB_OK) << err.message;
  ASSERT_GE(fd, 0);
  EXPECT_EQ(size, first.size());
  // Replaced and then removed meanwhile: the open descriptor still reads the old bytes.
  ASSERT_EQ(store_->put("a/b.3mf", "new").rc, BB_OK);
  ASSERT_EQ(store_->remove("a/b.3mf").rc, BB_OK);
  std::string read_back(first.size(), '\0');
  EXPECT_EQ(::pread(fd, read_back.data(), read_back.size(), 0), static_cast<ssize_t>(first.size()));
  EXPECT_EQ(read_back, first);
  EXPECT_EQ(::fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
  ::close(fd);
}

TEST_F(StorageLocalFd, OpenReadOfAMissingBlobIsNotFound) {
  int fd = -1;
  uint64_t size = 0;
  bb_error err = makeError();
  EXPECT_EQ(ops_->open_read(self_, "nope", 4, &fd, &size, &err), BB_ERR_NOT_FOUND);
  EXPECT_EQ(fd, -1);
  EXPECT_EQ(ops_->open_read(self_, "../x", 4, &fd, &size, &err), BB_ERR_INVALID_ARGUMENT);
}

} // namespace store_fd_test
} // namespace bambuddy::storage_local::test
