// Bad settings are refused at creation with a message naming the field; the password never
// appears in a message or the log.
#include "mqtt_settings.h"
#include "mqtt_test_util.h"
#include "mqtt_topics.h"

namespace bambuddy::notifier_mqtt::test {
namespace settings_test {

const std::string P = "notifier.mqtt settings: ";

// Nothing listens on port 9 of loopback here: the plugin only retries in the background.
json minimal() {
  return json{{"host", "127.0.0.1"}, {"port", 9}};
}

TEST_F(MqttPluginTest, HostAndPort) {
  EXPECT_EQ(refusal(json::object()), P + "/host is required");
  EXPECT_EQ(refusal({{"host", 5}}), P + "/host must be a string, got number");
  EXPECT_EQ(refusal({{"host", "mqtt://broker"}}),
            P + "/host must be a host name or IP address without a scheme (set tls for TLS)");
  EXPECT_EQ(refusal({{"host", "broker:1884"}}), P + "/host must not contain a port; set port instead");
  EXPECT_EQ(refusal({{"host", "bro ker"}}),
            P + "/host must be 1 to 253 letters, digits, '.', '-', '_' or ':' (a "
                "host name, IPv4 or IPv6 address, without a port)");
  EXPECT_EQ(refusal({{"host", "b"}, {"port", 0}}), P + "/port must be an integer from 1 to 65535, got 0");
  EXPECT_EQ(refusal({{"host", "b"}, {"port", "1883"}}),
            P + "/port must be an integer from 1 to 65535, got string");
  EXPECT_EQ(
      refusal({{"host", "b"}, {"colour", "red"}}),
      P + "unknown property /colour (allowed: host, port, tls, ca_file, tls_insecure, username, password, "
          "client_id, topic_prefix, qos, retain, discovery, discovery_prefix, allow_control)");
  EXPECT_NO_THROW(create(minimal()));
  EXPECT_NO_THROW(create({{"host", "::1"}, {"port", 9}}));
}

TEST_F(MqttPluginTest, Tls) {
  json s = minimal();
  s["tls_insecure"] = true;
  EXPECT_EQ(refusal(s), P + "/tls_insecure needs tls: true");
  s = minimal();
  s["ca_file"] = "/etc/hostname";
  EXPECT_EQ(refusal(s), P + "/ca_file needs tls: true");
  s["tls"] = true;
  s["tls_insecure"] = true;
  EXPECT_EQ(refusal(s), P + "/ca_file and /tls_insecure exclude each other (tls_insecure ignores every CA)");
  s.erase("tls_insecure");
  s["ca_file"] = tmp_.path() + "/missing.pem";
  EXPECT_EQ(refusal(s), P + "/ca_file '" + tmp_.path() + "/missing.pem' cannot be read");
  s["tls"] = "yes";
  EXPECT_EQ(refusal(s), P + "/tls must be true or false, got string");
}

TEST_F(MqttPluginTest, LoginAndPasswordNeverEchoed) {
  json s = minimal();
  s["password"] = "hunter2-secret";
  std::string m = refusal(s);
  EXPECT_EQ(m, P + "/password needs /username");
  s["username"] = "";
  EXPECT_EQ(refusal(s), P + "/username must be 1 to 256 bytes of UTF-8");
  s["username"] = "farm";
  s["password"] = 42;
  EXPECT_EQ(refusal(s), P + "/password must be a string, got number");
  s["password"] = "hunter2-secret";
  { auto instance = create(s); }
  for (const auto& line : host_.logs()) {
    EXPECT_EQ(line.message.find("hunter2"), std::string::npos) << line.message;
  }
  EXPECT_TRUE(host_.logged("as client bambuddy-mqtt with a login"));
}

TEST_F(MqttPluginTest, PrefixesQosAndClientId) {
  json s = minimal();
  for (const char* key : {"topic_prefix", "discovery_prefix"}) {
    s[key] = "farm/+";
    EXPECT_EQ(refusal(s), P + "/" + key + " must not contain the MQTT wildcards '+' or '#'");
    s[key] = "farm/";
    EXPECT_EQ(refusal(s), P + "/" + key + " must not start or end with '/' or contain empty levels");
    s[key] = "$SYS";
    EXPECT_EQ(refusal(s), P + "/" + key + " must not start with '$' (reserved for the broker)");
    s[key] = "";
    EXPECT_EQ(refusal(s), P + "/" + key + " must be 1 to 128 bytes");
    s[key] = "farm/bambuddy";
  }
  s["qos"] = 3;
  EXPECT_EQ(refusal(s), P + "/qos must be 0, 1 or 2, got 3");
  s["qos"] = 0;
  s["client_id"] = "bad id";
  EXPECT_EQ(refusal(s), P + "/client_id must be 1 to 128 letters, digits, '.', '_' or '-'");
  s["client_id"] = "farm-1";
  s["retain"] = 1;
  EXPECT_EQ(refusal(s), P + "/retain must be true or false, got 1");
  s.erase("retain");
  s["allow_control"] = true;
  EXPECT_NO_THROW(create(s));
  EXPECT_TRUE(
      host_.logged("allow_control is on: anyone who can publish to farm/bambuddy/printers/+/command"));
}

TEST_F(MqttPluginTest, DefaultsAndDerivedClientId) {
  MqttSettings s = parseMqttSettings(R"({"host":"broker.lan"})", "ha.main");
  EXPECT_EQ(s.port, 1883);
  EXPECT_FALSE(s.tls);
  EXPECT_EQ(s.client_id, "bambuddy-ha.main");
  EXPECT_EQ(s.topic_prefix, "bambuddy");
  EXPECT_EQ(s.discovery_prefix, "homeassistant");
  EXPECT_EQ(s.qos, 1);
  EXPECT_FALSE(s.retain);
  EXPECT_TRUE(s.discovery);
  EXPECT_FALSE(s.allow_control);
  EXPECT_EQ(s.serverUri(), "tcp://broker.lan:1883");
  EXPECT_EQ(defaultClientId("a b/c"), "bambuddy-a_b_c");
  MqttSettings v6 = parseMqttSettings(R"({"host":"fd00::5","port":8883,"tls":true})", "x");
  EXPECT_EQ(v6.serverUri(), "ssl://[fd00::5]:8883");
}

TEST_F(MqttPluginTest, CommandTopicsParseOnlyPrinterIds) {
  Topics t("farm/bb");
  EXPECT_EQ(t.commandPrinter("farm/bb/printers/12/command"), 12);
  EXPECT_EQ(t.commandPrinter("farm/bb/printers/012/command"), std::nullopt);
  EXPECT_EQ(t.commandPrinter("farm/bb/printers/x/command"), std::nullopt);
  EXPECT_EQ(t.commandPrinter("farm/bb/printers//command"), std::nullopt);
  EXPECT_EQ(t.commandPrinter("other/printers/1/command"), std::nullopt);
  EXPECT_EQ(t.commandPrinter("farm/bb/printers/1/status"), std::nullopt);
  EXPECT_FALSE(isEventName("print/complete"));
  EXPECT_TRUE(isEventName("print_complete"));
}

// Addresses that pass the settings' character rules but name nothing: the instance is made, keeps
// retrying in the background and answers send() at once with a retryable reason.
TEST_F(MqttPluginTest, BrokenAddressesNeverCrash) {
  for (const char* host : {"....", "::::", "-", "a..b", "999.999.999.999"}) {
    SCOPED_TRACE(host);
    std::unique_ptr<bambuddy::testing::FakeHost::Instance> instance;
    try {
      instance = create({{"host", host}, {"port", 1883}});
    } catch (const sdk::Error& e) {
      EXPECT_EQ(e.reason(), "invalid_settings") << e.what();
      continue;
    }
    ASSERT_TRUE(waitUntil([&] { return host_.logged("retrying with backoff"); }));
    SendOutcome out = send(*instance, notification("print_complete"), 1000);
    EXPECT_EQ(out.rc, BB_OK);
    EXPECT_EQ(out.result.outcome, BB_DELIVERY_RETRYABLE) << out.error();
    EXPECT_EQ(out.error().rfind("not connected", 0), 0u) << out.error();
  }
}

TEST_F(MqttPluginTest, ConfigErrors) {
  EXPECT_EQ(
      refusal(minimal(), {{"deny_cidrs", {"300.0.0.0/8"}}}, "invalid_config"),
      "notifier.mqtt config: /deny_cidrs/0: '300.0.0.0/8' is not a valid CIDR ('300.0.0.0' is not an IPv4 "
      "or IPv6 address)");
}

} // namespace settings_test
} // namespace bambuddy::notifier_mqtt::test
