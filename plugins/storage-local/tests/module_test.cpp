// The built bb_storage_local.so itself: loads with dlopen and works (its exports, descriptor and
// schemas are checked by PluginConformance.bb_storage_local).
#include "store_test_util.h"

#include <dlfcn.h>

#include <memory>

namespace bambuddy::storage_local::test {
namespace module_test {

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

} // namespace module_test
} // namespace bambuddy::storage_local::test
