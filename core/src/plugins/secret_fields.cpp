#include "plugins/secret_fields.h"

#include <array>

namespace bambuddy::plugins {

namespace {

bool wellKnownSecretName(const std::string& name) {
  static const std::array<const char*, 6> kNames = {"password",    "secret",  "token",
                                                    "access_code", "api_key", "previous_secret"};
  for (const char* known : kNames) {
    if (name == known) {
      return true;
    }
  }
  return false;
}

bool isSecret(const nlohmann::json* property_schema, const std::string& name, bool schema_usable) {
  if (!schema_usable) {
    return wellKnownSecretName(name);
  }
  if (property_schema == nullptr || !property_schema->is_object()) {
    return false;
  }
  auto flag = [&](const char* key) {
    auto it = property_schema->find(key);
    return it != property_schema->end() && it->is_boolean() && it->get<bool>();
  };
  return flag("writeOnly") || flag("x-bambuddy-secret");
}

const nlohmann::json* propertySchema(const nlohmann::json* schema, const std::string& name) {
  if (schema == nullptr || !schema->is_object()) {
    return nullptr;
  }
  auto props = schema->find("properties");
  if (props == schema->end() || !props->is_object()) {
    return nullptr;
  }
  auto it = props->find(name);
  return it == props->end() ? nullptr : &*it;
}

void redactInto(nlohmann::json& value, const nlohmann::json* schema, bool schema_usable) {
  if (!value.is_object()) {
    return;
  }
  for (auto it = value.begin(); it != value.end(); ++it) {
    const nlohmann::json* sub = propertySchema(schema, it.key());
    if (isSecret(sub, it.key(), schema_usable)) {
      if (!it.value().is_null()) {
        it.value() = kSecretMask;
      }
    } else if (it.value().is_object()) {
      redactInto(it.value(), sub, schema_usable);
    }
  }
}

// Removes the secret properties whose value is the mask (the client echoed what it read), so the
// merge keeps what is stored.
void dropEchoedMasks(nlohmann::json& patch, const nlohmann::json* schema, bool schema_usable) {
  if (!patch.is_object()) {
    return;
  }
  for (auto it = patch.begin(); it != patch.end();) {
    const nlohmann::json* sub = propertySchema(schema, it.key());
    if (isSecret(sub, it.key(), schema_usable) && it.value() == kSecretMask) {
      it = patch.erase(it);
      continue;
    }
    dropEchoedMasks(it.value(), sub, schema_usable);
    ++it;
  }
}

} // namespace

nlohmann::json redactSecrets(const nlohmann::json& settings, const std::string& schema_text) {
  nlohmann::json schema = nlohmann::json::parse(schema_text, nullptr, false);
  bool usable = schema.is_object();
  nlohmann::json copy = settings;
  redactInto(copy, usable ? &schema : nullptr, usable);
  return copy;
}

bool isSecretField(const nlohmann::json& schema, const std::string& name) {
  const bool usable = schema.is_object();
  return isSecret(propertySchema(usable ? &schema : nullptr, name), name, usable);
}

nlohmann::json mergeSettings(const nlohmann::json& current, const nlohmann::json& patch,
                             const std::string& schema_text) {
  nlohmann::json schema = nlohmann::json::parse(schema_text, nullptr, false);
  bool usable = schema.is_object();
  nlohmann::json effective = patch;
  dropEchoedMasks(effective, usable ? &schema : nullptr, usable);
  nlohmann::json result = current;
  result.merge_patch(effective);
  return result;
}

} // namespace bambuddy::plugins
