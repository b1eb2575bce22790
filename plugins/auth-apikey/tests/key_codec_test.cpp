// Key format and digests.
#include "key_codec.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace bambuddy::auth_apikey::test {
namespace key_codec_test {

TEST(KeyCodec, GeneratedKeysHaveTheDocumentedShape) {
  std::set<std::string> seen;
  std::set<char> alphabet;
  for (int i = 0; i < 2000; ++i) {
    std::string key = generateKey();
    ASSERT_EQ(key.size(), 46u);
    ASSERT_EQ(key.substr(0, 3), "bb_");
    ASSERT_TRUE(isWellFormedKey(key)) << key;
    for (char c : key.substr(3)) {
      ASSERT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << key;
      alphabet.insert(c);
    }
    EXPECT_TRUE(seen.insert(key).second) << "duplicate key";
  }
  // 2000 keys x 43 characters cover the whole 64-character alphabet: the bits are really random.
  EXPECT_EQ(alphabet.size(), 64u);
}

TEST(KeyCodec, LastCharacterCarriesOnlyFourBits) {
  // 32 bytes = 256 bits; the 43rd character holds the last 4 bits, so its low 2 bits are zero.
  for (int i = 0; i < 200; ++i) {
    std::string key = generateKey();
    const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    EXPECT_EQ(alphabet.find(key.back()) % 4, 0u) << key;
  }
}

TEST(KeyCodec, WellFormedChecksPrefixLengthAndAlphabet) {
  std::string good = "bb_" + std::string(43, 'A');
  EXPECT_TRUE(isWellFormedKey(good));
  EXPECT_FALSE(isWellFormedKey(""));
  EXPECT_FALSE(isWellFormedKey("bb_"));
  EXPECT_FALSE(isWellFormedKey("bb_" + std::string(42, 'A')));
  EXPECT_FALSE(isWellFormedKey("bb_" + std::string(44, 'A')));
  EXPECT_FALSE(isWellFormedKey("BB_" + std::string(43, 'A')));
  EXPECT_FALSE(isWellFormedKey("bb_" + std::string(42, 'A') + "="));
  EXPECT_FALSE(isWellFormedKey("bb_" + std::string(42, 'A') + "+"));
  EXPECT_FALSE(isWellFormedKey("bb_" + std::string(42, 'A') + "/"));
  EXPECT_FALSE(isWellFormedKey(std::string("bb_") + std::string(42, 'A') + '\0'));
}

TEST(KeyCodec, DigestIsSha256AndRoundTripsThroughHex) {
  // SHA-256("abc")
  EXPECT_EQ(toHex(digestOf("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Digest d = digestOf(generateKey());
  auto back = digestFromHex(toHex(d));
  ASSERT_TRUE(back);
  EXPECT_TRUE(digestEquals(*back, d));
  EXPECT_FALSE(digestFromHex("zz"));
  EXPECT_FALSE(digestFromHex(std::string(64, 'G')));
  EXPECT_FALSE(digestEquals(digestOf("a"), digestOf("b")));
}

} // namespace key_codec_test
} // namespace bambuddy::auth_apikey::test
