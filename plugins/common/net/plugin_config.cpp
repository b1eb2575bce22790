#include "net/plugin_config.h"

#include "text/json_input.h"

#include <bambuddy/abi.h>
#include <bambuddy/sdk.hpp>

#include <stdexcept>

namespace bambuddy::common::net {

PluginConfig readPluginConfig(const std::string& config_json, const std::string& plugin_name,
                              const std::vector<std::string>& extra_keys) {
  const std::string what = plugin_name + " config";
  PluginConfig out;
  out.document = text::parseJsonObject(config_json, "invalid_config", what);
  std::vector<std::string> allowed = {"allow_cidrs", "deny_cidrs"};
  allowed.insert(allowed.end(), extra_keys.begin(), extra_keys.end());
  text::rejectUnknownKeys(out.document, allowed, "invalid_config", what);
  nlohmann::json guard = nlohmann::json::object();
  for (const char* key : {"allow_cidrs", "deny_cidrs"}) {
    if (auto it = out.document.find(key); it != out.document.end()) {
      guard[key] = *it;
    }
  }
  try {
    out.policy = SsrfPolicy::fromConfig(guard);
  } catch (const std::invalid_argument& e) {
    throw sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_config", what + ": " + e.what());
  }
  return out;
}

std::string originOf(const TargetUrl& url) {
  bool default_port = (url.scheme == "https" && url.port == 443) || (url.scheme == "http" && url.port == 80);
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  return url.scheme + "://" + host + (default_port ? "" : ":" + std::to_string(url.port));
}

std::vector<std::string> originsFromConfig(const PluginConfig& config, const std::string& plugin_name,
                                           const std::string& key, const std::vector<std::string>& defaults) {
  auto fail = [&](const std::string& message) {
    throw sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_config", plugin_name + " config: /" + key + message);
  };
  auto it = config.document.find(key);
  if (it == config.document.end() || it->is_null()) {
    return defaults;
  }
  if (!it->is_array() || it->empty()) {
    fail(" must be a non-empty array of origins such as \"https://example.com\"");
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < it->size(); ++i) {
    const nlohmann::json& entry = (*it)[i];
    std::string path = "/" + std::to_string(i);
    if (!entry.is_string()) {
      fail(path + " must be a string, got " + entry.type_name());
    }
    TargetUrl url;
    try {
      url = parseTargetUrl(entry.get<std::string>(), {"http", "https"});
    } catch (const std::invalid_argument& e) {
      fail(path + " " + e.what());
    }
    if (url.path != "/" || url.has_query || url.has_credentials) {
      fail(path + " must be an origin only (scheme, host, optional port), without a path or query");
    }
    out.push_back(originOf(url));
  }
  return out;
}

} // namespace bambuddy::common::net
