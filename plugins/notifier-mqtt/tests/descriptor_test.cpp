#include "mqtt_test_util.h"

namespace bambuddy::notifier_mqtt::test {
namespace descriptor_test {

// Sizes, ABI version, ops and schema compilation: PluginConformance (tests/plugin_conformance).
TEST(MqttDescriptor, IdentityAndSchemas) {
  const bb_plugin_descriptor* d = descriptor();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->kind, BB_KIND_NOTIFIER);
  EXPECT_STREQ(d->name, "notifier.mqtt");
  EXPECT_STREQ(d->version, "1.0.0");
  json config = json::parse(d->config_schema);
  json instance = json::parse(d->instance_schema);
  EXPECT_EQ(config, json::parse(bambuddy::testing::readFile(NOTIFIER_MQTT_SCHEMA_DIR "/config.schema.json")));
  EXPECT_EQ(instance,
            json::parse(bambuddy::testing::readFile(NOTIFIER_MQTT_SCHEMA_DIR "/instance.schema.json")));
  const json& p = instance["properties"];
  EXPECT_EQ(p["password"]["writeOnly"], true);
  EXPECT_EQ(p["password"]["x-bambuddy-secret"], true);
  EXPECT_EQ(p["port"]["default"], 1883);
  EXPECT_EQ(p["topic_prefix"]["default"], "bambuddy");
  EXPECT_EQ(p["discovery_prefix"]["default"], "homeassistant");
  EXPECT_EQ(p["qos"]["default"], 1);
  EXPECT_EQ(p["retain"]["default"], false);
  EXPECT_EQ(p["discovery"]["default"], true);
  EXPECT_EQ(p["tls_insecure"]["default"], false);
  EXPECT_EQ(p["allow_control"]["default"], false);
  EXPECT_EQ(instance["required"], json::array({"host"}));
  // Changing where the password goes needs the password again (records: destinations).
  for (const char* key : {"host", "port", "tls", "ca_file", "tls_insecure"}) {
    EXPECT_EQ(p[key]["x-bambuddy-destination"], true) << key;
  }
}

} // namespace descriptor_test
} // namespace bambuddy::notifier_mqtt::test
