// resolveClientIp: X-Forwarded-For is believed only from trusted proxies, walked from the right.
#include "auth/client_ip.h"

#include <gtest/gtest.h>

namespace bambuddy::auth {
namespace {

std::vector<sdk::Cidr> ranges(std::initializer_list<const char*> texts) {
  std::vector<sdk::Cidr> out;
  for (const char* t : texts) {
    out.push_back(*sdk::Cidr::parse(t));
  }
  return out;
}

TEST(ClientIp, PeerIsUsedWithoutTrustedProxies) {
  EXPECT_EQ(resolveClientIp("203.0.113.5", std::string("1.2.3.4"), {}), "203.0.113.5");
  EXPECT_EQ(resolveClientIp("203.0.113.5", std::nullopt, ranges({"10.0.0.0/8"})), "203.0.113.5");
}

TEST(ClientIp, UntrustedPeerCannotSpoof) {
  EXPECT_EQ(resolveClientIp("203.0.113.5", std::string("1.2.3.4"), ranges({"10.0.0.0/8"})), "203.0.113.5");
}

TEST(ClientIp, TrustedPeerIsBelieved) {
  auto trusted = ranges({"10.0.0.0/8", "::1"});
  EXPECT_EQ(resolveClientIp("10.0.0.2", std::string("198.51.100.7"), trusted), "198.51.100.7");
  EXPECT_EQ(resolveClientIp("::1", std::string("2001:db8::5"), trusted), "2001:db8::5");
}

TEST(ClientIp, WalksFromTheRightSkippingTrustedHops) {
  auto trusted = ranges({"10.0.0.0/8"});
  // The client wrote "6.6.6.6" itself; the first untrusted hop from the right is the real one.
  EXPECT_EQ(resolveClientIp("10.0.0.2", std::string("6.6.6.6, 198.51.100.7, 10.0.0.9"), trusted),
            "198.51.100.7");
  EXPECT_EQ(resolveClientIp("10.0.0.2", std::string("6.6.6.6,198.51.100.7,10.0.0.9,10.1.1.1"), trusted),
            "198.51.100.7");
}

TEST(ClientIp, AllTrustedGivesTheLeftmost) {
  auto trusted = ranges({"10.0.0.0/8"});
  EXPECT_EQ(resolveClientIp("10.0.0.2", std::string("10.5.5.5, 10.0.0.9"), trusted), "10.5.5.5");
}

TEST(ClientIp, GarbageStopsTheWalk) {
  auto trusted = ranges({"10.0.0.0/8"});
  EXPECT_EQ(resolveClientIp("10.0.0.2", std::string("1.1.1.1, evil, 10.0.0.9"), trusted), "10.0.0.9");
  EXPECT_EQ(resolveClientIp("10.0.0.2", std::string("unknown"), trusted), "10.0.0.2");
  EXPECT_EQ(resolveClientIp("10.0.0.2", std::string(""), trusted), "10.0.0.2");
  EXPECT_EQ(resolveClientIp("10.0.0.2", std::string("1.1.1.1,,10.0.0.9"), trusted), "10.0.0.9");
  EXPECT_EQ(resolveClientIp("10.0.0.2", std::string("1.2.3.4:5678"), trusted), "10.0.0.2");
  EXPECT_EQ(resolveClientIp("10.0.0.2", std::string("1.2.3.0/24"), trusted), "10.0.0.2");
}

TEST(ClientIp, MappedPeerMatchesIpv4Range) {
  EXPECT_EQ(resolveClientIp("::ffff:10.0.0.2", std::string("198.51.100.7"), ranges({"10.0.0.0/8"})),
            "198.51.100.7");
}

} // namespace
} // namespace bambuddy::auth
