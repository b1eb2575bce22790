#include "store_config.h"

#include <bambuddy/abi.h>
#include <bambuddy/sdk.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>

namespace bambuddy::storage_local {
namespace {

[[noreturn]] void invalidConfig(const std::string& message) {
  throw sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_config", "storage.local config: " + message);
}

nlohmann::json parseObject(const std::string& text, const char* reason, const char* what) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw sdk::Error(BB_ERR_INVALID_ARGUMENT, reason, std::string(what) + " is not valid JSON: " + e.what());
  }
  if (!doc.is_object()) {
    throw sdk::Error(BB_ERR_INVALID_ARGUMENT, reason,
                     std::string(what) + " must be a JSON object, got " + doc.type_name());
  }
  return doc;
}

std::string resolveRoot(const nlohmann::json* root, const std::string& data_dir) {
  namespace fs = std::filesystem;
  if (root == nullptr) {
    if (data_dir.empty()) {
      invalidConfig("/root is required because the host provides no data directory");
    }
    return (fs::path(data_dir) / "blobs").lexically_normal().string();
  }
  if (!root->is_string()) {
    invalidConfig(std::string("/root must be a string, got ") + root->type_name());
  }
  const std::string& text = root->get_ref<const std::string&>();
  if (text.empty()) {
    invalidConfig("/root must not be empty");
  }
  if (text.find('\0') != std::string::npos) {
    invalidConfig("/root must not contain a NUL byte");
  }
  fs::path path(text);
  if (path.is_relative()) {
    if (data_dir.empty()) {
      invalidConfig("/root \"" + text + "\" is relative but the host provides no data directory");
    }
    path = fs::path(data_dir) / path;
  }
  return path.lexically_normal().string();
}

} // namespace

StoreConfig parseConfig(const std::string& config_json, const std::string& settings_json,
                        const std::string& data_dir) {
  nlohmann::json settings = parseObject(settings_json, "invalid_settings", "storage.local instance settings");
  if (!settings.empty()) {
    throw sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_settings",
                     "storage.local instance settings: unknown property /" + settings.begin().key() +
                         " (this plugin has no instance settings; configure it in its config block)");
  }

  nlohmann::json config = parseObject(config_json, "invalid_config", "storage.local config");
  for (auto it = config.begin(); it != config.end(); ++it) {
    if (it.key() != "root" && it.key() != "fsync" && it.key() != "max_blob_bytes") {
      invalidConfig("unknown property /" + it.key() + " (allowed: root, fsync, max_blob_bytes)");
    }
  }

  StoreConfig out;
  auto root = config.find("root");
  out.root = resolveRoot(root == config.end() ? nullptr : &*root, data_dir);

  if (auto fsync = config.find("fsync"); fsync != config.end()) {
    if (!fsync->is_boolean()) {
      invalidConfig(std::string("/fsync must be a boolean, got ") + fsync->type_name());
    }
    out.fsync = fsync->get<bool>();
  }

  if (auto max = config.find("max_blob_bytes"); max != config.end()) {
    if (max->is_number_unsigned()) {
      out.max_blob_bytes = max->get<uint64_t>();
    } else if (max->is_number_integer()) {
      invalidConfig("/max_blob_bytes must be at least 1, got " + max->dump());
    } else {
      invalidConfig(std::string("/max_blob_bytes must be an integer, got ") + max->type_name() +
                    (max->is_number() ? " " + max->dump() : ""));
    }
    if (out.max_blob_bytes == 0) {
      invalidConfig("/max_blob_bytes must be at least 1, got 0");
    }
  }
  return out;
}

} // namespace bambuddy::storage_local
