// The real bb_host_api table, driven directly through instance contexts (no plugin file needed).
#include "plugins/host_services.h"
#include "support/core_services.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace bambuddy::plugins {
namespace host_api_test {

class HostApiTest : public ::testing::Test {
protected:
  std::shared_ptr<InstanceContext> context(const std::string& plugin, const std::string& id, uint32_t kind) {
    auto ctx = std::make_shared<InstanceContext>();
    ctx->services = &services_;
    ctx->plugin_name = plugin;
    ctx->instance_id = id;
    ctx->kind = kind;
    ctx->data_dir = core_.dir().path();
    ctx->log_component = "plugin:" + plugin + "/" + id;
    return ctx;
  }

  static bb_error error() {
    bb_error e{};
    e.struct_size = sizeof e;
    return e;
  }

  std::string log() { return core_.log(); }
  bus::EventBus& bus() { return core_.bus(); }

  testing::CoreServices core_;
  HostServices services_{core_.logger(), core_.bus(), core_.kv(), core_.dir().path(),
                         [] { return int64_t{1705329000000}; }};
};

void appendTo(void* user, const char* data, size_t len) {
  static_cast<std::string*>(user)->append(data, len);
}

TEST_F(HostApiTest, TableAnnouncesVersionAndSize) {
  const bb_host_api* api = hostApi();
  EXPECT_EQ(api->struct_size, sizeof(bb_host_api));
  EXPECT_EQ(api->abi_major, BB_ABI_MAJOR);
  EXPECT_EQ(api->abi_minor, BB_ABI_MINOR);
  EXPECT_NE(api->report_status, nullptr);
}

TEST_F(HostApiTest, LogIsTaggedAndKeptOnOneLine) {
  auto ctx = context("storage.x", "one", BB_KIND_STORAGE);
  std::string msg = "hello\nFAKE ERROR [app] injected";
  hostApi()->log(ctx->handle(), BB_LOG_WARN, msg.data(), msg.size());
  std::string text = log();
  EXPECT_NE(text.find("WARN [plugin:storage.x/one] hello FAKE ERROR [app] injected"), std::string::npos)
      << text;
}

TEST_F(HostApiTest, KvIsNamespacedByPluginName) {
  auto a = context("storage.a", "one", BB_KIND_STORAGE);
  auto a2 = context("storage.a", "two", BB_KIND_STORAGE);
  auto b = context("storage.b", "one", BB_KIND_STORAGE);
  bb_error err = error();
  ASSERT_EQ(hostApi()->kv_put(a->handle(), "k", 1, "{\"v\":1}", 7, &err), BB_OK);
  std::string value;
  ASSERT_EQ(hostApi()->kv_get(a2->handle(), "k", 1, &appendTo, &value, &err), BB_OK);
  EXPECT_EQ(value, "{\"v\":1}");
  EXPECT_EQ(hostApi()->kv_get(b->handle(), "k", 1, &appendTo, &value, &err), BB_ERR_NOT_FOUND);
  EXPECT_EQ(hostApi()->kv_delete(b->handle(), "k", 1, &err), BB_ERR_NOT_FOUND);
  EXPECT_EQ(hostApi()->kv_delete(a->handle(), "k", 1, &err), BB_OK);
  EXPECT_EQ(hostApi()->kv_get(a->handle(), "k", 1, &appendTo, &value, &err), BB_ERR_NOT_FOUND);
}

TEST_F(HostApiTest, KvRejectsInvalidJsonAndStoresNothing) {
  auto ctx = context("storage.a", "one", BB_KIND_STORAGE);
  bb_error err = error();
  EXPECT_EQ(hostApi()->kv_put(ctx->handle(), "k", 1, "{nope", 5, &err), BB_ERR_INVALID_ARGUMENT);
  EXPECT_STRNE(err.message, "");
  std::string value;
  EXPECT_EQ(hostApi()->kv_get(ctx->handle(), "k", 1, &appendTo, &value, &err), BB_ERR_NOT_FOUND);
}

TEST_F(HostApiTest, KvScanVisitsPrefixInOrderAndStops) {
  auto ctx = context("storage.a", "one", BB_KIND_STORAGE);
  bb_error err = error();
  for (std::string k : {"job/2", "job/1", "other", "job/3"}) {
    ASSERT_EQ(hostApi()->kv_put(ctx->handle(), k.data(), k.size(), "1", 1, &err), BB_OK);
  }
  std::vector<std::string> seen;
  auto visit = [](void* user, const char* k, size_t kl, const char*, size_t) -> int32_t {
    auto* out = static_cast<std::vector<std::string>*>(user);
    out->emplace_back(k, kl);
    return out->size() == 2 ? 1 : 0;
  };
  ASSERT_EQ(hostApi()->kv_scan(ctx->handle(), "job/", 4, visit, &seen, &err), BB_OK);
  EXPECT_EQ(seen, (std::vector<std::string>{"job/1", "job/2"}));
}

struct Received {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<std::string> payloads;
  std::vector<std::string> types;
};

void collect(void* user, const bb_event* e) {
  auto* r = static_cast<Received*>(user);
  std::lock_guard<std::mutex> lock(r->mutex);
  r->payloads.emplace_back(e->payload_json, e->payload_len);
  r->types.emplace_back(e->type);
  r->cv.notify_all();
}

TEST_F(HostApiTest, PublishAndSubscribeThroughTheBus) {
  auto ctx = context("notifier.a", "one", BB_KIND_NOTIFIER);
  Received received;
  uint64_t id = 0;
  bb_error err = error();
  ASSERT_EQ(hostApi()->subscribe(ctx->handle(), "print_started", &collect, &received, &id, &err), BB_OK);
  std::string payload = R"({"printer_id":1})";
  ASSERT_EQ(hostApi()->publish(ctx->handle(), "print_started", payload.data(), payload.size(), 1, &err),
            BB_OK);
  ASSERT_EQ(hostApi()->publish(ctx->handle(), "other", payload.data(), payload.size(), 1, &err), BB_OK);
  ASSERT_TRUE(bus().waitIdle(5000));
  std::lock_guard<std::mutex> lock(received.mutex);
  ASSERT_EQ(received.payloads.size(), 1u);
  EXPECT_EQ(received.payloads[0], payload);
  EXPECT_EQ(received.types[0], "print_started");
}

TEST_F(HostApiTest, PublishRejectsNonObjectPayloadAndEmptyTopic) {
  auto ctx = context("notifier.a", "one", BB_KIND_NOTIFIER);
  bb_error err = error();
  EXPECT_EQ(hostApi()->publish(ctx->handle(), "t", "[1]", 3, 1, &err), BB_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(err.reason, "invalid_payload");
  EXPECT_EQ(hostApi()->publish(ctx->handle(), "", "{}", 2, 1, &err), BB_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(err.reason, "invalid_topic");
}

TEST_F(HostApiTest, UnsubscribeOnlyOwnSubscriptions) {
  auto mine = context("notifier.a", "one", BB_KIND_NOTIFIER);
  auto theirs = context("notifier.b", "one", BB_KIND_NOTIFIER);
  Received received;
  uint64_t id = 0;
  bb_error err = error();
  ASSERT_EQ(hostApi()->subscribe(mine->handle(), "*", &collect, &received, &id, &err), BB_OK);
  EXPECT_EQ(hostApi()->unsubscribe(theirs->handle(), id, &err), BB_ERR_NOT_FOUND);
  EXPECT_EQ(hostApi()->unsubscribe(mine->handle(), id, &err), BB_OK);
  EXPECT_EQ(hostApi()->unsubscribe(mine->handle(), id, &err), BB_ERR_NOT_FOUND);
  ASSERT_EQ(hostApi()->publish(theirs->handle(), "x", "{}", 2, 1, &err), BB_OK);
  ASSERT_TRUE(bus().waitIdle(5000));
  std::lock_guard<std::mutex> lock(received.mutex);
  EXPECT_TRUE(received.payloads.empty());
}

TEST_F(HostApiTest, DropSubscriptionsRemovesEveryOneOfTheInstance) {
  auto ctx = context("notifier.a", "one", BB_KIND_NOTIFIER);
  Received received;
  uint64_t id = 0;
  bb_error err = error();
  ASSERT_EQ(hostApi()->subscribe(ctx->handle(), "a", &collect, &received, &id, &err), BB_OK);
  ASSERT_EQ(hostApi()->subscribe(ctx->handle(), "b", &collect, &received, &id, &err), BB_OK);
  dropSubscriptions(*ctx);
  ASSERT_EQ(hostApi()->publish(ctx->handle(), "a", "{}", 2, 1, &err), BB_OK);
  ASSERT_EQ(hostApi()->publish(ctx->handle(), "b", "{}", 2, 1, &err), BB_OK);
  ASSERT_TRUE(bus().waitIdle(5000));
  std::lock_guard<std::mutex> lock(received.mutex);
  EXPECT_TRUE(received.payloads.empty());
}

TEST_F(HostApiTest, ReportStatusOnlyForPrinterDrivers) {
  auto driver = context("printer.a", "p1", BB_KIND_PRINTER_DRIVER);
  auto store = context("storage.a", "s", BB_KIND_STORAGE);
  Received received;
  uint64_t id = 0;
  bb_error err = error();
  ASSERT_EQ(hostApi()->subscribe(store->handle(), "printer_status_reported", &collect, &received, &id, &err),
            BB_OK);
  std::string status = R"({"state":"idle"})";
  EXPECT_EQ(hostApi()->report_status(store->handle(), status.data(), status.size(), &err),
            BB_ERR_UNSUPPORTED);
  EXPECT_EQ(hostApi()->report_status(driver->handle(), "nope", 4, &err), BB_ERR_INVALID_ARGUMENT);
  ASSERT_EQ(hostApi()->report_status(driver->handle(), status.data(), status.size(), &err), BB_OK);
  ASSERT_TRUE(bus().waitIdle(5000));
  std::lock_guard<std::mutex> lock(received.mutex);
  ASSERT_EQ(received.payloads.size(), 1u);
  auto payload = nlohmann::json::parse(received.payloads[0]);
  EXPECT_EQ(payload["instance"], "p1");
  EXPECT_EQ(payload["plugin"], "printer.a");
  EXPECT_EQ(payload["status"]["state"], "idle");
  dropSubscriptions(*store);
}

TEST_F(HostApiTest, TooDeepStatusIsDroppedWithOneLogLineAndTheDriverKeepsReporting) {
  auto driver = context("printer.a", "p1", BB_KIND_PRINTER_DRIVER);
  auto store = context("storage.a", "s", BB_KIND_STORAGE);
  Received received;
  uint64_t id = 0;
  bb_error err = error();
  ASSERT_EQ(hostApi()->subscribe(store->handle(), "printer_status_reported", &collect, &received, &id, &err),
            BB_OK);
  const std::string deep = "{\"state\":" + std::string(200000, '[') + std::string(200000, ']') + "}";
  for (int i = 0; i < 100; ++i) {
    err = error();
    ASSERT_EQ(hostApi()->report_status(driver->handle(), deep.data(), deep.size(), &err),
              BB_ERR_INVALID_ARGUMENT);
    EXPECT_STREQ(err.reason, "json_too_deep");
  }
  EXPECT_NE(std::string(err.message).find("deeper than 64 levels"), std::string::npos) << err.message;
  // Exactly 64 levels are still a status.
  const std::string at_limit = "{\"state\":" + std::string(63, '[') + std::string(63, ']') + "}";
  ASSERT_EQ(hostApi()->report_status(driver->handle(), at_limit.data(), at_limit.size(), &err), BB_OK);
  const std::string fine = R"({"state":"idle"})";
  ASSERT_EQ(hostApi()->report_status(driver->handle(), fine.data(), fine.size(), &err), BB_OK);
  ASSERT_TRUE(bus().waitIdle(5000));
  {
    std::lock_guard<std::mutex> lock(received.mutex);
    ASSERT_EQ(received.payloads.size(), 2u);
    EXPECT_EQ(nlohmann::json::parse(received.payloads[1])["status"]["state"], "idle");
  }
  // One warning for the flood (the clock stands still, so all 100 fall in the same minute).
  std::string text = log();
  size_t lines = 0;
  for (size_t at = text.find("past the limits"); at != std::string::npos;
       at = text.find("past the limits", at + 1)) {
    ++lines;
  }
  EXPECT_EQ(lines, 1u) << text;
  EXPECT_NE(text.find("WARN [plugin:printer.a/p1] dropped 1 JSON document(s)"), std::string::npos) << text;
  dropSubscriptions(*store);
}

TEST_F(HostApiTest, PublishRefusesTooDeepAndTooLargePayloads) {
  auto ctx = context("notifier.a", "one", BB_KIND_NOTIFIER);
  bb_error err = error();
  const std::string deep = std::string(65, '[') + std::string(65, ']');
  const std::string deep_object = "{\"a\":" + deep + "}";
  EXPECT_EQ(hostApi()->publish(ctx->handle(), "x.y", deep_object.data(), deep_object.size(), 1, &err),
            BB_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(err.reason, "json_too_deep");
  const std::string big = "{\"a\":\"" + std::string(2 * 1024 * 1024, 'x') + "\"}";
  err = error();
  EXPECT_EQ(hostApi()->publish(ctx->handle(), "x.y", big.data(), big.size(), 1, &err),
            BB_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(err.reason, "json_too_large");
}

TEST_F(HostApiTest, KvRefusesValuesNestedPastTheLimit) {
  auto ctx = context("storage.a", "one", BB_KIND_STORAGE);
  bb_error err = error();
  const std::string deep = std::string(65, '[') + std::string(65, ']');
  EXPECT_EQ(hostApi()->kv_put(ctx->handle(), "k", 1, deep.data(), deep.size(), &err),
            BB_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(err.message).find("deeper than 64 levels"), std::string::npos) << err.message;
  const std::string ok = std::string(64, '[') + std::string(64, ']');
  EXPECT_EQ(hostApi()->kv_put(ctx->handle(), "k", 1, ok.data(), ok.size(), &err), BB_OK);
}

TEST_F(HostApiTest, DataDirAndClock) {
  auto ctx = context("storage.a", "one", BB_KIND_STORAGE);
  EXPECT_EQ(std::string(hostApi()->data_dir(ctx->handle())), core_.dir().path());
  EXPECT_EQ(hostApi()->now_ms(ctx->handle()), 1705329000000);
}

} // namespace host_api_test
} // namespace bambuddy::plugins
