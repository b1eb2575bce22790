// Reading a secret from a file (config/secret_file.h): trailing newlines, relative paths, the
// size limit and every refusal, whose message names the path and never the content.
#include "config/secret_file.h"

#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <filesystem>

#include <sys/stat.h>
#include <unistd.h>

namespace bambuddy::config {
namespace secret_file_test {

const std::string kSecret = "8f3c1a7e-secret";

void expectRefused(const SecretFileContent& r, const std::string& reason) {
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error.find(reason), std::string::npos) << r.error;
  EXPECT_EQ(r.error.find(kSecret), std::string::npos) << r.error;
}

TEST(SecretFile, ReadsTheValueWithoutTrailingNewlines) {
  testing::TempDir dir;
  std::string path = dir.write("code", kSecret + "\n");
  SecretFileContent r = readSecretFile(path, "/nonexistent");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.value, kSecret);
  EXPECT_EQ(readSecretFile(dir.write("crlf", kSecret + "\r\n\n"), "").value, kSecret);
  EXPECT_EQ(readSecretFile(dir.write("none", kSecret), "").value, kSecret);
  // Inner line breaks and surrounding spaces are part of the value.
  EXPECT_EQ(readSecretFile(dir.write("multi", " a\nb \n"), "").value, " a\nb ");
  EXPECT_EQ(readSecretFile(dir.write("empty", ""), "").value, "");
}

TEST(SecretFile, RelativePathsAreTakenAgainstTheBaseDirectory) {
  testing::TempDir dir;
  dir.write("secrets/x1c", kSecret + "\n");
  SecretFileContent r = readSecretFile("secrets/x1c", dir.path());
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.value, kSecret);
  std::filesystem::create_symlink(dir.file("secrets/x1c"), dir.file("link"));
  EXPECT_EQ(readSecretFile("link", dir.path()).value, kSecret);
}

TEST(SecretFile, Refusals) {
  testing::TempDir dir;
  expectRefused(readSecretFile("missing", dir.path()),
                "cannot read secret file " + dir.file("missing") + ": No such file or directory");
  expectRefused(readSecretFile(dir.path(), ""), "it is a directory");
  expectRefused(readSecretFile("", dir.path()), "path is empty");
  ASSERT_EQ(mkfifo(dir.file("fifo").c_str(), 0600), 0);
  expectRefused(readSecretFile(dir.file("fifo"), ""), "not a regular file");
  expectRefused(readSecretFile(dir.write("nul", kSecret + std::string(1, '\0') + "x"), ""), "NUL byte");
  expectRefused(readSecretFile(dir.write("latin1", kSecret + "\xe9"), ""), "not UTF-8");
}

TEST(SecretFile, SizeLimit) {
  testing::TempDir dir;
  std::string exact(kMaxSecretFileBytes, 'a');
  EXPECT_EQ(readSecretFile(dir.write("exact", exact), "").value.size(), kMaxSecretFileBytes);
  expectRefused(readSecretFile(dir.write("big", kSecret + exact), ""), "larger than 64 KiB");
}

TEST(SecretFile, UnreadableFile) {
  if (geteuid() == 0) {
    GTEST_SKIP() << "root reads a mode 000 file; the directory case in Refusals covers a read failure";
  }
  testing::TempDir dir;
  std::string path = dir.write("locked", kSecret);
  ASSERT_EQ(chmod(path.c_str(), 0), 0);
  expectRefused(readSecretFile(path, ""), "Permission denied");
}

} // namespace secret_file_test
} // namespace bambuddy::config
