#include "blob_key.h"

#include <bambuddy/abi.h>
#include <bambuddy/sdk.hpp>

#include <gtest/gtest.h>

#include <string>

namespace bambuddy::storage_local {
namespace blob_key_test {

// The error splitKey throws for `key`; fails the test when it accepts the key.
sdk::Error keyError(const std::string& key) {
  try {
    splitKey(key);
  } catch (const sdk::Error& e) {
    return e;
  }
  ADD_FAILURE() << "key accepted: " << quoteKey(key);
  return sdk::Error(BB_OK, "", "");
}

TEST(BlobKey, SplitsValidKeys) {
  EXPECT_EQ(splitKey("a.txt"), (std::vector<std::string>{"a.txt"}));
  EXPECT_EQ(splitKey("a/b/c.3mf"), (std::vector<std::string>{"a", "b", "c.3mf"}));
  EXPECT_EQ(splitKey("A-z_0.9/..x/.hidden/x.."),
            (std::vector<std::string>{"A-z_0.9", "..x", ".hidden", "x.."}));
}

TEST(BlobKey, LengthLimitIs1024Bytes) {
  std::string seg(204, 'x');
  std::string key = seg + "/" + seg + "/" + seg + "/" + seg + "/" + seg; // 5 * 204 + 4 = 1024
  ASSERT_EQ(key.size(), 1024u);
  EXPECT_EQ(splitKey(key).size(), 5u);
  sdk::Error e = keyError(key + "x");
  EXPECT_EQ(e.code(), BB_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(e.what()).find("1025 bytes; the limit is 1024"), std::string::npos) << e.what();
}

TEST(BlobKey, SegmentLimitIs255Bytes) {
  EXPECT_EQ(splitKey(std::string(255, 'a')).size(), 1u);
  sdk::Error e = keyError("dir/" + std::string(256, 'a'));
  EXPECT_NE(std::string(e.what()).find("segment at offset 4 is 256 bytes"), std::string::npos) << e.what();
}

TEST(BlobKey, ReasonsAreMachineReadableAndMessagesPrecise) {
  struct Case {
    std::string key;
    std::string expected;
  };
  const Case cases[] = {
      {"", "invalid key \"\": the key is empty"},
      {"/etc/passwd", "invalid key \"/etc/passwd\": must be relative (starts with '/')"},
      {"a//b", "invalid key \"a//b\": empty segment at offset 2"},
      {"a/", "invalid key \"a/\": empty segment at offset 2"},
      {"..", "invalid key \"..\": segment \"..\" at offset 0 is not allowed"},
      {"a/../b", "invalid key \"a/../b\": segment \"..\" at offset 2 is not allowed"},
      {"./a", "invalid key \"./a\": segment \".\" at offset 0 is not allowed"},
      {"a b", "invalid key \"a b\": byte 0x20 at offset 1 is not allowed"},
      {"a\\b", "invalid key \"a\\x5Cb\": byte 0x5C at offset 1 is not allowed"},
      {std::string("a\0b", 3), "invalid key \"a\\x00b\": byte 0x00 at offset 1 is not allowed"},
      {"caf\xC3\xA9", "invalid key \"caf\\xC3\\xA9\": byte 0xC3 at offset 3 is not allowed"},
  };
  for (const Case& c : cases) {
    sdk::Error e = keyError(c.key);
    EXPECT_EQ(e.code(), BB_ERR_INVALID_ARGUMENT) << c.expected;
    EXPECT_EQ(e.reason(), "invalid_key") << c.expected;
    EXPECT_EQ(std::string(e.what()).rfind(c.expected, 0), 0u) << "got: " << e.what();
  }
}

TEST(BlobKey, QuoteKeyEscapesAndTruncates) {
  EXPECT_EQ(quoteKey("ab"), "\"ab\"");
  EXPECT_EQ(quoteKey("a\"b\n"), "\"a\\x22b\\x0A\"");
  std::string quoted = quoteKey(std::string(500, 'k'));
  EXPECT_EQ(quoted, "\"" + std::string(120, 'k') + "\"... (500 bytes)");
}

TEST(BlobKey, IsValidSegment) {
  EXPECT_TRUE(isValidSegment("a.3mf"));
  EXPECT_TRUE(isValidSegment("..."));
  EXPECT_FALSE(isValidSegment(""));
  EXPECT_FALSE(isValidSegment("."));
  EXPECT_FALSE(isValidSegment(".."));
  EXPECT_FALSE(isValidSegment(".~tmp-0001"));
  EXPECT_FALSE(isValidSegment("a/b"));
  EXPECT_FALSE(isValidSegment(std::string(256, 'a')));
}

TEST(BlobKey, PrefixDirectories) {
  EXPECT_TRUE(prefixDirectories("").empty());
  EXPECT_TRUE(prefixDirectories("arch").empty());
  EXPECT_EQ(prefixDirectories("a/"), (std::vector<std::string>{"a"}));
  EXPECT_EQ(prefixDirectories("a/b/c"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(prefixDirectories("a/."), (std::vector<std::string>{"a"})); // ".x" keys may follow
  for (const char* bad : {"/", "/a", "a//", "../", "a/../b", "a b", "./x"}) {
    try {
      prefixDirectories(bad);
      ADD_FAILURE() << "prefix accepted: " << bad;
    } catch (const sdk::Error& e) {
      EXPECT_EQ(e.code(), BB_ERR_INVALID_ARGUMENT) << bad;
      EXPECT_EQ(e.reason(), "invalid_prefix") << bad;
    }
  }
}

} // namespace blob_key_test
} // namespace bambuddy::storage_local
