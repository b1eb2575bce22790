#include "plugins/secret_file_fields.h"

#include "config/json_pointer.h"
#include "config/secret_file.h"
#include "plugins/secret_fields.h"

namespace bambuddy::plugins {

namespace {

constexpr const char* kSuffix = "_file";

const nlohmann::json* properties(const nlohmann::json& schema) {
  if (!schema.is_object()) {
    return nullptr;
  }
  auto it = schema.find("properties");
  return it != schema.end() && it->is_object() ? &*it : nullptr;
}

// A property that may hold text: "type" absent, "string", or a list that has "string".
bool acceptsText(const nlohmann::json& property) {
  auto type = property.find("type");
  if (type == property.end()) {
    return true;
  }
  if (type->is_string()) {
    return *type == "string";
  }
  if (type->is_array()) {
    for (const auto& t : *type) {
      if (t == "string") {
        return true;
      }
    }
  }
  return false;
}

bool endsWithSuffix(const std::string& key) {
  const std::size_t n = std::char_traits<char>::length(kSuffix);
  return key.size() > n && key.compare(key.size() - n, n, kSuffix) == 0;
}

class Resolver {
public:
  Resolver(const config::LoadedDocument& doc, const std::string& base_dir, SecretFileResolution& out)
      : doc_(doc), base_dir_(base_dir), out_(out) {}

  void walk(nlohmann::json& value, const nlohmann::json& schema, const std::string& pointer) {
    const nlohmann::json* props = properties(schema);
    if (!value.is_object() || props == nullptr) {
      return;
    }
    std::vector<std::string> file_keys;
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (endsWithSuffix(it.key()) && !props->contains(it.key())) {
        file_keys.push_back(it.key());
      }
    }
    for (const std::string& file_key : file_keys) {
      std::string field = file_key.substr(0, file_key.size() - std::char_traits<char>::length(kSuffix));
      auto property = props->find(field);
      if (property == props->end() || !isSecretField(schema, field)) {
        continue; // not a secret: the schema judges the member like any other (e.g. unknown key)
      }
      resolveOne(value, field, file_key, *property, pointer);
    }
    for (auto it = value.begin(); it != value.end(); ++it) {
      auto sub = props->find(it.key());
      if (sub != props->end() && it.value().is_object() && !isSecretField(schema, it.key())) {
        walk(it.value(), *sub, config::childPointer(pointer, it.key()));
      }
    }
  }

private:
  void resolveOne(nlohmann::json& object, const std::string& field, const std::string& file_key,
                  const nlohmann::json& property, const std::string& pointer) {
    const std::string file_pointer = config::childPointer(pointer, file_key);
    const std::string field_pointer = config::childPointer(pointer, field);
    const nlohmann::json path = object[file_key];
    object.erase(file_key);
    out_.origins[field_pointer] = file_pointer;
    if (object.contains(field)) {
      fail(field_pointer, file_pointer, "give either " + field + " or " + file_key + ", not both");
      return;
    }
    if (!acceptsText(property)) {
      fail(field_pointer, file_pointer, field + " is not a text field, so it cannot be read from a file");
      return;
    }
    if (!path.is_string()) {
      fail(field_pointer, file_pointer, "expected the path of a file holding " + field);
      return;
    }
    config::SecretFileContent read = config::readSecretFile(path.get<std::string>(), base_dir_);
    if (!read.ok()) {
      fail(field_pointer, file_pointer, read.error);
      return;
    }
    object[field] = std::move(read.value);
  }

  void fail(const std::string& field_pointer, const std::string& pointer, const std::string& message) {
    out_.failed.insert(field_pointer);
    out_.errors.push_back(config::ConfigError{doc_.file, doc_.lineOf(pointer),
                                              config::displayPath(pointer, &doc_.json), message});
  }

  const config::LoadedDocument& doc_;
  const std::string& base_dir_;
  SecretFileResolution& out_;
};

bool atOrBelow(const std::string& pointer, const std::string& parent) {
  return pointer == parent || pointer.compare(0, parent.size() + 1, parent + "/") == 0;
}

} // namespace

SecretFileResolution resolveSecretFiles(nlohmann::json& block, const nlohmann::json& schema,
                                        const std::string& block_pointer, const config::LoadedDocument& doc,
                                        const std::string& base_dir) {
  SecretFileResolution out;
  Resolver(doc, base_dir, out).walk(block, schema, block_pointer);
  return out;
}

std::string SecretFileResolution::reportedPointer(const std::string& pointer) const {
  for (const auto& [field, file] : origins) {
    if (atOrBelow(pointer, field)) {
      return file;
    }
  }
  return pointer;
}

bool SecretFileResolution::isFailed(const std::string& pointer) const {
  for (const std::string& field : failed) {
    if (atOrBelow(pointer, field)) {
      return true;
    }
  }
  return false;
}

} // namespace bambuddy::plugins
