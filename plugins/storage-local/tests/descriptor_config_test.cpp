// The descriptor, config parsing and instance creation, all through the real entry point.
#include "store_config.h"
#include "store_test_util.h"

#include <nlohmann/json.hpp>

#include <filesystem>

namespace bambuddy::storage_local::test {
namespace descriptor_config_test {

namespace fs = std::filesystem;

// Sizes, ABI version, ops, description and schema compilation: PluginConformance.bb_storage_local.
TEST(StorageLocalDescriptor, Identity) {
  const bb_plugin_descriptor* d = descriptor();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->kind, BB_KIND_STORAGE);
  EXPECT_STREQ(d->name, "storage.local");
  EXPECT_STREQ(d->version, "1.0.0");
  const auto* ops = static_cast<const bb_storage_ops*>(d->ops);
  EXPECT_NE(ops->put_fd, nullptr); // optional in the ABI; this store offers the fd path
  EXPECT_NE(ops->open_read, nullptr);
}

TEST(StorageLocalDescriptor, EmbedsTheSchemaFiles) {
  const bb_plugin_descriptor* d = descriptor();
  auto config = nlohmann::json::parse(d->config_schema);
  auto instance = nlohmann::json::parse(d->instance_schema);
  EXPECT_EQ(config, nlohmann::json::parse(
                        bambuddy::testing::readFile(STORAGE_LOCAL_SCHEMA_DIR "/config.schema.json")));
  EXPECT_EQ(instance, nlohmann::json::parse(
                          bambuddy::testing::readFile(STORAGE_LOCAL_SCHEMA_DIR "/instance.schema.json")));
  EXPECT_EQ(config["additionalProperties"], false);
  EXPECT_EQ(config["properties"]["fsync"]["default"], true);
  EXPECT_EQ(config["properties"]["max_blob_bytes"]["default"], kDefaultMaxBlobBytes);
  EXPECT_EQ(instance["additionalProperties"], false);
}

TEST(StorageLocalConfig, Defaults) {
  StoreConfig c = parseConfig("{}", "{}", "/srv/data/inst");
  EXPECT_EQ(c.root, "/srv/data/inst/blobs");
  EXPECT_TRUE(c.fsync);
  EXPECT_EQ(c.max_blob_bytes, 1024ull * 1024 * 1024);
}

TEST(StorageLocalConfig, ExplicitValues) {
  StoreConfig c =
      parseConfig(R"({"root":"/var/lib/bb/blobs/","fsync":false,"max_blob_bytes":4096})", "{}", "/d");
  EXPECT_EQ(c.root, "/var/lib/bb/blobs/");
  EXPECT_FALSE(c.fsync);
  EXPECT_EQ(c.max_blob_bytes, 4096u);
  EXPECT_EQ(parseConfig(R"({"root":"store/../x"})", "{}", "/d/i").root, "/d/i/x");
}

TEST(StorageLocalConfig, RelativeRootNeedsADataDir) {
  try {
    parseConfig(R"({"root":"blobs"})", "{}", "");
    FAIL() << "accepted";
  } catch (const sdk::Error& e) {
    EXPECT_EQ(e.reason(), "invalid_config");
    EXPECT_NE(std::string(e.what()).find("relative"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parseConfig("{}", "{}", ""), sdk::Error);
  EXPECT_EQ(parseConfig(R"({"root":"/abs"})", "{}", "").root, "/abs");
}

class StorageLocalCreate : public StoreTest {
protected:
  // The sdk::Error that the plugin's create raises for this config/settings pair, given to it as
  // they are (FakeHost::createAsGiven): its own checks, behind the schema.
  sdk::Error createError(const std::string& config, const std::string& settings = "{}") {
    try {
      auto instance = host_.createAsGiven(descriptor(), config, settings);
    } catch (const sdk::Error& e) {
      return e;
    }
    ADD_FAILURE() << "create accepted config " << config << " settings " << settings;
    return sdk::Error(BB_OK, "", "");
  }
};

TEST_F(StorageLocalCreate, DefaultRootIsTheInstanceDataDir) {
  auto instance = create("{}");
  StoreClient store(*instance);
  ASSERT_EQ(store.put("a.txt", "hello").rc, BB_OK);
  std::string expected = fs::canonical(instance->dataDir()).string() + "/blobs";
  EXPECT_EQ(bambuddy::testing::readFile(expected + "/a.txt"), "hello");
  EXPECT_TRUE(host_.logged("blob root " + expected));
  bool info = false;
  for (const auto& line : host_.logs()) {
    info = info || (line.level == BB_LOG_INFO && line.message.find(expected) != std::string::npos);
  }
  EXPECT_TRUE(info);
}

TEST_F(StorageLocalCreate, EmptyConfigTextMeansDefaults) {
  auto instance = host_.createAsGiven(descriptor(), "", ""); // what the server never passes
  EXPECT_TRUE(fs::is_directory(instance->dataDir() + "/blobs"));
}

TEST_F(StorageLocalCreate, RelativeRootIsUnderTheDataDir) {
  auto instance = create(R"({"root":"store/blobs"})");
  ASSERT_EQ(StoreClient(*instance).put("k", "v").rc, BB_OK);
  EXPECT_EQ(bambuddy::testing::readFile(instance->dataDir() + "/store/blobs/k"), "v");
}

TEST_F(StorageLocalCreate, AbsoluteRootIsCreatedWithParents) {
  auto instance = create(rootConfig("deep/er/root"));
  ASSERT_EQ(StoreClient(*instance).put("k", "v").rc, BB_OK);
  EXPECT_EQ(bambuddy::testing::readFile(tmp_.path() + "/deep/er/root/k"), "v");
}

TEST_F(StorageLocalCreate, RootMayItselfBeASymlink) {
  fs::create_directories(tmp_.path() + "/real");
  fs::create_directory_symlink(tmp_.path() + "/real", tmp_.path() + "/link");
  auto instance = create(rootConfig("link"));
  StoreClient store(*instance);
  ASSERT_EQ(store.put("x/y", "z").rc, BB_OK);
  EXPECT_EQ(bambuddy::testing::readFile(tmp_.path() + "/real/x/y"), "z");
  EXPECT_TRUE(host_.logged(fs::canonical(tmp_.path() + "/real").string()));
}

TEST_F(StorageLocalCreate, RootThatCannotBeCreatedFailsClearly) {
  tmp_.write("a-file", "not a directory");
  sdk::Error e = createError(rootConfig("a-file/blobs"));
  EXPECT_EQ(e.code(), BB_ERR_IO);
  EXPECT_EQ(e.reason(), "root_unavailable");
  std::string message = e.what();
  EXPECT_NE(message.find(tmp_.path() + "/a-file/blobs"), std::string::npos) << message;
  EXPECT_NE(message.find("cannot create"), std::string::npos) << message;
}

TEST_F(StorageLocalCreate, RootThatIsAFileFailsClearly) {
  tmp_.write("plain", "x");
  sdk::Error e = createError(rootConfig("plain"));
  EXPECT_EQ(e.code(), BB_ERR_IO);
  EXPECT_EQ(e.reason(), "root_unavailable");
  EXPECT_NE(std::string(e.what()).find(tmp_.path() + "/plain"), std::string::npos) << e.what();
}

TEST_F(StorageLocalCreate, InvalidConfigIsRefusedWithThePointer) {
  struct Case {
    std::string config;
    std::string expected;
  };
  const Case cases[] = {
      {"{", "not valid JSON"},
      {"[]", "must be a JSON object, got array"},
      {R"({"rooot":"/x"})", "unknown property /rooot"},
      {R"({"root":5})", "/root must be a string, got number"},
      {R"({"root":null})", "/root must be a string, got null"},
      {R"({"root":""})", "/root must not be empty"},
      {R"({"fsync":"yes"})", "/fsync must be a boolean, got string"},
      {R"({"max_blob_bytes":0})", "/max_blob_bytes must be at least 1, got 0"},
      {R"({"max_blob_bytes":-5})", "/max_blob_bytes must be at least 1, got -5"},
      {R"({"max_blob_bytes":1.5})", "/max_blob_bytes must be an integer, got number 1.5"},
      {R"({"max_blob_bytes":"1G"})", "/max_blob_bytes must be an integer, got string"},
  };
  for (const Case& c : cases) {
    sdk::Error e = createError(c.config);
    EXPECT_EQ(e.code(), BB_ERR_INVALID_ARGUMENT) << c.config;
    EXPECT_EQ(e.reason(), "invalid_config") << c.config;
    EXPECT_NE(std::string(e.what()).find(c.expected), std::string::npos) << c.config << " -> " << e.what();
  }
}

TEST_F(StorageLocalCreate, InstanceSettingsMustBeEmpty) {
  sdk::Error e = createError("{}", R"({"root":"/tmp/x"})");
  EXPECT_EQ(e.code(), BB_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(e.reason(), "invalid_settings");
  EXPECT_NE(std::string(e.what()).find("unknown property /root"), std::string::npos) << e.what();
  EXPECT_EQ(createError("{}", "[1]").reason(), "invalid_settings");
}

TEST_F(StorageLocalCreate, InstancesWithTheirOwnRootsAreIndependent) {
  auto one = host_.create(descriptor(), "{}", "{}", "one");
  auto two = host_.create(descriptor(), "{}", "{}", "two");
  ASSERT_EQ(StoreClient(*one).put("k", "1").rc, BB_OK);
  EXPECT_EQ(StoreClient(*two).get("k").rc, BB_ERR_NOT_FOUND);
  one->destroy();
  two->destroy();
}

} // namespace descriptor_config_test
} // namespace bambuddy::storage_local::test
