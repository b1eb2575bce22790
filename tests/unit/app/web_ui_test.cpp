// The web interface served by a fully started server: files, headers, caching, and what stays out
// of the API document.
#include "in_process_app.h"
#include "support/http_client.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>

namespace bambuddy::app {
namespace web_ui_test {

using testing::httpRequest;

class WebUiTest : public InProcessAppTest {
protected:
  void SetUp() override {
    web_.write("index.html", "<!doctype html><script type=module src=/assets/app-1.js></script>");
    web_.write("favicon.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>");
    web_.write("assets/app-1.js", "export const x = 1;");
    startApp("  web_root: " + web_.path() + "\n", "", LogLevel::Info);
  }
  testing::HttpResult get(const std::string& path,
                          std::vector<std::pair<std::string, std::string>> headers = {}) {
    return httpRequest("127.0.0.1", app_->port(), "GET", path, "", headers);
  }

  testing::TempDir web_;
};

TEST_F(WebUiTest, ServesIndexWithoutAKeyAndWithStrictHeaders) {
  auto r = get("/");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, testing::readFile(web_.file("index.html")));
  EXPECT_EQ(r.headers["content-type"], "text/html; charset=utf-8");
  EXPECT_NE(r.headers["content-security-policy"].find("script-src 'self'"), std::string::npos);
  EXPECT_NE(r.headers["content-security-policy"].find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(r.headers["x-content-type-options"], "nosniff");
  EXPECT_EQ(r.headers["x-frame-options"], "DENY");
  EXPECT_EQ(r.headers["cache-control"], "no-cache");
  EXPECT_EQ(get("/index.html").body, r.body);
  EXPECT_EQ(get("/favicon.svg").headers["content-type"], "image/svg+xml");
}

TEST_F(WebUiTest, AssetsAreImmutableAndRevalidationAnswers304) {
  auto r = get("/assets/app-1.js");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "export const x = 1;");
  EXPECT_EQ(r.headers["content-type"], "text/javascript; charset=utf-8");
  EXPECT_EQ(r.headers["cache-control"], "public, max-age=31536000, immutable");
  ASSERT_FALSE(r.headers["etag"].empty());
  auto again = get("/assets/app-1.js", {{"If-None-Match", r.headers["etag"]}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(get("/", {{"If-None-Match", "\"other\""}}).status, 200);
}

TEST_F(WebUiTest, UnknownFilesAndOtherMethodsAreRefused) {
  auto missing = get("/assets/nope.js");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(nlohmann::json::parse(missing.body)["code"], "not_found");
  EXPECT_EQ(get("/assets/..%2Findex.html").status, 404);
  EXPECT_EQ(get("/nope.html").status, 404);
  EXPECT_EQ(httpRequest("127.0.0.1", app_->port(), "POST", "/", "{}", {}).status, 405);
  EXPECT_EQ(get("/health").status, 200) << "the API keeps its own paths";
}

TEST_F(WebUiTest, WebFilesStayOutOfTheApiDocument) {
  auto r = get("/api/v1/openapi.json");
  ASSERT_EQ(r.status, 200);
  nlohmann::json doc = nlohmann::json::parse(r.body);
  EXPECT_FALSE(doc["paths"].contains("/"));
  EXPECT_FALSE(doc["paths"].contains("/assets/{file}"));
  EXPECT_TRUE(doc["paths"].contains("/health"));
}

} // namespace web_ui_test
} // namespace bambuddy::app
