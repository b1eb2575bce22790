// Finding plugin files and asking them who they are, without creating anything (bb_plugin_query
// is side-effect free by the ABI). Used by the loader, --check-config and --list-plugins.
#pragma once

#include <bambuddy/abi.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bambuddy::plugins {

class SharedLibrary;

struct PluginSummary {
  std::string name;
  std::string kind;
  std::string version;
  std::string abi; // "0.1"
  std::string description;
  std::string path;
  bool required = true;
  std::vector<std::string> instances;
};

// What --list-plugins prints for each file on the search path.
struct DiscoveredPlugin {
  std::string path;
  std::optional<PluginSummary> summary; // set when the file could be queried
  std::string problem;                  // why it cannot be loaded; empty when compatible
};

// Finds, opens and queries a plugin without creating anything (side-effect free by the ABI).
struct ProbedPlugin {
  std::unique_ptr<SharedLibrary> library;
  const bb_plugin_descriptor* descriptor = nullptr;
};

// Resolves a plugin name to a file: an explicit path wins; otherwise bb_<name, dots as '_'>.so in
// the first search path directory that has it. Returns "" and explains in `error` when absent.
std::string resolvePluginPath(const std::string& name, const std::string& explicit_path,
                              const std::vector<std::string>& search_path, std::string& error);

// Opens and queries a file; on failure returns an empty probe and explains in `error`.
ProbedPlugin probePlugin(const std::string& path, std::string& error);

PluginSummary summarize(const bb_plugin_descriptor& descriptor, const std::string& path, bool required);

// Every *.so on the search path, queried and judged (ABI, descriptor, duplicate names).
std::vector<DiscoveredPlugin> discoverPlugins(const std::vector<std::string>& search_path);

} // namespace bambuddy::plugins
