#include "plugins/plugin_probe.h"

#include "plugins/abi_rules.h"
#include "plugins/shared_library.h"

#include <algorithm>
#include <filesystem>
#include <map>

namespace fs = std::filesystem;

namespace bambuddy::plugins {

// ----- Resolution and probing ----------------------------------------------------------------

std::string resolvePluginPath(const std::string& name, const std::string& explicit_path,
                              const std::vector<std::string>& search_path, std::string& error) {
  if (!explicit_path.empty()) {
    std::error_code ec;
    if (!fs::is_regular_file(explicit_path, ec)) {
      error = "plugin file " + explicit_path + " does not exist";
      return "";
    }
    return explicit_path;
  }
  std::string file = "bb_" + name;
  std::replace(file.begin(), file.end(), '.', '_');
  file += ".so";
  for (const std::string& dir : search_path) {
    fs::path candidate = fs::path(dir) / file;
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec)) {
      return candidate.string();
    }
  }
  std::string dirs;
  for (const std::string& dir : search_path) {
    dirs += (dirs.empty() ? "" : ", ") + dir;
  }
  error = "no " + file + " on the plugin search path (" + (dirs.empty() ? std::string("empty") : dirs) + ")";
  return "";
}

ProbedPlugin probePlugin(const std::string& path, std::string& error) {
  ProbedPlugin probe;
  std::string load_error;
  probe.library = SharedLibrary::open(path, load_error);
  if (!probe.library) {
    error = "cannot load " + path + ": " + load_error;
    return {};
  }
  auto query = reinterpret_cast<bb_plugin_query_fn>(probe.library->symbol(BB_PLUGIN_QUERY_SYMBOL));
  if (query == nullptr) {
    error = path + " does not export " BB_PLUGIN_QUERY_SYMBOL " (not a Bambuddy plugin)";
    return {};
  }
  probe.descriptor = query(BB_ABI_MAJOR, BB_ABI_MINOR);
  if (auto problem = checkDescriptor(probe.descriptor)) {
    error = path + ": " + *problem;
    return {};
  }
  return probe;
}
PluginSummary summarize(const bb_plugin_descriptor& d, const std::string& path, bool required) {
  PluginSummary s;
  s.name = d.name;
  s.kind = kindName(d.kind);
  s.version = d.version;
  s.abi = abiString(d.abi_major, d.abi_minor);
  s.description = d.description != nullptr ? d.description : "";
  s.path = path;
  s.required = required;
  return s;
}

std::vector<DiscoveredPlugin> discoverPlugins(const std::vector<std::string>& search_path) {
  std::vector<DiscoveredPlugin> found;
  std::map<std::string, std::string> first_path; // descriptor name -> first file declaring it
  for (const std::string& dir : search_path) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      continue;
    }
    std::vector<fs::path> files;
    for (const auto& item : fs::directory_iterator(dir, ec)) {
      if (item.path().extension() == ".so") {
        files.push_back(item.path());
      }
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files) {
      DiscoveredPlugin entry;
      entry.path = file.string();
      std::string load_error;
      auto library = SharedLibrary::open(entry.path, load_error);
      if (!library) {
        entry.problem = "cannot load: " + load_error;
        found.push_back(std::move(entry));
        continue;
      }
      auto query = reinterpret_cast<bb_plugin_query_fn>(library->symbol(BB_PLUGIN_QUERY_SYMBOL));
      if (query == nullptr) {
        entry.problem = "does not export " BB_PLUGIN_QUERY_SYMBOL;
        found.push_back(std::move(entry));
        continue;
      }
      const bb_plugin_descriptor* d = query(BB_ABI_MAJOR, BB_ABI_MINOR);
      auto problem = checkDescriptor(d);
      if (d != nullptr && d->struct_size >= offsetof(bb_plugin_descriptor, config_schema) &&
          d->name != nullptr && d->version != nullptr && d->struct_size <= sizeof(bb_plugin_descriptor)) {
        entry.summary = summarize(*d, entry.path, false);
      }
      if (problem) {
        entry.problem = *problem;
      } else if (auto [it, inserted] = first_path.emplace(d->name, entry.path); !inserted) {
        entry.problem = "duplicate name '" + it->first + "' (also declared by " + it->second + ")";
      }
      found.push_back(std::move(entry));
    }
  }
  return found;
}

} // namespace bambuddy::plugins
