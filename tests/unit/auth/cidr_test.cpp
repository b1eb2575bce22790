// sdk::Cidr: parsing, canonical text, membership (IPv4, IPv6, IPv4-mapped IPv6).
#include <bambuddy/cidr.hpp>

#include <gtest/gtest.h>

namespace bambuddy::sdk {
namespace cidr_test {

std::string canonical(const std::string& text) {
  std::string error;
  auto c = Cidr::parse(text, &error);
  return c ? c->str() : "error: " + error;
}

TEST(Cidr, ParsesRangesAndSingleAddresses) {
  EXPECT_EQ(canonical("10.0.0.0/8"), "10.0.0.0/8");
  EXPECT_EQ(canonical("192.168.1.7"), "192.168.1.7/32");
  EXPECT_EQ(canonical("fd00::/8"), "fd00::/8");
  EXPECT_EQ(canonical("::1"), "::1/128");
  EXPECT_EQ(canonical("0.0.0.0/0"), "0.0.0.0/0");
  EXPECT_EQ(canonical("::/0"), "::/0");
}

TEST(Cidr, MasksHostBits) {
  EXPECT_EQ(canonical("10.1.2.3/8"), "10.0.0.0/8");
  EXPECT_EQ(canonical("192.168.1.200/25"), "192.168.1.128/25");
  EXPECT_EQ(canonical("2001:db8:abcd:1234::1/48"), "2001:db8:abcd::/48");
  EXPECT_EQ(canonical("FD12:3456::1/7"), "fc00::/7");
}

TEST(Cidr, MappedIpv6RangesBecomeIpv4) {
  EXPECT_EQ(canonical("::ffff:10.1.2.3"), "10.1.2.3/32");
  EXPECT_EQ(canonical("::ffff:10.0.0.0/104"), "10.0.0.0/8");
  EXPECT_EQ(canonical("::ffff:10.0.0.0/64"),
            "error: prefix length 64 is below 96 for an IPv4-mapped IPv6 address");
}

TEST(Cidr, ErrorsArePrecise) {
  EXPECT_EQ(canonical("10.0.0.0/33"), "error: prefix length 33 exceeds 32 for IPv4");
  EXPECT_EQ(canonical("fd00::/129"), "error: prefix length 129 exceeds 128 for IPv6");
  EXPECT_EQ(canonical(""), "error: empty address");
  EXPECT_EQ(canonical("10.0.0.0/"), "error: missing prefix length after '/'");
  EXPECT_EQ(canonical("10.0.0.0/x"), "error: prefix length 'x' is not a number");
  EXPECT_EQ(canonical("10.0.0.0/-1"), "error: prefix length '-1' is not a number");
  EXPECT_EQ(canonical("10.0.0.0/1000"), "error: prefix length '1000' is not a number from 0 to 128");
  EXPECT_EQ(canonical("10.0.0.256"), "error: '10.0.0.256' is not an IPv4 or IPv6 address");
  EXPECT_EQ(canonical("example.com/8"), "error: 'example.com' is not an IPv4 or IPv6 address");
  EXPECT_EQ(canonical(" 10.0.0.1"), "error: ' 10.0.0.1' is not an IPv4 or IPv6 address");
  EXPECT_EQ(canonical("fe80::1%eth0"), "error: 'fe80::1%eth0' is not an IPv4 or IPv6 address");
  EXPECT_FALSE(Cidr::parse("10.0.0.0/33")); // no error pointer: still no crash
}

TEST(Cidr, ContainsIpv4) {
  auto c = Cidr::parse("10.0.0.0/8");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->contains("10.0.0.1"));
  EXPECT_TRUE(c->contains("10.255.255.255"));
  EXPECT_FALSE(c->contains("11.0.0.0"));
  EXPECT_FALSE(c->contains("9.255.255.255"));
  EXPECT_TRUE(c->contains("::ffff:10.9.8.7"));
  EXPECT_FALSE(c->contains("::ffff:11.9.8.7"));
  EXPECT_FALSE(c->contains("fd00::1"));
  EXPECT_FALSE(c->contains("garbage"));
  EXPECT_FALSE(c->contains(""));
  EXPECT_FALSE(c->contains("10.0.0.1/32"));

  auto single = Cidr::parse("192.168.1.7");
  EXPECT_TRUE(single->contains("192.168.1.7"));
  EXPECT_FALSE(single->contains("192.168.1.8"));
  auto odd = Cidr::parse("192.168.1.128/25");
  EXPECT_TRUE(odd->contains("192.168.1.129"));
  EXPECT_FALSE(odd->contains("192.168.1.127"));
  auto all = Cidr::parse("0.0.0.0/0");
  EXPECT_TRUE(all->contains("1.2.3.4"));
  EXPECT_FALSE(all->contains("::1"));
}

TEST(Cidr, ContainsIpv6) {
  auto c = Cidr::parse("fd00::/8");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->contains("fd12:3456::1"));
  EXPECT_TRUE(c->contains("FD00::"));
  EXPECT_FALSE(c->contains("fe00::1"));
  EXPECT_FALSE(c->contains("10.0.0.1"));
  auto loop = Cidr::parse("::1");
  EXPECT_TRUE(loop->contains("::1"));
  EXPECT_TRUE(loop->contains("0:0:0:0:0:0:0:1"));
  EXPECT_FALSE(loop->contains("::2"));
  auto odd = Cidr::parse("2001:db8::/33");
  EXPECT_TRUE(odd->contains("2001:db8:7fff::1"));
  EXPECT_FALSE(odd->contains("2001:db8:8000::1"));
}

} // namespace cidr_test
} // namespace bambuddy::sdk
