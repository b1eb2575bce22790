// Shared fixture for the auth.apikey tests: a FakeHost in a temp dir, the plugin created through
// its real descriptor, and helpers for authenticate() and the routes.
#pragma once

#include "support/server_body_checker.h"
#include "support/temp_dir.h"

#include <bambuddy/abi.h>
#include <bambuddy/sdk.hpp>
#include <bambuddy/testing/fake_host.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

extern "C" const bb_plugin_descriptor* bb_plugin_query(uint32_t host_abi_major, uint32_t host_abi_minor);

namespace bambuddy::auth_apikey::test {

using nlohmann::json;

inline const bb_plugin_descriptor* descriptor() {
  return bb_plugin_query(BB_ABI_MAJOR, BB_ABI_MINOR);
}

struct AuthOutcome {
  int32_t rc = -1;
  std::string reason;
  std::string message;
  bb_principal principal{};
};

struct Response {
  int status = 0;
  std::string text;
  json body;
};

class ApiKeyTest : public ::testing::Test {
protected:
  ApiKeyTest() : host_(tmp_.path() + "/instances") {
    server_dir_ = tmp_.path() + "/server";
    std::filesystem::create_directories(server_dir_);
    host_.setServerDataDir(server_dir_);
    // The routes' declared bodies are checked as the server checks them.
    host_.setBodyChecker(bambuddy::testing::serverBodyChecker());
  }

  void SetUp() override { ::unsetenv("BAMBUDDY_ADMIN_KEY"); }
  void TearDown() override { ::unsetenv("BAMBUDDY_ADMIN_KEY"); }

  // (Re)creates the plugin instance on the same host; kv survives.
  void start(const std::string& config = "{}") {
    instance_.reset();
    instance_ = host_.create(descriptor(), config, "{}", "apikey");
  }
  void stop() { instance_.reset(); }

  std::string adminKeyPath() const { return server_dir_ + "/admin-api-key"; }
  std::string adminKey() const {
    std::string text = bambuddy::testing::readFile(adminKeyPath());
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
      text.pop_back();
    }
    return text;
  }

  AuthOutcome authenticate(std::optional<std::string> api_key, std::optional<std::string> authorization = {},
                           const std::string& client_ip = "127.0.0.1") {
    bb_auth_request req{};
    req.struct_size = sizeof req;
    req.method = "GET";
    req.path = "/api/v1/printers";
    req.client_ip = client_ip.c_str();
    if (api_key) {
      req.api_key_header = api_key->data();
      req.api_key_header_len = api_key->size();
    }
    if (authorization) {
      req.authorization_header = authorization->data();
      req.authorization_header_len = authorization->size();
    }
    AuthOutcome out;
    out.principal.struct_size = sizeof out.principal;
    bb_error err = sdk::detail::makeError();
    out.rc = instance_->ops<bb_auth_ops>()->authenticate(instance_->self(), &req, &out.principal, &err);
    out.reason = err.reason;
    out.message = err.message;
    return out;
  }

  Response call(const std::string& method, const std::string& path, const std::string& body = "",
                const std::map<std::string, std::string>& query = {},
                const sdk::Principal& principal = bambuddy::testing::FakeHost::adminPrincipal(),
                const std::string& client_ip = "127.0.0.1") {
    auto r = host_.callRoute(method, path, body, principal, client_ip, query);
    Response out;
    out.status = r.status;
    out.text = r.body;
    out.body = r.body.empty() ? json() : json::parse(r.body, nullptr, false);
    return out;
  }

  // Creates a key through POST /api-keys and returns the 201 body (with "key").
  json createKey(const json& body) {
    Response r = call("POST", "/api/v1/api-keys", body.dump());
    EXPECT_EQ(r.status, 201) << r.text;
    return r.body;
  }

  // Every kv document of the plugin, concatenated, for "no secret stored" checks.
  std::string allKvText() const {
    std::string all;
    for (const auto& [k, v] : host_.kv()) {
      all += k + "=" + v + "\n";
    }
    return all;
  }
  std::string allLogText() const {
    std::string all;
    for (const auto& l : host_.logs()) {
      all += l.message + "\n";
    }
    return all;
  }
  std::string allEventText() const {
    std::string all;
    for (const auto& e : host_.published()) {
      all += e.topic + " " + e.payload_json + "\n";
    }
    return all;
  }
  void expectSecretNowhere(const std::string& key) {
    ASSERT_FALSE(key.empty());
    EXPECT_EQ(allKvText().find(key), std::string::npos) << "key stored in kv";
    EXPECT_EQ(allLogText().find(key), std::string::npos) << "key logged";
    EXPECT_EQ(allEventText().find(key), std::string::npos) << "key published";
  }

  bambuddy::testing::TempDir tmp_;
  std::string server_dir_;
  bambuddy::testing::FakeHost host_;
  std::unique_ptr<bambuddy::testing::FakeHost::Instance> instance_;
};

} // namespace bambuddy::auth_apikey::test
