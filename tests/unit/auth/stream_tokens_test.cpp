// Stream tokens: single use, short lived, bounded in number, shaped so a key never passes for one.
#include "auth/stream_tokens.h"

#include <gtest/gtest.h>

#include <set>

namespace bambuddy::auth {
namespace stream_tokens_test {

http::Principal keyNamed(const std::string& id) {
  http::Principal p;
  p.id = id;
  p.permissions = 1;
  p.printer_ids = {4};
  return p;
}

TEST(StreamTokens, ATokenOpensOneStreamAsItsKey) {
  int64_t now = 0;
  StreamTokens tokens([&] { return now; });
  auto issued = tokens.issue(keyNamed("k1"));
  ASSERT_TRUE(issued);
  EXPECT_TRUE(looksLikeStreamToken(issued->token)) << issued->token;
  EXPECT_EQ(issued->ttl_ms, 60000);
  auto principal = tokens.redeem(issued->token);
  ASSERT_TRUE(principal);
  EXPECT_EQ(principal->id, "k1");
  EXPECT_EQ(principal->printer_ids, std::vector<int64_t>{4});
  EXPECT_FALSE(tokens.redeem(issued->token)) << "single use";
}

TEST(StreamTokens, ExpireAfterTheirLifetime) {
  int64_t now = 0;
  StreamTokens tokens([&] { return now; });
  auto fresh = tokens.issue(keyNamed("k"));
  auto stale = tokens.issue(keyNamed("k"));
  now = 59999;
  EXPECT_TRUE(tokens.redeem(fresh->token));
  now = 60000;
  EXPECT_FALSE(tokens.redeem(stale->token));
  EXPECT_EQ(tokens.outstanding(), 0u);
}

TEST(StreamTokens, TokensAreRandomAndBounded) {
  int64_t now = 0;
  StreamTokens tokens([&] { return now; }, 60000, 3);
  std::set<std::string> seen;
  for (int i = 0; i < 3; ++i) {
    seen.insert(tokens.issue(keyNamed("k"))->token);
  }
  EXPECT_EQ(seen.size(), 3u);
  EXPECT_FALSE(tokens.issue(keyNamed("k"))) << "no more than max_tokens at once";
  now = 60000;
  EXPECT_TRUE(tokens.issue(keyNamed("k"))) << "expired ones make room";
}

TEST(StreamTokens, OnlyTokenShapedTextIsLookedUp) {
  StreamTokens tokens([] { return int64_t{0}; });
  EXPECT_FALSE(tokens.redeem(""));
  EXPECT_FALSE(tokens.redeem("bb_G6HGs2IQh4V1F8RoJCdsjSGZ-BwXbDLDkFt6dEbxU5k"));
  EXPECT_FALSE(tokens.redeem("bbst_0123456789abcdef0123456789ABCDEF"));
  EXPECT_FALSE(looksLikeStreamToken("bbst_0123456789abcdef0123456789abcde"));
  EXPECT_TRUE(looksLikeStreamToken("bbst_0123456789abcdef0123456789abcdef"));
}

} // namespace stream_tokens_test
} // namespace bambuddy::auth
