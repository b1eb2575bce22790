// StaticSite: which files of a web build are loaded, and how bad builds are refused.
#include "support/temp_dir.h"
#include "web/static_site.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>

namespace bambuddy::web {
namespace static_site_test {

using testing::TempDir;

TEST(StaticSiteTest, LoadsIndexTopLevelFilesAndAssets) {
  TempDir dir;
  dir.write("index.html", "<!doctype html><title>x</title>");
  dir.write("favicon.svg", "<svg/>");
  dir.write("assets/index-abc123.js", "console.log(1)");
  dir.write("assets/index-abc123.css", "body{}");
  StaticSite site = StaticSite::load(dir.path(), 1 << 20);

  ASSERT_NE(site.find("/"), nullptr);
  EXPECT_EQ(site.find("/")->body, "<!doctype html><title>x</title>");
  EXPECT_EQ(site.find("/index.html"), site.find("/"));
  EXPECT_EQ(site.find("/index.html")->content_type, "text/html; charset=utf-8");
  EXPECT_FALSE(site.find("/index.html")->immutable) << "index.html must be revalidated";
  ASSERT_NE(site.find("/assets/index-abc123.js"), nullptr);
  EXPECT_EQ(site.find("/assets/index-abc123.js")->content_type, "text/javascript; charset=utf-8");
  EXPECT_TRUE(site.find("/assets/index-abc123.js")->immutable);
  EXPECT_EQ(site.find("/favicon.svg")->content_type, "image/svg+xml");
  EXPECT_EQ(site.fileCount(), 4u);
  EXPECT_EQ(site.topLevelPaths(), (std::vector<std::string>{"/favicon.svg", "/index.html"}));
  EXPECT_EQ(site.find("/missing.js"), nullptr);
  EXPECT_EQ(site.find("/assets/../index.html"), nullptr) << "no path arithmetic: only exact names";
}

TEST(StaticSiteTest, EtagFollowsContent) {
  TempDir a;
  a.write("index.html", "one");
  TempDir b;
  b.write("index.html", "two");
  std::string etag_a = StaticSite::load(a.path(), 1024).find("/")->etag;
  EXPECT_EQ(etag_a, StaticSite::load(a.path(), 1024).find("/")->etag);
  EXPECT_NE(etag_a, StaticSite::load(b.path(), 1024).find("/")->etag);
  EXPECT_EQ(etag_a.front(), '"');
  EXPECT_EQ(etag_a.back(), '"');
}

TEST(StaticSiteTest, SkipsHiddenDotlessNestedAndLinkedFiles) {
  TempDir dir;
  TempDir outside;
  dir.write("index.html", "x");
  dir.write(".env", "SECRET=1");
  dir.write("health", "would shadow an API path");
  dir.write("sub/page.html", "nested folders other than assets are not served");
  dir.write("assets/deep/x.js", "nested below assets");
  dir.write("bad name.js", "space in name");
  std::string secret = outside.write("secret.txt", "outside the root");
  std::filesystem::create_symlink(secret, dir.file("linked.txt"));
  std::filesystem::create_symlink(secret, dir.file("assets-link.txt"));
  StaticSite site = StaticSite::load(dir.path(), 1 << 20);
  EXPECT_EQ(site.fileCount(), 1u);
  EXPECT_EQ(site.find("/.env"), nullptr);
  EXPECT_EQ(site.find("/health"), nullptr);
  EXPECT_EQ(site.find("/linked.txt"), nullptr);
}

TEST(StaticSiteTest, RefusesMissingIndexAndOversizedBuild) {
  TempDir empty;
  try {
    StaticSite::load(empty.path(), 1024);
    FAIL() << "a root without index.html must be refused";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no index.html in " + empty.path()), std::string::npos) << e.what();
  }
  TempDir big;
  big.write("index.html", std::string(600, 'x'));
  big.write("assets/a.js", std::string(600, 'y'));
  try {
    StaticSite::load(big.path(), 1000);
    FAIL() << "a build over the size bound must be refused";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("exceed 1000 bytes"), std::string::npos) << e.what();
  }
}

TEST(StaticSiteTest, RefusesALinkedIndex) {
  TempDir outside;
  TempDir dir;
  std::filesystem::create_symlink(outside.write("index.html", "x"), dir.file("index.html"));
  try {
    StaticSite::load(dir.path(), 1024);
    FAIL() << "a linked index.html would load but never be served";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("must be a regular file"), std::string::npos) << e.what();
  }
}

TEST(StaticSiteTest, ContentTypes) {
  EXPECT_EQ(contentTypeFor("a.JS"), "text/javascript; charset=utf-8");
  EXPECT_EQ(contentTypeFor("a.png"), "image/png");
  EXPECT_EQ(contentTypeFor("a.woff2"), "font/woff2");
  EXPECT_EQ(contentTypeFor("README"), "application/octet-stream");
  EXPECT_EQ(contentTypeFor("x.unknown"), "application/octet-stream");
}

} // namespace static_site_test
} // namespace bambuddy::web
