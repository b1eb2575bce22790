// The built bb_storage_local.so itself: loads with dlopen, exports only the entry point, works.
#include "store_test_util.h"

#include <dlfcn.h>

#include <cstdio>
#include <memory>

namespace bambuddy::storage_local::test {
namespace {

struct DlCloser {
  void operator()(void* handle) const { ::dlclose(handle); }
};

class StorageLocalModule : public StoreTest {};

TEST_F(StorageLocalModule, LoadsAndRoundTripsThroughTheSharedObject) {
  std::unique_ptr<void, DlCloser> lib(::dlopen(STORAGE_LOCAL_MODULE_PATH, RTLD_NOW | RTLD_LOCAL));
  ASSERT_NE(lib, nullptr) << ::dlerror();
  auto query = reinterpret_cast<bb_plugin_query_fn>(::dlsym(lib.get(), BB_PLUGIN_QUERY_SYMBOL));
  ASSERT_NE(query, nullptr) << ::dlerror();
  const bb_plugin_descriptor* d = query(BB_ABI_MAJOR, BB_ABI_MINOR);
  ASSERT_NE(d, nullptr);
  EXPECT_NE(d, descriptor()); // the module's own copy, not the one linked into this test
  EXPECT_STREQ(d->name, "storage.local");
  EXPECT_EQ(d->kind, BB_KIND_STORAGE);
  {
    auto instance = host_.create(d, rootConfig(), "{}");
    StoreClient store(*instance);
    ASSERT_EQ(store.put("m/x.bin", std::string("a\0b", 3)).rc, BB_OK);
    EXPECT_EQ(store.read("m/x.bin"), std::string("a\0b", 3));
    EXPECT_EQ(store.put("../x", "y").reason, "invalid_key");
    EXPECT_EQ(store.get("none").rc, BB_ERR_NOT_FOUND);
  }
}

TEST_F(StorageLocalModule, ExportsOnlyTheEntryPoint) {
  // nm lists the dynamic symbol table; anything defined besides bb_plugin_query is a leak.
  std::string command = "nm -D --defined-only '" STORAGE_LOCAL_MODULE_PATH "' 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), &::pclose);
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buf[512];
  while (std::fgets(buf, sizeof buf, pipe.get()) != nullptr) {
    output += buf;
  }
  if (output.find("not found") != std::string::npos) {
    GTEST_SKIP() << "nm is not available: " << output;
  }
  std::vector<std::string> symbols;
  size_t start = 0;
  while (start < output.size()) {
    size_t end = output.find('\n', start);
    std::string line = output.substr(start, end - start);
    start = end == std::string::npos ? output.size() : end + 1;
    if (!line.empty()) {
      symbols.push_back(line.substr(line.rfind(' ') + 1));
    }
  }
  EXPECT_EQ(symbols, (std::vector<std::string>{"bb_plugin_query"})) << output;
}

} // namespace
} // namespace bambuddy::storage_local::test
