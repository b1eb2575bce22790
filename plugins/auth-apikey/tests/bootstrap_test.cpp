// The first admin key: generated into a 0600 file, or seeded from BAMBUDDY_ADMIN_KEY.
#include "apikey_test_util.h"
#include "bootstrap.h"
#include "key_codec.h"

#include <sys/stat.h>
#include <unistd.h>

namespace bambuddy::auth_apikey::test {
namespace bootstrap_test {

// A key without a pattern: 43 characters, 38 distinct, no period.
const std::string kStrongKey = "bb_Zq3xV9mKp2LwT7cHn4RbJ8sYd1FgU6eAo5NiQ0kMh-_";

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

TEST_F(Bootstrap, EnvironmentKeyIsNotAddedWhenAnAdminExists) {
  start();
  std::string generated = adminKey();
  ::setenv("BAMBUDDY_ADMIN_KEY", kStrongKey.c_str(), 1);
  start();
  EXPECT_EQ(authenticate(generated).rc, BB_AUTH_OK);
  EXPECT_EQ(authenticate(kStrongKey).reason, "invalid_api_key");
  EXPECT_EQ(call("GET", "/api/v1/api-keys").body["total"], 1);
  EXPECT_TRUE(host_.logged("an admin API key exists: the key in BAMBUDDY_ADMIN_KEY is not stored"));
}

TEST_F(Bootstrap, EnvironmentKeyChangedThroughTheApiIsLeftAlone) {
  ::setenv("BAMBUDDY_ADMIN_KEY", kStrongKey.c_str(), 1);
  start();
  ASSERT_EQ(call("PATCH", "/api/v1/api-keys/1", R"({"enabled":false})").status, 200);
  start();
  EXPECT_EQ(authenticate(kStrongKey).reason, "api_key_disabled");
  EXPECT_TRUE(host_.logged("BAMBUDDY_ADMIN_KEY (API key 1) is disabled"));
}

// Regression (issue 13): a deleted bootstrap key came back at the next start.
TEST_F(Bootstrap, DeletedEnvironmentKeyDoesNotComeBack) {
  ::setenv("BAMBUDDY_ADMIN_KEY", kStrongKey.c_str(), 1);
  start();
  ASSERT_EQ(authenticate(kStrongKey).rc, BB_AUTH_OK);
  json other = call("POST", "/api/v1/api-keys", R"({"name":"ops","permissions":["admin"]})").body;
  ASSERT_TRUE(other.contains("key")) << other.dump();
  ASSERT_EQ(call("DELETE", "/api/v1/api-keys/1").status, 204);
  start();
  EXPECT_EQ(authenticate(kStrongKey).reason, "invalid_api_key");
  EXPECT_EQ(authenticate(other["key"].get<std::string>()).rc, BB_AUTH_OK);
  EXPECT_TRUE(host_.logged("has since been deleted or rotated; it is not restored"));
  // Even with no admin key left, the old value is not restored: a fresh key goes to the file.
  ASSERT_EQ(call("DELETE", "/api/v1/api-keys/" + std::to_string(other["id"].get<int64_t>())).status, 204);
  start();
  EXPECT_EQ(authenticate(kStrongKey).reason, "invalid_api_key");
  EXPECT_EQ(authenticate(adminKey()).rc, BB_AUTH_OK);
}

TEST_F(Bootstrap, RotatedEnvironmentKeyDoesNotComeBack) {
  ::setenv("BAMBUDDY_ADMIN_KEY", kStrongKey.c_str(), 1);
  start();
  Response r = call("POST", "/api/v1/api-keys/1/rotate", R"({"grace_period_s":0})");
  ASSERT_EQ(r.status, 201) << r.text;
  std::string rotated = r.body["key"];
  start();
  EXPECT_EQ(authenticate(kStrongKey).reason, "invalid_api_key");
  EXPECT_EQ(authenticate(rotated).rc, BB_AUTH_OK);
  EXPECT_EQ(call("GET", "/api/v1/api-keys").body["total"], 1);
}

TEST_F(Bootstrap, WeakEnvironmentKeysAreRefused) {
  const std::vector<std::string> weak = {
      "bb_" + std::string(43, 'A'),                     // one repeated character
      "bb_" + std::string(42, 'A') + "B",               // nearly so
      "bb_ABABABABABABABABABABABABABABABABABABABABABA", // period 2
      "bb_0123456789abcdefghij0123456789abcdefghij012", // period 20 (120 bits)
      "bb_abcabcaabbccabcabcaabbccabcabcaabbccabcabca", // 3 symbols (68 bits)
  };
  for (const std::string& key : weak) {
    ASSERT_EQ(key.size(), 46u) << key;
    ::setenv("BAMBUDDY_ADMIN_KEY", key.c_str(), 1);
    try {
      start();
      ADD_FAILURE() << "creation should fail for " << key;
    } catch (const sdk::Error& e) {
      EXPECT_EQ(e.code(), BB_ERR_INVALID_ARGUMENT);
      EXPECT_EQ(e.reason(), "weak_admin_key");
      std::string what = e.what();
      EXPECT_NE(what.find("BAMBUDDY_ADMIN_KEY is too weak"), std::string::npos) << what;
      EXPECT_NE(what.find("at least 128"), std::string::npos) << what;
      EXPECT_EQ(what.find(key.substr(3, 10)), std::string::npos) << "the value is never echoed: " << what;
    }
  }
  EXPECT_EQ(allKvText().find("key/"), std::string::npos) << "nothing stored";
}

TEST(BootstrapEntropy, Estimates) {
  EXPECT_EQ(estimatedEntropyBits(std::string(43, 'A')), 0);
  EXPECT_LT(estimatedEntropyBits("ABABABABABABABABABABABABABABABABABABABABABA"), 128);
  EXPECT_GE(estimatedEntropyBits(kStrongKey.substr(3)), 128);
  // A freshly generated key always passes.
  for (int i = 0; i < 200; ++i) {
    EXPECT_GE(estimatedEntropyBits(generateKey().substr(3)), 128);
  }
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

} // namespace bootstrap_test
} // namespace bambuddy::auth_apikey::test
