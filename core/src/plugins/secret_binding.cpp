#include "plugins/secret_binding.h"

#include "plugins/secret_fields.h"

#include <algorithm>
#include <array>

namespace bambuddy::plugins {

namespace {

using nlohmann::json;

bool flagged(const json& schema, const std::string& name, const char* key, bool fallback) {
  if (!schema.is_object()) {
    return fallback;
  }
  auto props = schema.find("properties");
  if (props == schema.end() || !props->is_object()) {
    return fallback;
  }
  auto prop = props->find(name);
  if (prop == props->end() || !prop->is_object()) {
    return fallback;
  }
  auto flag = prop->find(key);
  return flag != prop->end() && flag->is_boolean() ? flag->get<bool>() : fallback;
}

template <size_t N> bool oneOf(const std::array<const char*, N>& names, const std::string& name) {
  return std::any_of(names.begin(), names.end(), [&](const char* n) { return name == n; });
}

bool isDestination(const json& schema, const std::string& name) {
  if (!schema.is_object()) {
    static const std::array<const char*, 6> kNames = {"url", "host", "port", "server", "topic", "smtp_url"};
    return oneOf(kNames, name);
  }
  return flagged(schema, name, "x-bambuddy-destination", false);
}

bool isCredential(const json& schema, const std::string& name) {
  if (!schema.is_object()) {
    static const std::array<const char*, 4> kNames = {"password", "token", "access_code", "api_key"};
    return oneOf(kNames, name);
  }
  return isSecretField(schema, name) && flagged(schema, name, "x-bambuddy-credential", true);
}

// The value the plugin works with: the stored one, else the schema's default.
json effective(const json& settings, const json& schema, const std::string& name) {
  if (settings.is_object()) {
    auto it = settings.find(name);
    if (it != settings.end() && !it->is_null()) {
      return *it;
    }
  }
  if (schema.is_object() && schema.contains("properties") && schema["properties"].is_object()) {
    const json& props = schema["properties"];
    auto prop = props.find(name);
    if (prop != props.end() && prop->is_object() && prop->contains("default")) {
      return (*prop)["default"];
    }
  }
  return nullptr;
}

std::vector<std::string> keysOf(const json& a, const json& b) {
  std::vector<std::string> keys;
  for (const json* doc : {&a, &b}) {
    if (!doc->is_object()) {
      continue;
    }
    for (auto it = doc->begin(); it != doc->end(); ++it) {
      if (std::find(keys.begin(), keys.end(), it.key()) == keys.end()) {
        keys.push_back(it.key());
      }
    }
  }
  return keys;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    out += (i == 0 ? "" : (i + 1 == names.size() ? " and " : ", ")) + std::string("settings.") + names[i];
  }
  return out;
}

} // namespace

DestinationChange checkDestinationChange(const json& current, const json& patch, json& merged,
                                         const std::string& schema_text) {
  const json schema = json::parse(schema_text, nullptr, false);
  DestinationChange change;
  std::vector<std::string> names = keysOf(current, merged);
  if (schema.is_object() && schema.contains("properties") && schema["properties"].is_object()) {
    for (auto it = schema["properties"].begin(); it != schema["properties"].end(); ++it) {
      if (std::find(names.begin(), names.end(), it.key()) == names.end()) {
        names.push_back(it.key());
      }
    }
  }
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    if (isDestination(schema, name) && effective(current, schema, name) != effective(merged, schema, name)) {
      change.destination_fields.push_back(name);
    }
  }
  if (change.destination_fields.empty()) {
    return change;
  }
  for (const std::string& name : names) {
    if (!isCredential(schema, name)) {
      continue;
    }
    const bool resent = patch.is_object() && patch.contains(name) && patch[name] != kSecretMask;
    if (resent) {
      if (patch[name].is_null()) {
        merged.erase(name);
      } else {
        merged[name] = patch[name]; // whole, not merged into what was stored
      }
      continue;
    }
    if (current.is_object() && current.contains(name) && !current[name].is_null()) {
      change.missing_secrets.push_back(name);
    }
  }
  return change;
}

std::string secretRequiredMessage(const DestinationChange& change, const std::string& what) {
  return joined(change.destination_fields) + " changes where this " + what + " connects; resend " +
         joined(change.missing_secrets) +
         " in the same request (or set them to null to drop them): a stored secret is only sent to the "
         "destination it was entered for";
}

} // namespace bambuddy::plugins
