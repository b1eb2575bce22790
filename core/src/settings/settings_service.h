// Run-time settings: a small typed set an admin changes over the API (GET/PATCH /api/v1/settings)
// without a restart. The YAML config gives the defaults; changes are stored in the database and
// win over them. A PATCH is checked as a whole against the settings schema and changes nothing
// when any field is wrong. Services that depend on a setting register a listener and get the new
// values right after a successful change.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace bambuddy {
class Logger;
namespace storage {
class KvStore;
}
namespace config {
class SchemaValidator;
}
} // namespace bambuddy

namespace bambuddy::settings {

struct Settings {
  std::vector<int> progress_milestones{25, 50, 75};
  double offline_debounce_s = 60;
  uint32_t rate_limit_read = 100; // per key and 60 s, for keys without their own
  uint32_t rate_limit_write = 30;
  uint32_t rate_limit_control = 10;
  double filament_cost_per_kg = 0; // in `currency`; 0 = not set
  std::string currency = "EUR";    // ISO 4217
  std::string time_zone = "UTC";   // IANA name, for display only; the API always speaks UTC
  bool auto_archive = true;        // fetch the 3MF of prints the server did not start

  nlohmann::json toJson() const;
  static Settings fromJson(const nlohmann::json& json); // json already validated
};

// A PATCH that was refused; `problems` lists every wrong field as "path: message".
class SettingsError : public std::runtime_error {
public:
  explicit SettingsError(std::vector<std::string> problems);
  const std::vector<std::string>& problems() const { return problems_; }

private:
  std::vector<std::string> problems_;
};

class SettingsService {
public:
  using Listener = std::function<void(const Settings&)>;

  // `defaults` come from the YAML config. Loads stored changes; stored values that no longer
  // validate (e.g. after a schema change) are dropped with a warning instead of failing startup.
  SettingsService(storage::KvStore& kv, Logger& logger, Settings defaults);
  ~SettingsService();

  Settings current() const;
  nlohmann::json currentJson() const;
  // The JSON Schema the settings follow (served with GET for clients that build forms).
  static const nlohmann::json& schema();

  // RFC 7386 merge patch over the current values (null resets a field to its default). Returns
  // the new settings; throws SettingsError listing every problem and changes nothing then.
  Settings patch(const nlohmann::json& patch);

  // Called with the current settings right away, then after each change (on the caller's thread).
  void addListener(Listener listener);

  // Another server instance changed the stored settings: reads them again and tells the listeners
  // when they differ from the current ones (on the caller's thread). Stored values that do not
  // validate are ignored with a warning, as at start-up.
  void reload();

private:
  // The stored overrides and the settings they make, when valid.
  std::optional<std::pair<nlohmann::json, Settings>> loadStored();

  storage::KvStore& kv_;
  Logger& logger_;
  const Settings defaults_;
  std::unique_ptr<config::SchemaValidator> validator_;
  mutable std::mutex mutex_;
  nlohmann::json overrides_; // what the admin changed, as stored
  Settings current_;
  std::vector<Listener> listeners_;
};

} // namespace bambuddy::settings
