// Ops that throw: a std::exception, an sdk::Error with its own code, and a non-std type. The SDK
// barrier must turn each into an error code; the host must keep serving afterwards.
#include <bambuddy/sdk.hpp>

#include <stdexcept>

namespace {

class ThrowingStore : public bambuddy::sdk::BlobStore {
public:
  static constexpr const char* kName = "abi.throws";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription = "every op but list throws";
  static constexpr const char* kConfigSchema = R"({"type":"object"})";
  static constexpr const char* kInstanceSchema = R"({"type":"object"})";

  ThrowingStore(bambuddy::sdk::Host, const std::string&, const std::string&) {}
  void put(const std::string&, std::string_view) override { throw std::runtime_error("put exploded"); }
  std::optional<std::string> get(const std::string&) override {
    throw bambuddy::sdk::Error(BB_ERR_UNAVAILABLE, "busy", "try later");
  }
  bool remove(const std::string&) override { throw 42; }
  std::vector<bambuddy::sdk::BlobInfo> list(const std::string&) override { return {{"still-alive", 1}}; }
};

} // namespace

BAMBUDDY_PLUGIN(ThrowingStore)
