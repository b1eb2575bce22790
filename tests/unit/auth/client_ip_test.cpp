// resolveClientIp: X-Forwarded-For is believed only from trusted proxies, walked from the right.
#include "auth/client_ip.h"

#include <gtest/gtest.h>

namespace bambuddy::auth {
namespace client_ip_test {

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

using Headers = std::vector<std::pair<std::string, std::string>>;

TEST(ClientIp, AllXForwardedForLinesAreJoinedInOrder) {
  auto trusted = ranges({"10.0.0.0/8"});
  // The client sent its own line; the proxy appended the real address as a second line.
  Headers h{{"X-Forwarded-For", "6.6.6.6"}, {"x-forwarded-for", "203.0.113.7"}};
  EXPECT_EQ(resolveClientAddress("10.0.0.2", h, trusted).ip, "203.0.113.7");
  // Two proxies, each appending a line.
  Headers chain{{"X-Forwarded-For", "6.6.6.6, 203.0.113.7"}, {"X-Forwarded-For", "10.0.0.9"}};
  EXPECT_EQ(resolveClientAddress("10.0.0.2", chain, trusted).ip, "203.0.113.7");
  // Without a trusted peer no line is believed.
  EXPECT_EQ(resolveClientAddress("192.0.2.1", h, trusted).ip, "192.0.2.1");
  EXPECT_EQ(resolveClientAddress("10.0.0.2", h, {}).ip, "10.0.0.2");
}

TEST(ClientIp, ForwardedForValuesParse) {
  auto v = forwardedForValues("for=192.0.2.60;proto=http;by=203.0.113.43, For=\"[2001:db8:cafe::17]:4711\"");
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, (std::vector<std::string>{"192.0.2.60", "[2001:db8:cafe::17]:4711"}));
  v = forwardedForValues("proto=https, for=unknown ;by=x, for=_hidden");
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, (std::vector<std::string>{"", "unknown", "_hidden"}));
  v = forwardedForValues("for=\"a,b;c\\\"d\"");
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, (std::vector<std::string>{"a,b;c\"d"}));
  EXPECT_FALSE(forwardedForValues("for=\"unterminated"));
  EXPECT_FALSE(forwardedForValues("for"));
  EXPECT_FALSE(forwardedForValues("for=1.2.3.4;for=5.6.7.8")) << "two for= in one element";
  EXPECT_FALSE(forwardedForValues("for=[2001:db8::1]")) << "':' and '[' are not token characters";
  EXPECT_FALSE(forwardedForValues("for=1.2.3.4 junk"));
}

TEST(ClientIp, ForwardedNodes) {
  EXPECT_EQ(forwardedNodeAddress("192.0.2.60"), "192.0.2.60");
  EXPECT_EQ(forwardedNodeAddress("192.0.2.60:8080"), "192.0.2.60");
  EXPECT_EQ(forwardedNodeAddress("192.0.2.60:_port"), "192.0.2.60");
  EXPECT_EQ(forwardedNodeAddress("[2001:DB8::1]"), "2001:db8::1");
  EXPECT_EQ(forwardedNodeAddress("[2001:db8::1]:4711"), "2001:db8::1");
  EXPECT_FALSE(forwardedNodeAddress("unknown"));
  EXPECT_FALSE(forwardedNodeAddress("_hidden"));
  EXPECT_FALSE(forwardedNodeAddress("2001:db8::1")) << "IPv6 must be bracketed";
  EXPECT_FALSE(forwardedNodeAddress("[192.0.2.1]")) << "brackets hold IPv6 only";
  EXPECT_FALSE(forwardedNodeAddress("[2001:db8::1]x"));
  EXPECT_FALSE(forwardedNodeAddress("[2001:db8::1"));
  EXPECT_FALSE(forwardedNodeAddress("999.1.1.1"));
  EXPECT_FALSE(forwardedNodeAddress(""));
}

TEST(ClientIp, ForwardedIsWalkedLikeXForwardedFor) {
  auto trusted = ranges({"10.0.0.0/8", "fd00::/8"});
  Headers h{{"Forwarded", "for=6.6.6.6, for=198.51.100.7;proto=https, for=\"[fd00::9]\""}};
  EXPECT_EQ(resolveClientAddress("10.0.0.2", h, trusted).ip, "198.51.100.7");
  // Lines are joined, so a client's own line cannot win over the proxy's appended one.
  Headers lines{{"Forwarded", "for=6.6.6.6"}, {"Forwarded", "for=\"[2001:db8::5]:1234\""}};
  EXPECT_EQ(resolveClientAddress("10.0.0.2", lines, trusted).ip, "2001:db8::5");
  // An unknown or obfuscated hop stops the walk at the last good (trusted) address.
  Headers hidden{{"Forwarded", "for=198.51.100.7, for=_hidden, for=10.0.0.9"}};
  EXPECT_EQ(resolveClientAddress("10.0.0.2", hidden, trusted).ip, "10.0.0.9");
  Headers unknown{{"Forwarded", "for=unknown"}};
  EXPECT_EQ(resolveClientAddress("10.0.0.2", unknown, trusted).ip, "10.0.0.2");
  // A header that does not parse is not believed at all.
  Headers broken{{"Forwarded", "for=\"198.51.100.7"}};
  EXPECT_EQ(resolveClientAddress("10.0.0.2", broken, trusted).ip, "10.0.0.2");
  // An element without for= is an unknown hop.
  Headers no_for{{"Forwarded", "for=198.51.100.7, proto=https"}};
  EXPECT_EQ(resolveClientAddress("10.0.0.2", no_for, trusted).ip, "10.0.0.2");
}

TEST(ClientIp, BothHeadersMustAgree) {
  auto trusted = ranges({"10.0.0.0/8"});
  Headers agree{{"X-Forwarded-For", "198.51.100.7"}, {"Forwarded", "for=198.51.100.7"}};
  ClientAddress a = resolveClientAddress("10.0.0.2", agree, trusted);
  EXPECT_FALSE(a.conflict);
  EXPECT_EQ(a.ip, "198.51.100.7");
  // The proxy writes X-Forwarded-For; the client forged Forwarded (passed through unchanged).
  Headers forged{{"Forwarded", "for=192.0.2.99"}, {"X-Forwarded-For", "198.51.100.7"}};
  ClientAddress b = resolveClientAddress("10.0.0.2", forged, trusted);
  EXPECT_TRUE(b.conflict);
  // Spelling differences of one address are not a conflict.
  Headers v6{{"X-Forwarded-For", "2001:DB8:0::1"}, {"Forwarded", "for=\"[2001:db8::1]:80\""}};
  ClientAddress c = resolveClientAddress("10.0.0.2", v6, trusted);
  EXPECT_FALSE(c.conflict);
  EXPECT_EQ(c.ip, "2001:db8::1");
  // From an untrusted peer neither header matters, so there is nothing to conflict.
  EXPECT_FALSE(resolveClientAddress("192.0.2.1", forged, trusted).conflict);
}

TEST(ClientIp, LongChainsAreCut) {
  auto trusted = ranges({"10.0.0.0/8"});
  std::string xff = "198.51.100.7";
  for (int i = 0; i < 200; ++i) {
    xff += ", 10.0.0." + std::to_string(i % 250);
  }
  // Every hop within the limit is trusted: the leftmost believed one wins, not the client's.
  std::string ip = resolveClientIp("10.0.0.2", xff, trusted);
  EXPECT_NE(ip, "198.51.100.7");
  EXPECT_EQ(ip.rfind("10.0.0.", 0), 0u) << ip;
}

} // namespace client_ip_test
} // namespace bambuddy::auth
