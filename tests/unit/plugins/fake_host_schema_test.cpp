// FakeHost hands create() what the server would: config and settings checked against the
// descriptor's schemas (refused in the server's words) and filled with their defaults; and its clock
// reads back.
#include <bambuddy/testing/fake_host.hpp>

#include <gtest/gtest.h>

#include <string>

namespace bambuddy::testing {
namespace fake_host_schema_test {

// What a create() call received, kept as the instance itself, so no state outlives the test.
struct Received {
  std::string config;
  std::string settings;
  int64_t now_ms = 0; // the host's clock as the plugin read it
};

int32_t recordingCreate(const bb_host_api* host, bb_host_ctx* ctx, const char* config, size_t config_len,
                        const char* settings, size_t settings_len, void** out, bb_error* /*err*/) {
  *out =
      new Received{std::string(config, config_len), std::string(settings, settings_len), host->now_ms(ctx)};
  return BB_OK;
}

void recordingDestroy(void* instance) {
  delete static_cast<Received*>(instance);
}

bb_plugin_descriptor descriptorWith(const char* config_schema, const char* instance_schema) {
  bb_plugin_descriptor d{};
  d.struct_size = sizeof d;
  d.abi_major = BB_ABI_MAJOR;
  d.abi_minor = BB_ABI_MINOR;
  d.kind = BB_KIND_NOTIFIER;
  d.name = "notifier.recording";
  d.version = "1.0.0";
  d.description = "records what create() received";
  d.config_schema = config_schema;
  d.instance_schema = instance_schema;
  d.create = &recordingCreate;
  d.destroy = &recordingDestroy;
  return d;
}

const char* const kConfigSchema = R"({"type": "object", "additionalProperties": false,
  "properties": {"allow_cidrs": {"type": "array", "items": {"type": "string", "minLength": 1}, "default": []}}})";
const char* const kInstanceSchema =
    R"({"type": "object", "required": ["server"], "additionalProperties": false,
  "properties": {"server": {"type": "string", "minLength": 1},
                 "timeout_ms": {"type": "integer", "minimum": 100, "default": 10000}}})";

std::string refusal(FakeHost& host, const bb_plugin_descriptor& d, const std::string& config,
                    const std::string& settings, const char* reason) {
  try {
    host.create(&d, config, settings);
  } catch (const sdk::Error& e) {
    EXPECT_EQ(e.code(), BB_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(e.reason(), reason);
    return e.what();
  }
  ADD_FAILURE() << "accepted " << config << " / " << settings;
  return "";
}

TEST(FakeHostSchemas, RefusesWhatTheServerRefusesInItsWords) {
  FakeHost host;
  bb_plugin_descriptor d = descriptorWith(kConfigSchema, kInstanceSchema);
  EXPECT_EQ(refusal(host, d, "{}", "{}", "invalid_settings"), "settings.server: required");
  EXPECT_EQ(
      refusal(host, d, "{}", R"({"server": "", "timeout_ms": 5, "x": 1})", "invalid_settings"),
      "settings.server: must not be empty; settings.timeout_ms: must be >= 100; settings.x: unknown key");
  EXPECT_EQ(refusal(host, d, R"({"allow_cidrs": [""]})", R"({"server": "s"})", "invalid_config"),
            "config.allow_cidrs[0]: must not be empty");
  EXPECT_EQ(refusal(host, d, "{", R"({"server": "s"})", "invalid_config"),
            "config: not valid JSON at offset 1: expected a key");
}

TEST(FakeHostSchemas, CreateGetsTheDefaultsAndCreateAsGivenTheText) {
  FakeHost host;
  bb_plugin_descriptor d = descriptorWith(kConfigSchema, kInstanceSchema);
  auto filled = host.create(&d, "{}", R"({"server": "s"})");
  const auto* got = static_cast<const Received*>(filled->self());
  EXPECT_EQ(got->config, R"({"allow_cidrs":[]})");
  EXPECT_EQ(got->settings, R"({"server":"s","timeout_ms":10000})");
  auto as_given = host.createAsGiven(&d, "", "{not json", "raw");
  got = static_cast<const Received*>(as_given->self());
  EXPECT_EQ(got->config, "");
  EXPECT_EQ(got->settings, "{not json");
}

TEST(FakeHostSchemas, AnUnusableSchemaIsRefused) {
  FakeHost host;
  bb_plugin_descriptor d = descriptorWith(kConfigSchema, R"({"pattern": "("})");
  EXPECT_NE(refusal(host, d, "{}", "{}", "invalid_schema")
                .find("the plugin's settings schema: invalid JSON schema"),
            std::string::npos);
}

TEST(FakeHostSchemas, TheClockReadsBack) {
  FakeHost host;
  EXPECT_EQ(host.nowMs(), 1705329000000); // 2024-01-15T14:30:00Z
  host.setNowMs(1705329012345);
  EXPECT_EQ(host.nowMs(), 1705329012345);
  bb_plugin_descriptor d = descriptorWith(kConfigSchema, kInstanceSchema);
  auto instance = host.create(&d, "{}", R"({"server": "s"})");
  EXPECT_EQ(static_cast<const Received*>(instance->self())->now_ms, host.nowMs()) << "the plugin's now_ms";
}

} // namespace fake_host_schema_test
} // namespace bambuddy::testing
