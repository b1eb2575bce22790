// The SSRF guard's address policy and its resolution of real names and literals.
#include "net/ssrf_guard.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace bambuddy::common::net {
namespace ssrf_guard_test {

SsrfPolicy policyFrom(const char* json) {
  return SsrfPolicy::fromConfig(nlohmann::json::parse(json));
}

std::string why(const SsrfPolicy& p, const std::string& ip) {
  return p.refusal(ip).value_or("allowed");
}

TEST(SsrfPolicy, DefaultsAllowLoopbackLanAndPublic) {
  SsrfPolicy p;
  for (const char* ip : {"127.0.0.1", "127.5.6.7", "::1", "10.1.2.3", "172.16.0.1", "172.31.255.254",
                         "192.168.1.20", "fd12:3456::1", "fc00::1", "8.8.8.8", "2001:db8::1", "100.64.0.1"}) {
    EXPECT_EQ(why(p, ip), "allowed") << ip;
  }
}

TEST(SsrfPolicy, DefaultsRefuseTheDangerousRanges) {
  SsrfPolicy p;
  EXPECT_EQ(why(p, "169.254.169.254"), "cloud metadata");
  EXPECT_EQ(why(p, "fd00:ec2::254"), "cloud metadata");
  EXPECT_EQ(why(p, "100.100.100.200"), "cloud metadata");
  EXPECT_EQ(why(p, "169.254.1.1"), "link-local");
  EXPECT_EQ(why(p, "fe80::1"), "link-local");
  EXPECT_EQ(why(p, "febf::1"), "link-local");
  EXPECT_EQ(why(p, "0.0.0.0"), "unspecified");
  EXPECT_EQ(why(p, "0.1.2.3"), "unspecified");
  EXPECT_EQ(why(p, "::"), "unspecified");
  EXPECT_EQ(why(p, "224.0.0.1"), "multicast");
  EXPECT_EQ(why(p, "239.255.255.250"), "multicast");
  EXPECT_EQ(why(p, "ff02::1"), "multicast");
  EXPECT_EQ(why(p, "255.255.255.255"), "broadcast");
  // IPv4-mapped IPv6 is judged as the IPv4 address it carries.
  EXPECT_EQ(why(p, "::ffff:169.254.169.254"), "cloud metadata");
  EXPECT_EQ(why(p, "::ffff:127.0.0.1"), "allowed");
  EXPECT_EQ(why(p, "not-an-ip"), "not an IP address");
}

TEST(SsrfPolicy, DenyWinsAndAllowOpensExceptions) {
  SsrfPolicy p = policyFrom(R"({"allow_cidrs":["169.254.10.0/24","127.0.0.0/8"],
                               "deny_cidrs":["127.0.0.1","192.168.0.0/16"]})");
  EXPECT_EQ(why(p, "169.254.10.7"), "allowed");    // a link-local device, explicitly allowed
  EXPECT_EQ(why(p, "169.254.11.7"), "link-local"); // outside the exception
  EXPECT_EQ(why(p, "127.0.0.1"), "deny_cidrs entry 127.0.0.1/32");
  EXPECT_EQ(why(p, "127.0.0.2"), "allowed");
  EXPECT_EQ(why(p, "192.168.1.1"), "deny_cidrs entry 192.168.0.0/16");
  EXPECT_EQ(why(p, "::ffff:192.168.1.1"), "deny_cidrs entry 192.168.0.0/16");
}

TEST(SsrfPolicy, MetadataNeedsAnExactAllowEntry) {
  SsrfPolicy wide = policyFrom(R"({"allow_cidrs":["169.254.0.0/16","fd00::/8"]})");
  EXPECT_EQ(why(wide, "169.254.1.1"), "allowed");
  EXPECT_EQ(why(wide, "169.254.169.254"), "cloud metadata");
  EXPECT_EQ(why(wide, "fd00:ec2::254"), "cloud metadata");
  SsrfPolicy exact = policyFrom(R"({"allow_cidrs":["169.254.169.254/32"]})");
  EXPECT_EQ(why(exact, "169.254.169.254"), "allowed");
  SsrfPolicy denied = policyFrom(R"({"allow_cidrs":["169.254.169.254"],"deny_cidrs":["169.254.0.0/16"]})");
  EXPECT_EQ(why(denied, "169.254.169.254"), "deny_cidrs entry 169.254.0.0/16");
}

TEST(SsrfPolicy, ConfigErrorsNameTheEntry) {
  auto error = [](const char* json) -> std::string {
    try {
      policyFrom(json);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "(accepted)";
  };
  EXPECT_EQ(error(R"({"deny_cidrs":["10.0.0.0/8","10.0.0.0/33"]})"),
            "/deny_cidrs/1: '10.0.0.0/33' is not a valid CIDR (prefix length 33 exceeds 32 for IPv4)");
  EXPECT_EQ(error(R"({"allow_cidrs":"10.0.0.0/8"})"),
            "/allow_cidrs must be an array of addresses or CIDR ranges, got string");
  EXPECT_EQ(error(R"({"allow_cidrs":[7]})"), "/allow_cidrs/0 must be a string, got number");
  EXPECT_EQ(
      error(R"({"allow_cidrs":["example.com"]})"),
      "/allow_cidrs/0: 'example.com' is not a valid CIDR ('example.com' is not an IPv4 or IPv6 address)");
  EXPECT_EQ(error(R"({"allow_cidrs":[],"deny_cidrs":null})"), "(accepted)");
}

TEST(ResolveAndCheck, LiteralsAndLocalhost) {
  SsrfPolicy p;
  GuardResult v4 = resolveAndCheck(p, "127.0.0.1", 80);
  ASSERT_EQ(v4.kind, GuardResult::Kind::Allowed) << v4.error;
  EXPECT_EQ(v4.addresses, (std::vector<std::string>{"127.0.0.1"}));
  GuardResult v6 = resolveAndCheck(p, "::1", 80);
  ASSERT_EQ(v6.kind, GuardResult::Kind::Allowed) << v6.error;
  EXPECT_EQ(v6.addresses, (std::vector<std::string>{"::1"}));
  GuardResult name = resolveAndCheck(p, "localhost", 80);
  ASSERT_EQ(name.kind, GuardResult::Kind::Allowed) << name.error;
  EXPECT_FALSE(name.addresses.empty());

  GuardResult metadata = resolveAndCheck(p, "169.254.169.254", 80);
  EXPECT_EQ(metadata.kind, GuardResult::Kind::Refused);
  EXPECT_EQ(metadata.error, "target address 169.254.169.254 is refused by the SSRF guard (cloud metadata)");
  EXPECT_TRUE(metadata.addresses.empty());
}

TEST(ResolveAndCheck, EveryAddressOfANameIsChecked) {
  // "localhost" may resolve to 127.0.0.1 and ::1; denying either refuses the whole name.
  GuardResult all = resolveAndCheck(SsrfPolicy(), "localhost", 80);
  ASSERT_EQ(all.kind, GuardResult::Kind::Allowed);
  for (const std::string& ip : all.addresses) {
    SsrfPolicy p = policyFrom(("{\"deny_cidrs\":[\"" + ip + "\"]}").c_str());
    GuardResult r = resolveAndCheck(p, "localhost", 80);
    EXPECT_EQ(r.kind, GuardResult::Kind::Refused) << ip;
    EXPECT_NE(r.error.find("target address " + ip + " is refused"), std::string::npos) << r.error;
  }
}

} // namespace ssrf_guard_test
} // namespace bambuddy::common::net
