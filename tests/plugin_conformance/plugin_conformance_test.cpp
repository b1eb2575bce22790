// The checks every plugin must pass, run once per plugin target (plugins/CMakeLists.txt adds one
// ctest per target, PluginConformance.<target>): the built .so exports only bb_plugin_query, its
// descriptor is well formed, its schemas compile with the core's validator, and an instance can
// be created with the default config and destroyed. The module comes in BAMBUDDY_PLUGIN_MODULE.
//
// An instance schema with required fields names a complete sample in its "examples" (JSON Schema
// draft-07); the first one is used here. Otherwise the instance is created from {}.
#include "elf_exports.h"

#include "common/json_parse.h"
#include "config/schema_validator.h"
#include "plugins/abi_rules.h"
#include "support/temp_dir.h"

#include <bambuddy/abi.h>
#include <bambuddy/testing/fake_host.hpp>

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <regex>
#include <string>

namespace bambuddy::testing {
namespace {

using nlohmann::json;

struct DlCloser {
  void operator()(void* handle) const { ::dlclose(handle); }
};

std::string modulePath() {
  const char* path = std::getenv("BAMBUDDY_PLUGIN_MODULE");
  return path != nullptr ? path : "";
}

// The part of the file name after the directory.
std::string baseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The name prefix each kind's plugins use ("<kind>.<impl>", sdk/ABI.md).
std::string namePrefix(uint32_t kind) {
  switch (kind) {
  case BB_KIND_PRINTER_DRIVER:
    return "printer.";
  case BB_KIND_AUTH:
    return "auth.";
  case BB_KIND_STORAGE:
    return "storage.";
  case BB_KIND_NOTIFIER:
    return "notifier.";
  default:
    return "?";
  }
}

class PluginConformance : public ::testing::Test {
protected:
  void SetUp() override {
    path_ = modulePath();
    ASSERT_FALSE(path_.empty()) << "set BAMBUDDY_PLUGIN_MODULE to the plugin's .so";
    library_.reset(::dlopen(path_.c_str(), RTLD_NOW | RTLD_LOCAL));
    ASSERT_NE(library_, nullptr) << ::dlerror();
    query_ = reinterpret_cast<bb_plugin_query_fn>(::dlsym(library_.get(), BB_PLUGIN_QUERY_SYMBOL));
    ASSERT_NE(query_, nullptr) << path_ << " has no " << BB_PLUGIN_QUERY_SYMBOL;
    descriptor_ = query_(BB_ABI_MAJOR, BB_ABI_MINOR);
    ASSERT_NE(descriptor_, nullptr) << "bb_plugin_query declined this host";
    // What the server checks when it loads the plugin; every test below needs it to hold.
    ASSERT_EQ(plugins::checkDescriptor(descriptor_), std::nullopt) << path_;
  }

  // The schema text as JSON, parsed with the core's limits; fails the test when it is not JSON.
  static json parseSchema(const char* text, const char* which) {
    std::string problem;
    json schema = parseJsonLimited(text, &problem);
    EXPECT_FALSE(schema.is_discarded()) << which << ": " << problem;
    return schema;
  }

  // The instance settings a new instance gets: the schema's first example, else {}, with the
  // schema's defaults filled in as the host does.
  static json defaultInstance(const json& schema) {
    json settings = json::object();
    if (schema.contains("examples") && schema["examples"].is_array() && !schema["examples"].empty()) {
      settings = schema["examples"][0];
    }
    config::applyDefaults(schema, settings);
    return settings;
  }

  static json defaultConfig(const json& schema) {
    json config = json::object();
    config::applyDefaults(schema, config);
    return config;
  }

  std::string path_;
  std::unique_ptr<void, DlCloser> library_;
  bb_plugin_query_fn query_ = nullptr;
  const bb_plugin_descriptor* descriptor_ = nullptr;
};

TEST_F(PluginConformance, ExportsOnlyTheEntryPoint) {
  // Anything else in the dynamic symbol table could clash with the server or another plugin.
  EXPECT_EQ(elfExportedSymbols(path_), std::vector<std::string>{BB_PLUGIN_QUERY_SYMBOL}) << path_;
}

// The host's own load checks (plugins::checkDescriptor: kind, name, ops table of this ABI with
// every function set, schemas that parse) passed in SetUp; these are the ones stricter than the
// host's, for a plugin built in this tree.
TEST_F(PluginConformance, DescriptorIsWellFormed) {
  const bb_plugin_descriptor* d = descriptor_;
  EXPECT_EQ(query_(BB_ABI_MAJOR, BB_ABI_MINOR), d) << "the descriptor must be static";
  // Built in this tree, against this very header.
  EXPECT_EQ(d->struct_size, sizeof(bb_plugin_descriptor));
  EXPECT_EQ(d->abi_major, BB_ABI_MAJOR);
  EXPECT_EQ(d->abi_minor, BB_ABI_MINOR);

  const std::string name = d->name;
  EXPECT_TRUE(plugins::isValidPluginName(name)) << name;
  EXPECT_EQ(name.rfind(namePrefix(d->kind), 0), 0u) << name << " is a " << plugins::kindName(d->kind);
  std::string file = "bb_" + name;
  std::replace(file.begin(), file.end(), '.', '_');
  EXPECT_EQ(baseName(path_), file + ".so") << "the server looks for the file by the descriptor name";

  ASSERT_NE(d->version, nullptr);
  EXPECT_TRUE(std::regex_match(d->version, std::regex("^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)"
                                                      "(-[0-9A-Za-z.-]+)?$")))
      << "version '" << d->version << "' is not semantic";
  ASSERT_NE(d->description, nullptr);
  const std::string description = d->description;
  EXPECT_FALSE(description.empty());
  EXPECT_EQ(description.find('\n'), std::string::npos) << "the description is one line";
  EXPECT_LE(description.size(), 300u);
}

TEST_F(PluginConformance, SchemasCompileAndAcceptTheDefaults) {
  for (const char* which : {"config_schema", "instance_schema"}) {
    const bool config = std::string(which) == "config_schema";
    const json schema =
        parseSchema(config ? descriptor_->config_schema : descriptor_->instance_schema, which);
    ASSERT_TRUE(schema.is_object()) << which;
    EXPECT_EQ(schema.value("type", ""), "object") << which << " must describe a JSON object";
    std::unique_ptr<config::SchemaValidator> validator;
    try {
      validator = std::make_unique<config::SchemaValidator>(schema);
    } catch (const std::exception& e) {
      FAIL() << which << " does not compile: " << e.what();
    }
    const json doc = config ? defaultConfig(schema) : defaultInstance(schema);
    auto issues = validator->validate(doc);
    EXPECT_TRUE(issues.empty()) << which << " refuses " << doc.dump() << ": " << issues.front().path << " "
                                << issues.front().message
                                << (config ? ""
                                           : " (an instance schema with required fields gives \"examples\")");
    if (schema.contains("examples")) {
      ASSERT_TRUE(schema["examples"].is_array()) << which << ": examples must be an array";
      for (const json& example : schema["examples"]) {
        EXPECT_TRUE(validator->validate(example).empty())
            << which << " refuses its example " << example.dump();
      }
    }
  }
}

TEST_F(PluginConformance, CreatesAndDestroysAnInstanceWithTheDefaultConfig) {
  TempDir dir;
  FakeHost host(dir.path());
  const json config = defaultConfig(parseSchema(descriptor_->config_schema, "config_schema"));
  const json settings = defaultInstance(parseSchema(descriptor_->instance_schema, "instance_schema"));
  std::unique_ptr<FakeHost::Instance> instance;
  try {
    instance = host.create(descriptor_, config.dump(), settings.dump(), "conformance");
  } catch (const std::exception& e) {
    FAIL() << "create with config " << config.dump() << " refused: " << e.what();
  }
  ASSERT_NE(instance->self(), nullptr);
  if (descriptor_->kind == BB_KIND_PRINTER_DRIVER) {
    // The host stops a driver before destroying it, started or not.
    host.call(instance->ops<bb_printer_driver_ops>()->stop, instance->self());
  }
  instance.reset(); // before the library is unloaded
}

} // namespace
} // namespace bambuddy::testing
