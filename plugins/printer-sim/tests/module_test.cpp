// The descriptor, the schemas (checked with the core's own validator) and the built .so.
#include "sim_settings.h"
#include "sim_test_util.h"

#include "config/schema_validator.h"

#include <dlfcn.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace bambuddy::printer_sim::test {
namespace module_test {

struct DlCloser {
  void operator()(void* handle) const { ::dlclose(handle); }
};

std::string readText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

json instanceSchema() {
  return json::parse(descriptor()->instance_schema);
}

// Settings the schema and the plugin must both refuse.
const std::vector<std::string>& badSettings() {
  static const std::vector<std::string> cases = {
      R"({"model":""})",
      R"({"model":7})",
      R"({"print_time_s":0})",
      R"({"print_time_s":1.5})",
      R"({"print_time_s":"600"})",
      R"({"print_time_s":2592001})",
      R"({"speed":0})",
      R"({"speed":-1})",
      R"({"speed":100001})",
      R"({"speed":"fast"})",
      R"({"report_interval_ms":5})",
      R"({"report_interval_ms":5001})",
      R"({"nozzle_target_c":400})",
      R"({"bed_target_c":-1})",
      R"({"auto_print":{}})",
      R"({"auto_print":{"filename":""}})",
      R"({"auto_print":{"filename":"a.3mf","idle_s":-1}})",
      R"({"auto_print":{"filename":"a.3mf","repeat":"yes"}})",
      R"({"auto_print":{"filename":"a.3mf","extra":1}})",
      R"({"auto_print":"a.3mf"})",
      R"({"start_connected":"true"})",
      R"({"bogus":1})",
  };
  return cases;
}

class SimModule : public SimTest {};

TEST_F(SimModule, DescriptorIdentifiesAPrinterDriver) {
  const bb_plugin_descriptor* d = descriptor();
  ASSERT_NE(d, nullptr);
  EXPECT_STREQ(d->name, "printer.sim");
  EXPECT_EQ(d->kind, BB_KIND_PRINTER_DRIVER);
  EXPECT_EQ(json::parse(d->config_schema),
            json::parse(readText(PRINTER_SIM_SCHEMA_DIR "/config.schema.json")));
  EXPECT_EQ(instanceSchema(), json::parse(readText(PRINTER_SIM_SCHEMA_DIR "/instance.schema.json")));
  EXPECT_EQ(instanceSchema()["additionalProperties"], false);
  EXPECT_EQ(instanceSchema()["properties"]["auto_print"]["additionalProperties"], false);
}

TEST_F(SimModule, SchemaDefaultsAreThePluginDefaults) {
  json doc = json::object();
  config::applyDefaults(instanceSchema(), doc);
  EXPECT_EQ(doc, (json{{"model", "X1C"},
                       {"print_time_s", 600},
                       {"speed", 1},
                       {"report_interval_ms", 1000},
                       {"nozzle_target_c", 220},
                       {"bed_target_c", 60},
                       {"start_connected", true}}));
  SimSettings from_schema = parseSimSettings(doc.dump());
  SimSettings built_in = parseSimSettings("{}");
  EXPECT_EQ(from_schema.model, built_in.model);
  EXPECT_EQ(from_schema.print_time_s, built_in.print_time_s);
  EXPECT_EQ(from_schema.speed, built_in.speed);
  EXPECT_EQ(from_schema.report_interval_ms, built_in.report_interval_ms);
  EXPECT_EQ(from_schema.nozzle_target_c, built_in.nozzle_target_c);
  EXPECT_EQ(from_schema.bed_target_c, built_in.bed_target_c);
  EXPECT_EQ(from_schema.start_connected, built_in.start_connected);
  EXPECT_FALSE(from_schema.auto_print);

  json with_auto = {{"auto_print", {{"filename", "demo.3mf"}}}};
  config::applyDefaults(instanceSchema(), with_auto);
  EXPECT_EQ(with_auto["auto_print"], (json{{"filename", "demo.3mf"}, {"repeat", true}, {"idle_s", 10}}));
  SimSettings s = parseSimSettings(R"({"auto_print":{"filename":"demo.3mf"}})");
  ASSERT_TRUE(s.auto_print);
  EXPECT_EQ(s.auto_print->repeat, with_auto["auto_print"]["repeat"].get<bool>());
  EXPECT_EQ(s.auto_print->idle_s, with_auto["auto_print"]["idle_s"].get<int64_t>());
}

TEST_F(SimModule, SchemaAndPluginAcceptGoodSettings) {
  config::SchemaValidator validator(instanceSchema());
  for (const char* good :
       {"{}", R"({"model":"A1 mini","print_time_s":1,"speed":0.5,"report_interval_ms":10})",
        R"({"speed":100000,"report_interval_ms":5000,"nozzle_target_c":0,"bed_target_c":130})",
        R"({"auto_print":{"filename":"demo.3mf","repeat":false,"idle_s":0},"start_connected":false})"}) {
    EXPECT_TRUE(validator.validate(json::parse(good)).empty()) << good;
    EXPECT_NO_THROW(host_.create(descriptor(), "{}", good, "good")) << good;
  }
}

TEST_F(SimModule, SchemaAndPluginRefuseBadSettings) {
  config::SchemaValidator validator(instanceSchema());
  for (const std::string& bad : badSettings()) {
    EXPECT_FALSE(validator.validate(json::parse(bad)).empty()) << "schema accepted " << bad;
    try {
      host_.createAsGiven(descriptor(), "{}", bad, "bad"); // the plugin's own check, behind the schema
      ADD_FAILURE() << "plugin accepted " << bad;
    } catch (const sdk::Error& e) {
      EXPECT_EQ(e.code(), BB_ERR_INVALID_ARGUMENT) << bad;
      EXPECT_EQ(e.reason(), "invalid_settings") << bad;
      EXPECT_EQ(std::string(e.what()).rfind("printer.sim settings: ", 0), 0u) << e.what();
    }
  }
  for (const char* not_object : {"[]", "7", "not json"}) {
    try {
      host_.createAsGiven(descriptor(), "{}", not_object, "bad");
      ADD_FAILURE() << "plugin accepted " << not_object;
    } catch (const sdk::Error& e) {
      EXPECT_EQ(e.reason(), "invalid_settings");
    }
  }
  EXPECT_TRUE(host_.routes().empty()) << "a failed creation left a route behind";
}

TEST_F(SimModule, MessagesNameTheField) {
  auto message = [](const std::string& settings) {
    try {
      parseSimSettings(settings);
    } catch (const sdk::Error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(message(R"({"speed":0})").find("/speed must be a number above 0"), std::string::npos);
  EXPECT_NE(
      message(R"({"report_interval_ms":1})").find("/report_interval_ms must be an integer from 10 to 5000"),
      std::string::npos);
  EXPECT_NE(message(R"({"auto_print":{}})").find("/auto_print/filename is required"), std::string::npos);
  EXPECT_NE(message(R"({"colour":"red"})").find("unknown field 'colour'"), std::string::npos);
}

TEST_F(SimModule, ConfigMustBeEmpty) {
  config::SchemaValidator validator(json::parse(descriptor()->config_schema));
  EXPECT_TRUE(validator.validate(json::object()).empty());
  EXPECT_FALSE(validator.validate(json{{"speed", 2}}).empty());
  for (const char* config : {R"({"speed":2})", "[]"}) {
    try {
      host_.createAsGiven(descriptor(), config, "{}", "bad");
      ADD_FAILURE() << config;
    } catch (const sdk::Error& e) {
      EXPECT_EQ(e.reason(), "invalid_config") << config;
    }
  }
}

TEST_F(SimModule, LoadsAndPrintsThroughTheSharedObject) {
  std::unique_ptr<void, DlCloser> lib(::dlopen(PRINTER_SIM_MODULE_PATH, RTLD_NOW | RTLD_LOCAL));
  ASSERT_NE(lib, nullptr) << ::dlerror();
  auto query = reinterpret_cast<bb_plugin_query_fn>(::dlsym(lib.get(), BB_PLUGIN_QUERY_SYMBOL));
  ASSERT_NE(query, nullptr) << ::dlerror();
  const bb_plugin_descriptor* d = query(BB_ABI_MAJOR, BB_ABI_MINOR);
  ASSERT_NE(d, nullptr);
  EXPECT_NE(d, descriptor());
  EXPECT_STREQ(d->name, "printer.sim");
  {
    instance_ = host_.create(d, "{}", fastSettings().dump(), "so");
    start();
    std::string job = startPrint("so.3mf", 60);
    auto done = waitFor([&](const json& r) { return r["state"] == "finished"; });
    ASSERT_TRUE(done);
    EXPECT_EQ((*done)["current_print"]["job_id"], job);
    EXPECT_EQ(host_.callRoute("POST", "/api/v1/sim/so/actions", R"({"action":"sim_offline"})").status, 200);
    instance_.reset(); // before the library is unloaded
  }
}

} // namespace module_test
} // namespace bambuddy::printer_sim::test
