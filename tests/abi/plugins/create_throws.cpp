// The constructor throws: creation fails with an error code, the host stays up.
#include <bambuddy/sdk.hpp>

#include <stdexcept>

namespace {

class CreateThrows : public bambuddy::sdk::BlobStore {
public:
  static constexpr const char* kName = "abi.create_throws";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription = "constructor throws";
  static constexpr const char* kConfigSchema = R"({"type":"object"})";
  static constexpr const char* kInstanceSchema = R"({"type":"object"})";

  CreateThrows(bambuddy::sdk::Host, const std::string&, const std::string&) {
    throw std::runtime_error("cannot start: disk on fire");
  }
  void put(const std::string&, std::string_view) override {}
  std::optional<std::string> get(const std::string&) override { return std::nullopt; }
  bool remove(const std::string&) override { return false; }
  std::vector<bambuddy::sdk::BlobInfo> list(const std::string&) override { return {}; }
};

} // namespace

BAMBUDDY_PLUGIN(CreateThrows)
