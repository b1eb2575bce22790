// A plugin whose config block must carry a string `topic` and an integer `qos` in 0..2; the host
// must refuse a config that fails this schema and name the exact path.
#include <bambuddy/sdk.hpp>

namespace {

class SchemaPlugin : public bambuddy::sdk::BlobStore {
public:
  static constexpr const char* kName = "abi.schema";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription = "requires config.topic";
  static constexpr const char* kConfigSchema = R"({
    "type": "object", "additionalProperties": false, "required": ["topic"],
    "properties": {"topic": {"type": "string", "minLength": 1},
                   "qos": {"type": "integer", "minimum": 0, "maximum": 2, "default": 1}}})";
  static constexpr const char* kInstanceSchema = R"({"type":"object","additionalProperties":false})";

  SchemaPlugin(bambuddy::sdk::Host host, const std::string& config, const std::string&) : config_(config) {
    host.info("config " + config_);
  }
  void put(const std::string&, std::string_view) override {}
  std::optional<std::string> get(const std::string&) override { return config_; }
  bool remove(const std::string&) override { return false; }
  std::vector<bambuddy::sdk::BlobInfo> list(const std::string&) override { return {}; }

private:
  std::string config_;
};

} // namespace

BAMBUDDY_PLUGIN(SchemaPlugin)
