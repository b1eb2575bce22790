// The auth/audit sections and server.trusted_proxies of the core config.
#include "config/core_config.h"

#include "config/core_schema.h"

#include <gtest/gtest.h>

namespace bambuddy::config {
namespace auth_config_test {

using nlohmann::json;

Environment env() {
  Environment e;
  e.exe_dir = "/opt/bambuddy/bin";
  return e;
}

CoreConfig parse(const std::string& yaml) {
  return parseCoreConfig(yaml, "/etc/bambuddy/bambuddy.yaml", env());
}

std::vector<std::string> errorsOf(const std::string& yaml) {
  try {
    parse(yaml);
  } catch (const ConfigException& e) {
    std::vector<std::string> out;
    for (const ConfigError& error : e.errors()) {
      out.push_back(error.format());
    }
    return out;
  }
  ADD_FAILURE() << "expected a ConfigException for:\n" << yaml;
  return {};
}

TEST(AuthConfig, DefaultsMatchTheSchema) {
  json props = json::parse(kCoreSchemaJson)["properties"];
  AuthConfig auth;
  const json& limits = props["auth"]["properties"]["rate_limits"]["properties"];
  EXPECT_EQ(limits["read"]["default"], auth.read_limit);
  EXPECT_EQ(limits["write"]["default"], auth.write_limit);
  EXPECT_EQ(limits["control"]["default"], auth.control_limit);
  EXPECT_EQ(props["auth"]["properties"]["failed_auth_per_minute"]["default"], auth.failed_auth_per_minute);
  EXPECT_EQ(props["auth"]["properties"]["keyless_per_minute"]["default"], auth.keyless_per_minute);
  EXPECT_EQ(props["audit"]["properties"]["retention_days"]["default"], AuditConfig{}.retention_days);
  EXPECT_EQ(props["server"]["properties"]["trusted_proxies"]["default"], json::array());

  CoreConfig empty = parse("");
  EXPECT_EQ(empty.auth.read_limit, 100u);
  EXPECT_EQ(empty.auth.write_limit, 30u);
  EXPECT_EQ(empty.auth.control_limit, 10u);
  EXPECT_EQ(empty.auth.failed_auth_per_minute, 20u);
  EXPECT_EQ(empty.auth.keyless_per_minute, 600u);
  EXPECT_EQ(empty.audit.retention_days, 90);
  EXPECT_TRUE(empty.server.trusted_proxies.empty());
}

TEST(AuthConfig, EveryKeyIsRead) {
  CoreConfig c = parse(R"(
server:
  trusted_proxies: [127.0.0.1, "10.1.2.3/8", "fd00::/8"]
auth:
  rate_limits: {read: 500, write: 50, control: 5}
  failed_auth_per_minute: 7
  keyless_per_minute: 9
audit:
  retention_days: 30
)");
  EXPECT_EQ(c.auth.read_limit, 500u);
  EXPECT_EQ(c.auth.write_limit, 50u);
  EXPECT_EQ(c.auth.control_limit, 5u);
  EXPECT_EQ(c.auth.failed_auth_per_minute, 7u);
  EXPECT_EQ(c.auth.keyless_per_minute, 9u);
  EXPECT_EQ(c.audit.retention_days, 30);
  EXPECT_EQ(c.server.trusted_proxies, (std::vector<std::string>{"127.0.0.1/32", "10.0.0.0/8", "fd00::/8"}));
}

TEST(AuthConfig, BadValuesArePreciseErrors) {
  auto errors = errorsOf(R"(server:
  trusted_proxies:
    - 10.0.0.0/33
    - proxy.local
auth:
  rate_limits: {read: 0}
audit:
  retention_days: 5000
)");
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_EQ(errors[0], "/etc/bambuddy/bambuddy.yaml:3 server.trusted_proxies[0]: invalid CIDR: prefix length "
                       "33 exceeds 32 for IPv4");
  EXPECT_EQ(errors[1],
            "/etc/bambuddy/bambuddy.yaml:4 server.trusted_proxies[1]: invalid CIDR: 'proxy.local' is not an "
            "IPv4 or IPv6 address");
  EXPECT_NE(errors[2].find(":6 auth.rate_limits.read:"), std::string::npos) << errors[2];
  EXPECT_NE(errors[3].find(":8 audit.retention_days:"), std::string::npos) << errors[3];
}

} // namespace auth_config_test
} // namespace bambuddy::config
