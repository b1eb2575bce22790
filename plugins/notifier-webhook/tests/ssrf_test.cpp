// The SSRF guard as a webhook sees it: refused targets are permanent failures with no connection.
#include "webhook_test_util.h"

namespace bambuddy::notifier_webhook::test {
namespace ssrf_test {

TEST_F(WebhookTest, CloudMetadataIsRefused) {
  auto hook = create({{"url", "http://169.254.169.254/latest/meta-data/"}});
  SendOutcome out = send(*hook, kNotification, 2000);
  EXPECT_EQ(out.rc, BB_OK);
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(out.error(), "target address 169.254.169.254 is refused by the SSRF guard (cloud metadata)");
  EXPECT_EQ(out.result.http_status, 0);
}

TEST_F(WebhookTest, LinkLocalAndIpv6MetadataAreRefused) {
  auto a = create({{"url", "http://169.254.1.2:8080/x"}});
  EXPECT_EQ(send(*a).error(), "target address 169.254.1.2 is refused by the SSRF guard (link-local)");
  auto b = create({{"url", "http://[fd00:ec2::254]/"}});
  EXPECT_EQ(send(*b).error(), "target address fd00:ec2::254 is refused by the SSRF guard (cloud metadata)");
  auto c = create({{"url", "http://[::ffff:169.254.169.254]/"}});
  EXPECT_EQ(send(*c).result.outcome, BB_DELIVERY_PERMANENT);
  auto d = create({{"url", "http://0.0.0.0:" + std::to_string(rx_.port()) + "/"}});
  EXPECT_EQ(send(*d).error(), "target address 0.0.0.0 is refused by the SSRF guard (unspecified)");
  EXPECT_EQ(rx_.requestCount(), 0u); // 0.0.0.0 would have reached the receiver on this machine
}

TEST_F(WebhookTest, LoopbackIsAllowedByDefaultAndDenyCidrsRefusesIt) {
  auto allowed = create(settingsFor());
  EXPECT_EQ(send(*allowed).result.outcome, BB_DELIVERY_DELIVERED);
  EXPECT_EQ(rx_.requestCount(), 1u);

  auto denied = create(settingsFor(), {{"deny_cidrs", {"127.0.0.1"}}});
  SendOutcome out = send(*denied);
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_EQ(out.error(),
            "target address 127.0.0.1 is refused by the SSRF guard (deny_cidrs entry 127.0.0.1/32)");
  EXPECT_EQ(rx_.requestCount(), 1u); // nothing new arrived
}

TEST_F(WebhookTest, ANameIsRefusedWhenAnyOfItsAddressesIs) {
  // "localhost" resolves to 127.0.0.1 (and often ::1); denying loopback in both families refuses it.
  auto hook = create({{"url", "http://localhost:" + std::to_string(rx_.port()) + "/"}},
                     {{"deny_cidrs", {"127.0.0.0/8", "::1"}}});
  SendOutcome out = send(*hook);
  EXPECT_EQ(out.result.outcome, BB_DELIVERY_PERMANENT);
  EXPECT_NE(out.error().find("is refused by the SSRF guard (deny_cidrs entry"), std::string::npos)
      << out.error();
  EXPECT_EQ(rx_.requestCount(), 0u);
  // Allowed by default, the name works and is pinned to the checked addresses.
  auto ok = create({{"url", "http://localhost:" + std::to_string(rx_.port()) + "/"}});
  EXPECT_EQ(send(*ok).result.outcome, BB_DELIVERY_DELIVERED);
}

TEST_F(WebhookTest, AllowCidrsOpensAnExceptionButDenyWins) {
  testing::HttpReceiver v6("::1");
  auto allowed = create({{"url", v6.url("/x")}}, {{"allow_cidrs", {"::1"}}});
  EXPECT_EQ(send(*allowed).result.outcome, BB_DELIVERY_DELIVERED);
  auto denied = create({{"url", v6.url("/x")}}, {{"allow_cidrs", {"::1"}}, {"deny_cidrs", {"::/0"}}});
  EXPECT_EQ(send(*denied).error(), "target address ::1 is refused by the SSRF guard (deny_cidrs entry ::/0)");
  EXPECT_EQ(v6.requestCount(), 1u);
}

} // namespace ssrf_test
} // namespace bambuddy::notifier_webhook::test
