// What reaches kv: one document per key (never the key), survival across restarts, and usage
// written in batches rather than per request.
#include "apikey_test_util.h"

#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

namespace bambuddy::auth_apikey::test {
namespace persistence_test {

class Persistence : public ApiKeyTest {};

TEST_F(Persistence, StoredDocumentsHoldDigestsNeverKeys) {
  start();
  json k = createKey({{"name", "n"}, {"permissions", {"statistics:read"}}});
  std::string key = k["key"];
  auto kv = host_.kv();
  std::string id = std::to_string(k["id"].get<int64_t>());
  ASSERT_TRUE(kv.count("auth.apikey/key/" + id));
  ASSERT_TRUE(kv.count("auth.apikey/meta"));
  json doc = json::parse(kv["auth.apikey/key/" + id]);
  EXPECT_EQ(doc["digest"].get<std::string>().size(), 64u);
  EXPECT_EQ(doc["prefix"], key.substr(0, 8));
  EXPECT_EQ(doc["last4"], key.substr(42));
  EXPECT_EQ(doc["permissions"], json({"statistics:read"}));
  for (const char* field : {"id", "name", "digest", "prefix", "last4", "permissions", "enabled", "created_at",
                            "expires_at", "allowed_ips", "rate_limits", "last_used_at", "last_used_ip",
                            "request_count", "previous_digest", "previous_valid_until"}) {
    EXPECT_TRUE(doc.contains(field)) << field;
  }
  // Neither the key nor any 12-character piece of its random part is stored anywhere.
  std::string all = allKvText();
  for (size_t i = 3; i + 12 <= key.size(); ++i) {
    EXPECT_EQ(all.find(key.substr(i, 12)), std::string::npos) << "piece at " << i;
  }
  std::string rotated = call("POST", "/api/v1/api-keys/" + id + "/rotate", "").body["key"];
  expectSecretNowhere(rotated);
  expectSecretNowhere(adminKey());
}

TEST_F(Persistence, KeysSurviveARestartWithTheirState) {
  start();
  json a = createKey({{"name", "a"}, {"allowed_ips", {"10.0.0.0/8"}}});
  json b = createKey({{"name", "b"}});
  json c = createKey({{"name", "c"}});
  std::string rotated = call("POST", "/api/v1/api-keys/" + std::to_string(b["id"].get<int64_t>()) + "/rotate",
                             R"({"grace_period_s":100})")
                            .body["key"];
  ASSERT_EQ(call("DELETE", "/api/v1/api-keys/" + std::to_string(c["id"].get<int64_t>())).status, 204);
  ASSERT_EQ(authenticate(a["key"].get<std::string>(), {}, "10.2.3.4").rc, BB_AUTH_OK);

  start(); // a new instance on the same host
  EXPECT_EQ(authenticate(a["key"].get<std::string>(), {}, "10.2.3.4").rc, BB_AUTH_OK);
  EXPECT_EQ(authenticate(a["key"].get<std::string>(), {}, "192.0.2.1").reason, "ip_not_allowed");
  EXPECT_EQ(authenticate(b["key"].get<std::string>()).rc, BB_AUTH_OK); // still in its grace period
  EXPECT_EQ(authenticate(rotated).rc, BB_AUTH_OK);
  EXPECT_EQ(authenticate(c["key"].get<std::string>()).reason, "invalid_api_key");
  host_.setNowMs(1705329000000 + 100000);
  EXPECT_EQ(authenticate(b["key"].get<std::string>()).reason, "invalid_api_key");

  // Usage written by the final flush of the first instance.
  json got = call("GET", "/api/v1/api-keys/" + std::to_string(a["id"].get<int64_t>())).body;
  EXPECT_EQ(got["request_count"], 2);
  EXPECT_EQ(got["last_used_ip"], "10.2.3.4");
  EXPECT_EQ(got["last_used_at"], "2024-01-15T14:30:00Z");

  // Ids keep increasing, also past a deleted last key.
  json d = createKey({{"name", "d"}});
  EXPECT_GT(d["id"].get<int64_t>(), c["id"].get<int64_t>());
  EXPECT_EQ(call("GET", "/api/v1/api-keys").body["total"], 4); // admin, a, b, d
}

TEST_F(Persistence, UnreadableDocumentsAreSkippedNotFatal) {
  start();
  json a = createKey({{"name", "a"}});
  stop();
  // FakeHost has no raw kv setter: write through its host API with a context of the same plugin
  // name (kv is namespaced by plugin name, as in the server).
  bambuddy::testing::FakeHost::Ctx raw;
  raw.host = &host_;
  raw.plugin_name = "auth.apikey";
  raw.instance_id = "raw";
  bb_error err = sdk::detail::makeError();
  std::string bad = R"({"id":77,"name":"x"})";
  ASSERT_EQ(
      host_.api()->kv_put(reinterpret_cast<bb_host_ctx*>(&raw), "key/77", 6, bad.data(), bad.size(), &err),
      BB_OK);
  start();
  EXPECT_EQ(authenticate(a["key"].get<std::string>()).rc, BB_AUTH_OK);
  EXPECT_TRUE(host_.logged("skipping unreadable API key document 'key/77'"));
}

// A host API whose kv_put records when each document was written, forwarding to the FakeHost.
struct CountingCtx : bambuddy::testing::FakeHost::Ctx {
  std::mutex mutex;
  std::vector<std::pair<std::string, std::chrono::steady_clock::time_point>> puts;
  const bb_host_api* inner = nullptr;

  size_t putsOf(const std::string& key) {
    std::lock_guard<std::mutex> lock(mutex);
    size_t n = 0;
    for (const auto& p : puts) {
      n += p.first == key ? 1 : 0;
    }
    return n;
  }
  std::vector<std::chrono::steady_clock::time_point> timesOf(const std::string& key) {
    std::lock_guard<std::mutex> lock(mutex);
    std::vector<std::chrono::steady_clock::time_point> out;
    for (const auto& p : puts) {
      if (p.first == key) {
        out.push_back(p.second);
      }
    }
    return out;
  }
  static int32_t kvPut(bb_host_ctx* ctx, const char* key, size_t key_len, const char* value, size_t len,
                       bb_error* err) {
    auto* self = static_cast<CountingCtx*>(reinterpret_cast<bambuddy::testing::FakeHost::Ctx*>(ctx));
    {
      std::lock_guard<std::mutex> lock(self->mutex);
      self->puts.emplace_back(std::string(key, key_len), std::chrono::steady_clock::now());
    }
    return self->inner->kv_put(ctx, key, key_len, value, len, err);
  }
};

bool waitFor(const std::function<bool()>& condition, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

TEST_F(Persistence, UsageIsWrittenInBatchesAtMostOncePerInterval) {
  constexpr int64_t kIntervalMs = 1000;
  bb_host_api api = *host_.api();
  api.kv_put = &CountingCtx::kvPut;
  CountingCtx ctx;
  ctx.host = &host_;
  ctx.plugin_name = "auth.apikey";
  ctx.instance_id = "counted";
  ctx.kind = BB_KIND_AUTH;
  ctx.data_dir = tmp_.path() + "/counted";
  ctx.inner = host_.api();
  std::string config = R"({"usage_flush_interval_ms":1000})";
  void* self = nullptr;
  bb_error err = sdk::detail::makeError();
  const bb_plugin_descriptor* d = descriptor();
  ASSERT_EQ(d->create(&api,
                      reinterpret_cast<bb_host_ctx*>(static_cast<bambuddy::testing::FakeHost::Ctx*>(&ctx)),
                      config.data(), config.size(), "{}", 2, &self, &err),
            BB_OK)
      << err.message;
  auto auth = [&](const std::string& key) {
    bb_auth_request req{};
    req.struct_size = sizeof req;
    req.client_ip = "192.0.2.5";
    req.api_key_header = key.data();
    req.api_key_header_len = key.size();
    bb_principal p{};
    p.struct_size = sizeof p;
    bb_error e = sdk::detail::makeError();
    return d->ops == nullptr ? -1 : static_cast<const bb_auth_ops*>(d->ops)->authenticate(self, &req, &p, &e);
  };

  auto created = host_.callRoute("POST", "/api/v1/api-keys", R"({"name":"busy"})");
  ASSERT_EQ(created.status, 201);
  json k = json::parse(created.body);
  std::string key = k["key"];
  std::string doc = "key/" + std::to_string(k["id"].get<int64_t>());
  size_t base = ctx.putsOf(doc); // the creation write
  int total = 0;
  for (size_t round = 1; round <= 3; ++round) {
    for (int i = 0; i < 2000; ++i, ++total) {
      ASSERT_EQ(auth(key), BB_AUTH_OK);
    }
    ASSERT_TRUE(waitFor([&] { return ctx.putsOf(doc) >= base + round; }, 5000)) << "round " << round;
  }
  auto times = ctx.timesOf(doc);
  times.erase(times.begin(), times.begin() + static_cast<long>(base));
  ASSERT_GE(times.size(), 3u);
  for (size_t i = 1; i < times.size(); ++i) {
    auto gap_ms = std::chrono::duration_cast<std::chrono::milliseconds>(times[i] - times[i - 1]).count();
    EXPECT_GE(gap_ms, kIntervalMs - 5) << "two usage writes of one key within one interval";
  }
  // 6000 requests cost a handful of writes, not thousands; the unused admin key none.
  EXPECT_LE(ctx.putsOf(doc), base + 4);
  EXPECT_EQ(ctx.putsOf("key/1"), 1u); // only its creation by the bootstrap

  // The final flush on destroy saves what the last interval counted.
  for (int i = 0; i < 7; ++i, ++total) {
    ASSERT_EQ(auth(key), BB_AUTH_OK);
  }
  d->destroy(self);
  json stored = json::parse(host_.kv()["auth.apikey/" + doc]);
  EXPECT_EQ(stored["request_count"], total);
  EXPECT_EQ(stored["last_used_ip"], "192.0.2.5");
  EXPECT_EQ(stored["last_used_at"], "2024-01-15T14:30:00.000Z");
}

// Several server instances share the kv store: when another instance deletes, restores or creates
// a key (the host's kv_changed event names this plugin, or "*" after an outage), this instance's
// index follows at once; events about other namespaces change nothing.
TEST_F(Persistence, KeysChangedByAnotherInstanceCountHereAfterKvChanged) {
  start();
  json k = createKey({{"name", "shared"}});
  const std::string key = k["key"];
  const std::string doc_key = "auth.apikey/key/" + std::to_string(k["id"].get<int64_t>());
  const std::string doc = host_.kv()[doc_key];
  ASSERT_EQ(authenticate(key).rc, BB_AUTH_OK);

  ASSERT_TRUE(host_.eraseKvDocument(doc_key)); // deleted on the other instance
  host_.emit("kv_changed", R"({"namespace":"notifier.webhook"})");
  EXPECT_EQ(authenticate(key).rc, BB_AUTH_OK) << "another plugin's namespace changes nothing here";
  host_.emit("kv_changed", R"({"namespace":"auth.apikey"})");
  EXPECT_EQ(authenticate(key).reason, "invalid_api_key") << "a key deleted elsewhere is refused at once";

  host_.putKvDocument(doc_key, doc); // made (again) on the other instance
  host_.emit("kv_changed", R"({"namespace":"*"})");
  EXPECT_EQ(authenticate(key).rc, BB_AUTH_OK);
  json listed = call("GET", "/api/v1/api-keys").body;
  EXPECT_EQ(listed["total"].get<int64_t>(), 2) << "the admin key and the shared one";
  // A key made here afterwards never takes the id of one made elsewhere.
  json next = createKey({{"name", "after"}});
  EXPECT_GT(next["id"].get<int64_t>(), k["id"].get<int64_t>());
}

// Another instance numbered a key that this one has not heard of yet (its kv_changed is still on
// the way): a key made here takes the next free id instead of overwriting that one.
TEST_F(Persistence, AKeyMadeHereNeverOverwritesOneAnotherInstanceJustMade) {
  start();
  json k = createKey({{"name", "here"}});
  const int64_t elsewhere_id = k["id"].get<int64_t>() + 1;
  json doc = json::parse(host_.kv()["auth.apikey/key/" + std::to_string(k["id"].get<int64_t>())]);
  doc["id"] = elsewhere_id;
  doc["name"] = "elsewhere";
  doc["digest"] = std::string(64, 'a');
  const std::string elsewhere_key = "auth.apikey/key/" + std::to_string(elsewhere_id);
  host_.putKvDocument(elsewhere_key, doc.dump());

  json next = createKey({{"name", "next"}});
  EXPECT_EQ(next["id"].get<int64_t>(), elsewhere_id + 1);
  EXPECT_EQ(json::parse(host_.kv()[elsewhere_key])["name"], "elsewhere")
      << "left as the other instance wrote it";
}

} // namespace persistence_test
} // namespace bambuddy::auth_apikey::test
