// printer_ids: the printers a key may see and control. Set on create and edit, kept by rotate,
// shown in every answer, carried into the principal, validated before anything changes, and
// written into documents stored before the field existed (schema 1 -> 2).
#include "apikey_test_util.h"

#include <vector>

namespace bambuddy::auth_apikey::test {
namespace printer_ids_test {

class PrinterIds : public ApiKeyTest {
protected:
  std::vector<int64_t> principalPrinters(const std::string& key) {
    AuthOutcome a = authenticate(key);
    EXPECT_EQ(a.rc, BB_AUTH_OK) << a.message;
    return std::vector<int64_t>(a.principal.printer_ids, a.principal.printer_ids + a.principal.printer_count);
  }
  // Writes a raw document into the plugin's kv, as an older version would have left it.
  void putRaw(const std::string& key, const std::string& value) {
    bambuddy::testing::FakeHost::Ctx raw;
    raw.host = &host_;
    raw.plugin_name = "auth.apikey";
    raw.instance_id = "raw";
    bb_error err = sdk::detail::makeError();
    ASSERT_EQ(host_.api()->kv_put(reinterpret_cast<bb_host_ctx*>(&raw), key.data(), key.size(), value.data(),
                                  value.size(), &err),
              BB_OK);
  }
};

TEST_F(PrinterIds, CreateStoresSortedListAndThePrincipalCarriesIt) {
  start();
  json created = createKey({{"name", "farm A"}, {"permissions", {"printers:read"}}, {"printer_ids", {2, 1}}});
  EXPECT_EQ(created["printer_ids"], json({1, 2}));
  EXPECT_EQ(principalPrinters(created["key"]), (std::vector<int64_t>{1, 2}));
  std::string id = std::to_string(created["id"].get<int64_t>());
  EXPECT_EQ(call("GET", "/api/v1/api-keys/" + id).body["printer_ids"], json({1, 2}));
  Response list = call("GET", "/api/v1/api-keys");
  EXPECT_EQ(list.body["items"][1]["printer_ids"], json({1, 2})) << list.text;
  EXPECT_TRUE(list.body["items"][0]["printer_ids"].is_null()) << "the bootstrap admin key: every printer";
}

TEST_F(PrinterIds, AbsentOrNullMeansEveryPrinter) {
  start();
  json a = createKey({{"name", "a"}, {"permissions", {"printers:read"}}});
  json b = createKey({{"name", "b"}, {"permissions", {"printers:read"}}, {"printer_ids", nullptr}});
  EXPECT_TRUE(a["printer_ids"].is_null());
  EXPECT_TRUE(b["printer_ids"].is_null());
  EXPECT_TRUE(principalPrinters(a["key"]).empty()); // 0 printers in a principal = every printer
  EXPECT_TRUE(principalPrinters(b["key"]).empty());
}

TEST_F(PrinterIds, EditSetsChangesAndClearsTheList) {
  start();
  json created = createKey({{"name", "k"}, {"permissions", {"printers:read"}}});
  std::string path = "/api/v1/api-keys/" + std::to_string(created["id"].get<int64_t>());
  std::string key = created["key"];

  Response set = call("PATCH", path, R"({"printer_ids":[3]})");
  ASSERT_EQ(set.status, 200) << set.text;
  EXPECT_EQ(set.body["printer_ids"], json({3}));
  EXPECT_EQ(principalPrinters(key), (std::vector<int64_t>{3})) << "the very next request sees it";
  EXPECT_NE(allEventText().find("printer_ids"), std::string::npos) << "the change is audited";

  Response other = call("PATCH", path, R"({"name":"renamed"})");
  EXPECT_EQ(other.body["printer_ids"], json({3})) << "a PATCH without the field keeps it";

  Response cleared = call("PATCH", path, R"({"printer_ids":null})");
  EXPECT_TRUE(cleared.body["printer_ids"].is_null());
  EXPECT_TRUE(principalPrinters(key).empty());
}

TEST_F(PrinterIds, RotateKeepsTheList) {
  start();
  json created = createKey({{"name", "k"}, {"permissions", {"printers:read"}}, {"printer_ids", {5, 7}}});
  Response rotated =
      call("POST", "/api/v1/api-keys/" + std::to_string(created["id"].get<int64_t>()) + "/rotate", "{}");
  ASSERT_EQ(rotated.status, 201) << rotated.text;
  EXPECT_EQ(rotated.body["printer_ids"], json({5, 7}));
  EXPECT_EQ(principalPrinters(rotated.body["key"]), (std::vector<int64_t>{5, 7}));
  EXPECT_EQ(principalPrinters(created["key"]), (std::vector<int64_t>{5, 7})) << "old key in its grace period";
}

TEST_F(PrinterIds, BadListsAreRefusedAndChangeNothing) {
  start();
  json created = createKey({{"name", "k"}, {"permissions", {"printers:read"}}, {"printer_ids", {1}}});
  std::string path = "/api/v1/api-keys/" + std::to_string(created["id"].get<int64_t>());
  json too_many = json::array();
  for (int i = 1; i <= 65; ++i) {
    too_many.push_back(i);
  }
  const std::vector<std::pair<json, std::string>> cases = {
      {json::array(), "printer_ids: must have at least 1 item"},
      {json({1, 1}), "printer_ids: items must be unique"},
      {json({0}), "printer_ids[0]: must be >= 1"},
      {json({-4}), "printer_ids[0]: must be >= 1"},
      {json({1.5}), "printer_ids[0]: expected integer, got number"},
      {json({"1"}), "printer_ids[0]: expected integer, got string"},
      {json({nullptr}), "printer_ids[0]: expected integer, got null"},
      {json("1,2"), "printer_ids: expected array or null, got string"},
      {json({{"id", 1}}), "printer_ids: expected array or null, got object"},
      {json({int64_t{1} << 53}), "printer_ids[0]: must be <= 9007199254740991"},
      // Read by the validator as a 64-bit signed integer (-1), so refused by the minimum.
      {json::parse("[18446744073709551615]"), "printer_ids[0]: must be >= 1"},
      {too_many, "printer_ids: must have at most 64 items"},
  };
  size_t keys_before = call("GET", "/api/v1/api-keys").body["total"];
  for (const auto& [value, message] : cases) {
    json body = {{"name", "bad"}, {"printer_ids", value}};
    Response c = call("POST", "/api/v1/api-keys", body.dump());
    EXPECT_EQ(c.status, 400) << value.dump() << " " << c.text;
    EXPECT_EQ(c.body["code"], "invalid_printer_ids") << value.dump();
    EXPECT_NE(c.body["detail"].get<std::string>().find(message), std::string::npos) << c.text;
    Response p = call("PATCH", path, json({{"printer_ids", value}}).dump());
    EXPECT_EQ(p.status, 400) << value.dump() << " " << p.text;
  }
  EXPECT_EQ(call("GET", "/api/v1/api-keys").body["total"], keys_before) << "no key created";
  EXPECT_EQ(call("GET", path).body["printer_ids"], json({1})) << "the key unchanged";
  // 64 is the limit, not beyond it.
  too_many.erase(too_many.end() - 1);
  EXPECT_EQ(createKey({{"name", "64"}, {"printer_ids", too_many}})["printer_ids"].size(), 64u);
}

TEST_F(PrinterIds, AdminKeysCannotBeLimited) {
  start();
  Response c = call("POST", "/api/v1/api-keys",
                    json({{"name", "a"}, {"permissions", {"admin"}}, {"printer_ids", {1}}}).dump());
  EXPECT_EQ(c.status, 400) << c.text;
  EXPECT_EQ(c.body["code"], "invalid_printer_ids");
  // Neither by limiting an admin key nor by giving a limited key admin.
  json limited = createKey({{"name", "l"}, {"permissions", {"printers:read"}}, {"printer_ids", {1}}});
  std::string path = "/api/v1/api-keys/" + std::to_string(limited["id"].get<int64_t>());
  Response p = call("PATCH", path, R"({"permissions":["admin"]})");
  EXPECT_EQ(p.status, 400) << p.text;
  EXPECT_EQ(call("GET", path).body["permissions"], json({"printers:read"}));
  Response both = call("PATCH", path, R"({"permissions":["admin"],"printer_ids":null})");
  EXPECT_EQ(both.status, 200) << "lifting the limit in the same edit is fine: " << both.text;
}

TEST_F(PrinterIds, SurvivesARestart) {
  start();
  json created = createKey({{"name", "k"}, {"permissions", {"printers:read"}}, {"printer_ids", {4, 9}}});
  stop();
  start();
  EXPECT_EQ(principalPrinters(created["key"]), (std::vector<int64_t>{4, 9}));
}

TEST_F(PrinterIds, SchemaOneStoresAreMigrated) {
  start();
  json created = createKey({{"name", "old"}, {"permissions", {"printers:read"}}});
  int64_t id = created["id"];
  stop();
  // What the plugin wrote before printer_ids existed: no such field, meta without a schema.
  std::string kv_key = "auth.apikey/key/" + std::to_string(id);
  json old_doc = json::parse(host_.kv()[kv_key]);
  old_doc.erase("printer_ids");
  putRaw("key/" + std::to_string(id), old_doc.dump());
  putRaw("meta", json({{"next_id", id + 1}}).dump());

  start();
  EXPECT_TRUE(host_.logged("API key store migrated from schema 1 to 2"));
  json migrated = json::parse(host_.kv()[kv_key]);
  ASSERT_TRUE(migrated.contains("printer_ids"));
  EXPECT_TRUE(migrated["printer_ids"].is_null()) << "every printer, as the key had before";
  EXPECT_EQ(json::parse(host_.kv()["auth.apikey/meta"])["schema"], 2);
  EXPECT_TRUE(principalPrinters(created["key"]).empty());
  EXPECT_EQ(created["key"].get<std::string>().empty(), false);
  // The old key still authenticates with its old permissions, and a second start migrates nothing.
  EXPECT_EQ(call("GET", "/api/v1/api-keys/" + std::to_string(id)).body["permissions"],
            json({"printers:read"}));
  stop();
  size_t migrations = 0;
  start();
  for (const auto& l : host_.logs()) {
    migrations += l.message.find("migrated from schema") != std::string::npos;
  }
  EXPECT_EQ(migrations, 1u);
}

} // namespace printer_ids_test
} // namespace bambuddy::auth_apikey::test
