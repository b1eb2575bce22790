// The first admin key: generated into a 0600 file, or seeded from BAMBUDDY_ADMIN_KEY.
#include "apikey_test_util.h"

#include <sys/stat.h>
#include <unistd.h>

namespace bambuddy::auth_apikey::test {
namespace {

class Bootstrap : public ApiKeyTest {
protected:
  unsigned fileMode(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
  }
};

TEST_F(Bootstrap, GeneratesAnAdminKeyIntoA0600File) {
  start();
  ASSERT_TRUE(std::filesystem::exists(adminKeyPath()));
  EXPECT_EQ(fileMode(adminKeyPath()), 0600u);
  std::string raw = bambuddy::testing::readFile(adminKeyPath());
  std::string key = adminKey();
  EXPECT_EQ(raw, key + "\n");
  EXPECT_EQ(key.size(), 46u);
  AuthOutcome a = authenticate(key);
  ASSERT_EQ(a.rc, BB_AUTH_OK);
  EXPECT_STREQ(a.principal.display_name, "admin");
  EXPECT_EQ(a.principal.permissions, uint64_t{BB_PERM_ADMIN});
  EXPECT_TRUE(host_.logged(adminKeyPath())) << "the path is logged";
  expectSecretNowhere(key);
  EXPECT_EQ(call("GET", "/api/v1/api-keys").body["items"][0]["name"], "admin");
}

TEST_F(Bootstrap, DoesNothingWhenAnAdminKeyExists) {
  start();
  std::string first = adminKey();
  ::unlink(adminKeyPath().c_str());
  start();
  EXPECT_FALSE(std::filesystem::exists(adminKeyPath()));
  EXPECT_EQ(authenticate(first).rc, BB_AUTH_OK);
  EXPECT_EQ(call("GET", "/api/v1/api-keys").body["total"], 1);
}

TEST_F(Bootstrap, ANewKeyWhenTheOnlyAdminKeyIsDisabledOrExpired) {
  start();
  std::string first = adminKey();
  ASSERT_EQ(call("PATCH", "/api/v1/api-keys/1", R"({"enabled":false})").status, 200);
  start(); // the file still exists: replaced safely by a new key
  std::string second = adminKey();
  EXPECT_NE(first, second);
  EXPECT_EQ(fileMode(adminKeyPath()), 0600u);
  EXPECT_EQ(authenticate(second).rc, BB_AUTH_OK);
  EXPECT_EQ(authenticate(first).reason, "api_key_disabled");

  ASSERT_EQ(call("PATCH", "/api/v1/api-keys/2", R"({"expires_at":"2024-01-15T15:00:00Z"})").status, 200);
  host_.setNowMs(1705340000000);
  start();
  EXPECT_NE(adminKey(), second);
  EXPECT_EQ(authenticate(adminKey()).rc, BB_AUTH_OK);
}

TEST_F(Bootstrap, ReplacesAStaleFileOrSymlinkWithoutFollowingIt) {
  std::string target = tmp_.path() + "/victim";
  {
    std::FILE* f = std::fopen(target.c_str(), "w");
    std::fputs("keep me", f);
    std::fclose(f);
  }
  ASSERT_EQ(::symlink(target.c_str(), adminKeyPath().c_str()), 0);
  start();
  EXPECT_EQ(bambuddy::testing::readFile(target), "keep me");
  struct stat st {};
  ASSERT_EQ(::lstat(adminKeyPath().c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(fileMode(adminKeyPath()), 0600u);
  EXPECT_EQ(authenticate(adminKey()).rc, BB_AUTH_OK);
  // No temp file left behind.
  for (const auto& entry : std::filesystem::directory_iterator(server_dir_)) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos) << entry.path();
  }
}

TEST_F(Bootstrap, ConfiguredFileNameAndAbsolutePath) {
  start(R"({"admin_key_file":"secrets-admin"})");
  EXPECT_TRUE(std::filesystem::exists(server_dir_ + "/secrets-admin"));
  EXPECT_FALSE(std::filesystem::exists(adminKeyPath()));
  ASSERT_EQ(call("PATCH", "/api/v1/api-keys/1", R"({"enabled":false})").status, 200);
  std::string absolute = tmp_.path() + "/elsewhere-admin";
  start(json({{"admin_key_file", absolute}}).dump());
  ASSERT_TRUE(std::filesystem::exists(absolute));
  EXPECT_EQ(fileMode(absolute), 0600u);
  std::string key = bambuddy::testing::readFile(absolute);
  key.pop_back();
  EXPECT_EQ(authenticate(key).rc, BB_AUTH_OK);
}

TEST_F(Bootstrap, UnwritableFileFailsCreationClearly) {
  try {
    start(R"({"admin_key_file":"missing-dir/admin"})");
    FAIL() << "creation should fail";
  } catch (const sdk::Error& e) {
    EXPECT_EQ(e.code(), BB_ERR_IO);
    EXPECT_EQ(e.reason(), "admin_key_file");
    EXPECT_NE(std::string(e.what()).find("missing-dir/admin"), std::string::npos) << e.what();
  }
  // Nothing stored: no admin key exists that nobody could read.
  EXPECT_EQ(allKvText().find("\"admin\""), std::string::npos);
}

TEST_F(Bootstrap, SeedsTheKeyFromTheEnvironment) {
  std::string key = "bb_" + std::string("0123456789abcdefghijABCDEFGHIJ-_klmnopqrstu");
  ASSERT_EQ(key.size(), 46u);
  ::setenv("BAMBUDDY_ADMIN_KEY", key.c_str(), 1);
  start();
  EXPECT_FALSE(std::filesystem::exists(adminKeyPath())) << "no file when the key is given";
  AuthOutcome a = authenticate(key);
  ASSERT_EQ(a.rc, BB_AUTH_OK);
  EXPECT_EQ(a.principal.permissions, uint64_t{BB_PERM_ADMIN});
  EXPECT_STREQ(a.principal.display_name, "admin");
  expectSecretNowhere(key);
  // A restart with the same variable adds nothing.
  start();
  EXPECT_EQ(call("GET", "/api/v1/api-keys").body["total"], 1);
}

TEST_F(Bootstrap, EnvironmentKeyIsAddedBesideAnExistingAdmin) {
  start();
  std::string generated = adminKey();
  std::string key = "bb_" + std::string(43, 'Z');
  ::setenv("BAMBUDDY_ADMIN_KEY", key.c_str(), 1);
  start();
  EXPECT_EQ(authenticate(generated).rc, BB_AUTH_OK);
  EXPECT_EQ(authenticate(key).rc, BB_AUTH_OK);
  EXPECT_EQ(call("GET", "/api/v1/api-keys").body["total"], 2);
}

TEST_F(Bootstrap, EnvironmentKeyChangedThroughTheApiIsLeftAlone) {
  std::string key = "bb_" + std::string(43, 'Y');
  ::setenv("BAMBUDDY_ADMIN_KEY", key.c_str(), 1);
  start();
  ASSERT_EQ(call("PATCH", "/api/v1/api-keys/1", R"({"enabled":false})").status, 200);
  start();
  EXPECT_EQ(authenticate(key).reason, "api_key_disabled");
  EXPECT_TRUE(host_.logged("BAMBUDDY_ADMIN_KEY (API key 1) is disabled"));
}

TEST_F(Bootstrap, MalformedEnvironmentKeyFailsWithoutEchoingIt) {
  std::string bad = "bb_this-is-not-long-enough-SECRETVALUE";
  ::setenv("BAMBUDDY_ADMIN_KEY", bad.c_str(), 1);
  try {
    start();
    FAIL() << "creation should fail";
  } catch (const sdk::Error& e) {
    EXPECT_EQ(e.code(), BB_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(e.reason(), "invalid_admin_key");
    std::string what = e.what();
    EXPECT_NE(what.find("BAMBUDDY_ADMIN_KEY"), std::string::npos);
    EXPECT_EQ(what.find("SECRETVALUE"), std::string::npos) << what;
  }
  EXPECT_EQ(allLogText().find("SECRETVALUE"), std::string::npos);
  EXPECT_TRUE(host_.kv().empty() || allKvText().find("key/") == std::string::npos);
}

} // namespace
} // namespace bambuddy::auth_apikey::test
