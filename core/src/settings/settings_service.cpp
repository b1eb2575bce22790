#include "settings/settings_service.h"

#include "common/json_parse.h"
#include "common/logger.h"
#include "config/schema_validator.h"
#include "storage/kv_store.h"

#include <algorithm>
#include <filesystem>

namespace bambuddy::settings {

namespace {

constexpr const char* kComponent = "settings";
constexpr const char* kNamespace = "core";
constexpr const char* kKey = "settings";

const char* const kSchemaText = R"JSON({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "Bambuddy run-time settings",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "progress_milestones": {
      "description": "print_progress fires once per print at each of these percentages",
      "type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 99},
      "uniqueItems": true, "maxItems": 20
    },
    "offline_debounce_s": {
      "description": "printer_offline fires only after a printer was unreachable this long",
      "type": "number", "minimum": 0, "maximum": 86400
    },
    "default_rate_limits": {
      "description": "requests per 60 s per API key and class, for keys without their own limits",
      "type": "object", "additionalProperties": false,
      "properties": {
        "read": {"type": "integer", "minimum": 1, "maximum": 1000000},
        "write": {"type": "integer", "minimum": 1, "maximum": 1000000},
        "control": {"type": "integer", "minimum": 1, "maximum": 1000000}
      }
    },
    "filament_cost_per_kg": {
      "description": "price of one kg of filament in `currency`, for cost statistics; 0 = unset",
      "type": "number", "minimum": 0, "maximum": 100000
    },
    "currency": {"description": "ISO 4217 code", "type": "string", "pattern": "^[A-Z]{3}$"},
    "time_zone": {
      "description": "IANA time zone for showing times (the API itself always uses UTC)",
      "type": "string", "minLength": 1, "maxLength": 64
    },
    "auto_archive": {
      "description": "archive the 3MF of prints started elsewhere (Bambu Studio, the printer's screen) by downloading it from the printer",
      "type": "boolean"
    }
  }
})JSON";

// RFC 7396 merge through nlohmann's merge_patch (null deletes a key, objects merge, anything else
// replaces). It recurses once per nesting level of `patch` and copies `target`: callers hand it
// documents parsed with the depth limit (api/json_body.cpp, parseJsonLimited below), so the
// recursion stays within 64 levels.
nlohmann::json mergePatch(nlohmann::json target, const nlohmann::json& patch) {
  target.merge_patch(patch);
  return target;
}

// IANA names as installed by tzdata; no path tricks.
bool knownTimeZone(const std::string& name) {
  if (name == "UTC") {
    return true;
  }
  if (name.find("..") != std::string::npos || name.front() == '/' ||
      name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-") !=
          std::string::npos) {
    return false;
  }
  std::error_code ec;
  return std::filesystem::is_regular_file(std::filesystem::path("/usr/share/zoneinfo") / name, ec);
}

std::vector<std::string> check(const config::SchemaValidator& validator, const nlohmann::json& doc) {
  std::vector<std::string> problems;
  for (const auto& issue : validator.validate(doc)) {
    problems.push_back((issue.path.empty() ? std::string("settings") : issue.path) + ": " + issue.message);
  }
  if (doc.contains("time_zone") && doc["time_zone"].is_string() &&
      !doc["time_zone"].get<std::string>().empty() && !knownTimeZone(doc["time_zone"].get<std::string>())) {
    problems.push_back("time_zone: unknown time zone '" + doc["time_zone"].get<std::string>() +
                       "' (use an IANA name such as Europe/Berlin)");
  }
  return problems;
}

} // namespace

nlohmann::json Settings::toJson() const {
  return {{"progress_milestones", progress_milestones},
          {"offline_debounce_s", offline_debounce_s},
          {"default_rate_limits",
           {{"read", rate_limit_read}, {"write", rate_limit_write}, {"control", rate_limit_control}}},
          {"filament_cost_per_kg", filament_cost_per_kg},
          {"currency", currency},
          {"time_zone", time_zone},
          {"auto_archive", auto_archive}};
}

Settings Settings::fromJson(const nlohmann::json& json) {
  Settings s;
  s.progress_milestones = json.at("progress_milestones").get<std::vector<int>>();
  std::sort(s.progress_milestones.begin(), s.progress_milestones.end());
  s.offline_debounce_s = json.at("offline_debounce_s").get<double>();
  const auto& limits = json.at("default_rate_limits");
  s.rate_limit_read = limits.at("read").get<uint32_t>();
  s.rate_limit_write = limits.at("write").get<uint32_t>();
  s.rate_limit_control = limits.at("control").get<uint32_t>();
  s.filament_cost_per_kg = json.at("filament_cost_per_kg").get<double>();
  s.currency = json.at("currency").get<std::string>();
  s.time_zone = json.at("time_zone").get<std::string>();
  s.auto_archive = json.at("auto_archive").get<bool>();
  return s;
}

SettingsError::SettingsError(std::vector<std::string> problems)
    : std::runtime_error(problems.empty() ? std::string("invalid settings") : problems.front()),
      problems_(std::move(problems)) {}

SettingsService::SettingsService(storage::KvStore& kv, Logger& logger, Settings defaults)
    : kv_(kv), logger_(logger), defaults_(std::move(defaults)),
      validator_(std::make_unique<config::SchemaValidator>(schema())), overrides_(nlohmann::json::object()),
      current_(defaults_) {
  if (auto stored = loadStored()) {
    overrides_ = std::move(stored->first);
    current_ = std::move(stored->second);
  }
}

std::optional<std::pair<nlohmann::json, Settings>> SettingsService::loadStored() {
  auto stored = kv_.get(kNamespace, kKey);
  if (!stored) {
    return std::make_pair(nlohmann::json::object(), defaults_);
  }
  nlohmann::json overrides = parseJsonLimited(*stored);
  nlohmann::json merged = mergePatch(defaults_.toJson(), overrides);
  auto problems =
      overrides.is_object() ? check(*validator_, merged) : std::vector<std::string>{"not an object"};
  if (!problems.empty()) {
    logger_.warn(kComponent, "stored settings ignored, defaults used (" + problems.front() + ")");
    return std::nullopt;
  }
  return std::make_pair(std::move(overrides), Settings::fromJson(merged));
}

void SettingsService::reload() {
  auto stored = loadStored();
  if (!stored) {
    return;
  }
  Settings updated;
  std::vector<Listener> listeners;
  const std::string shown = stored->first.dump();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stored->first == overrides_) {
      return;
    }
    overrides_ = std::move(stored->first);
    current_ = std::move(stored->second);
    updated = current_;
    listeners = listeners_;
  }
  for (const Listener& listener : listeners) {
    listener(updated);
  }
  logger_.info(kComponent, "settings changed on another instance: " + shown);
}

SettingsService::~SettingsService() = default;

const nlohmann::json& SettingsService::schema() {
  static const nlohmann::json parsed = nlohmann::json::parse(kSchemaText);
  return parsed;
}

Settings SettingsService::current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return current_;
}

nlohmann::json SettingsService::currentJson() const {
  return current().toJson();
}

Settings SettingsService::patch(const nlohmann::json& patch) {
  if (!patch.is_object()) {
    throw SettingsError({"settings: the body must be a JSON object"});
  }
  Settings updated;
  std::vector<Listener> listeners;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    nlohmann::json overrides = mergePatch(overrides_, patch);
    nlohmann::json merged = mergePatch(defaults_.toJson(), overrides);
    // Check the patch's own shape first so a wrong field is named where the client sent it.
    auto problems = check(*validator_, mergePatch(nlohmann::json::object(), patch));
    if (problems.empty()) {
      problems = check(*validator_, merged);
    }
    if (!problems.empty()) {
      throw SettingsError(std::move(problems));
    }
    kv_.put(kNamespace, kKey, overrides.dump());
    overrides_ = std::move(overrides);
    current_ = Settings::fromJson(merged);
    updated = current_;
    listeners = listeners_;
  }
  for (const Listener& listener : listeners) {
    listener(updated);
  }
  logger_.info(kComponent, "settings changed: " + patch.dump());
  return updated;
}

void SettingsService::addListener(Listener listener) {
  Settings now;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    listeners_.push_back(listener);
    now = current_;
  }
  listener(now);
}

} // namespace bambuddy::settings
