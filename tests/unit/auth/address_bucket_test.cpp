// addressBucket: IPv4 per address, IPv6 per /64.
#include "auth/address_bucket.h"

#include <gtest/gtest.h>

namespace bambuddy::auth {
namespace address_bucket_test {

TEST(AddressBucket, Ipv4IsItsOwnBucket) {
  EXPECT_EQ(addressBucket("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(addressBucket("::ffff:192.0.2.7"), "192.0.2.7");
}

TEST(AddressBucket, Ipv6CountsPerSlash64) {
  EXPECT_EQ(addressBucket("2001:db8:1:2:a:b:c:d"), "2001:db8:1:2::/64");
  EXPECT_EQ(addressBucket("2001:DB8:1:2::ffff"), "2001:db8:1:2::/64");
  EXPECT_EQ(addressBucket("::1"), "::/64");
  EXPECT_NE(addressBucket("2001:db8:1:3::1"), addressBucket("2001:db8:1:2::1"));
}

TEST(AddressBucket, OtherTextIsUnchanged) {
  EXPECT_EQ(addressBucket(""), "");
  EXPECT_EQ(addressBucket("unix"), "unix");
  EXPECT_EQ(addressBucket("1.2.3.4:80"), "1.2.3.4:80");
}

} // namespace address_bucket_test
} // namespace bambuddy::auth
