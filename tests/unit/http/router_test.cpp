#include "http/router.h"

#include <atomic>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

namespace bambuddy::http {
namespace router_test {

RouteSpec route(Method method, std::string pattern, std::string summary = "") {
  RouteSpec spec;
  spec.method = method;
  spec.pattern = std::move(pattern);
  spec.summary = std::move(summary);
  spec.handler = [](const Request&) { return Response(); };
  return spec;
}

TEST(Router, MatchesLiteralRoute) {
  Router router;
  router.add(route(Method::Get, "/api/v1/printers", "list"));
  auto match = router.match(Method::Get, "/api/v1/printers");
  ASSERT_NE(match.route, nullptr);
  EXPECT_EQ(match.route->summary, "list");
  EXPECT_TRUE(match.params.empty());
  EXPECT_FALSE(match.path_matched_other_method);
}

TEST(Router, MatchesRootPattern) {
  Router router;
  router.add(route(Method::Get, "/", "root"));
  ASSERT_NE(router.match(Method::Get, "/").route, nullptr);
  EXPECT_EQ(router.match(Method::Get, "/x").route, nullptr);
}

TEST(Router, ExtractsAndDecodesParams) {
  Router router;
  router.add(route(Method::Get, "/api/v1/printers/{id}/files/{name}"));
  auto match = router.match(Method::Get, "/api/v1/printers/7/files/my%20benchy.3mf");
  ASSERT_NE(match.route, nullptr);
  EXPECT_EQ(match.params.at("id"), "7");
  EXPECT_EQ(match.params.at("name"), "my benchy.3mf");
}

TEST(Router, ParamWithBadEscapeDoesNotMatch) {
  Router router;
  router.add(route(Method::Get, "/a/{id}"));
  auto match = router.match(Method::Get, "/a/%zz");
  EXPECT_EQ(match.route, nullptr);
  EXPECT_FALSE(match.path_matched_other_method);
}

TEST(Router, LiteralIsCaseSensitive) {
  Router router;
  router.add(route(Method::Get, "/api/v1/printers"));
  EXPECT_EQ(router.match(Method::Get, "/API/v1/printers").route, nullptr);
}

TEST(Router, ToleratesOneTrailingSlash) {
  Router router;
  router.add(route(Method::Get, "/api/v1/printers"));
  router.add(route(Method::Get, "/api/v1/printers/{id}"));
  EXPECT_NE(router.match(Method::Get, "/api/v1/printers/").route, nullptr);
  auto match = router.match(Method::Get, "/api/v1/printers/3/");
  ASSERT_NE(match.route, nullptr);
  EXPECT_EQ(match.params.at("id"), "3");
  EXPECT_EQ(router.match(Method::Get, "/api/v1/printers//").route, nullptr);
}

TEST(Router, RejectsEmptySegmentsAndRelativePaths) {
  Router router;
  router.add(route(Method::Get, "/a/{id}/b"));
  EXPECT_EQ(router.match(Method::Get, "/a//b").route, nullptr);
  EXPECT_EQ(router.match(Method::Get, "a/1/b").route, nullptr);
  EXPECT_EQ(router.match(Method::Get, "").route, nullptr);
  EXPECT_EQ(router.match(Method::Get, "//a/1/b").route, nullptr);
}

TEST(Router, SegmentCountMustMatch) {
  Router router;
  router.add(route(Method::Get, "/a/{id}"));
  EXPECT_EQ(router.match(Method::Get, "/a").route, nullptr);
  EXPECT_EQ(router.match(Method::Get, "/a/1/2").route, nullptr);
}

TEST(Router, LiteralBeatsParameter) {
  Router router;
  router.add(route(Method::Get, "/printers/{id}", "by id"));
  router.add(route(Method::Get, "/printers/active", "active"));
  router.add(route(Method::Get, "/{kind}/active", "kind active"));
  EXPECT_EQ(router.match(Method::Get, "/printers/active").route->summary, "active");
  EXPECT_EQ(router.match(Method::Get, "/printers/12").route->summary, "by id");
  EXPECT_EQ(router.match(Method::Get, "/queue/active").route->summary, "kind active");
}

TEST(Router, LeftmostLiteralWins) {
  Router router;
  router.add(route(Method::Get, "/{a}/x", "param first"));
  router.add(route(Method::Get, "/y/{b}", "literal first"));
  EXPECT_EQ(router.match(Method::Get, "/y/x").route->summary, "literal first");
}

TEST(Router, WrongMethodReportsAllowedMethods) {
  Router router;
  router.add(route(Method::Get, "/api/v1/printers/{id}"));
  router.add(route(Method::Delete, "/api/v1/printers/{id}"));
  router.add(route(Method::Patch, "/api/v1/printers/{id}"));
  auto match = router.match(Method::Put, "/api/v1/printers/1");
  EXPECT_EQ(match.route, nullptr);
  EXPECT_TRUE(match.path_matched_other_method);
  std::vector<Method> expected{Method::Get, Method::Head, Method::Patch, Method::Delete};
  EXPECT_EQ(match.allowed, expected);
}

TEST(Router, AllowedIsFilledOnSuccessToo) {
  Router router;
  router.add(route(Method::Post, "/q"));
  auto match = router.match(Method::Post, "/q");
  ASSERT_NE(match.route, nullptr);
  EXPECT_EQ(match.allowed, std::vector<Method>{Method::Post});
}

TEST(Router, UnknownPathIsNotAMethodMismatch) {
  Router router;
  router.add(route(Method::Get, "/a"));
  auto match = router.match(Method::Get, "/b");
  EXPECT_EQ(match.route, nullptr);
  EXPECT_FALSE(match.path_matched_other_method);
  EXPECT_TRUE(match.allowed.empty());
}

TEST(Router, HeadUsesGetRoute) {
  Router router;
  router.add(route(Method::Get, "/health", "get"));
  auto match = router.match(Method::Head, "/health");
  ASSERT_NE(match.route, nullptr);
  EXPECT_EQ(match.route->summary, "get");
}

TEST(Router, ExplicitHeadRouteWins) {
  Router router;
  router.add(route(Method::Get, "/health", "get"));
  router.add(route(Method::Head, "/health", "head"));
  EXPECT_EQ(router.match(Method::Head, "/health").route->summary, "head");
  EXPECT_EQ(router.match(Method::Get, "/health").route->summary, "get");
}

TEST(Router, HeadWithoutGetIsMethodMismatch) {
  Router router;
  router.add(route(Method::Post, "/x"));
  auto match = router.match(Method::Head, "/x");
  EXPECT_EQ(match.route, nullptr);
  EXPECT_TRUE(match.path_matched_other_method);
}

TEST(Router, RejectsDuplicates) {
  Router router;
  router.add(route(Method::Get, "/a/{id}"));
  EXPECT_THROW(router.add(route(Method::Get, "/a/{id}")), std::invalid_argument);
  try {
    router.add(route(Method::Get, "/a/{other}"));
    FAIL() << "same shape accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "duplicate route GET /a/{other} (same shape as /a/{id})");
  }
  EXPECT_NO_THROW(router.add(route(Method::Post, "/a/{id}")));
  EXPECT_EQ(router.size(), 2u);
}

TEST(Router, RejectsMalformedPatterns) {
  Router router;
  for (const char* bad : {"", "api", "/a/", "/a//b", "/a/{", "/a/{}", "/a/x{id}", "/a/{id}x", "/a/{1d}",
                          "/a/{i-d}", "/a/{id}/{id}", "/a b", "/a?b", "/a/%20", "/a/{id"}) {
    EXPECT_THROW(router.add(route(Method::Get, bad)), std::invalid_argument) << bad;
  }
  EXPECT_EQ(router.size(), 0u);
}

TEST(Router, MalformedPatternMessageNamesThePattern) {
  Router router;
  try {
    router.add(route(Method::Get, "/a/{1d}"));
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(
        e.what(),
        "invalid route pattern \"/a/{1d}\": parameter name \"1d\" must match [A-Za-z_][A-Za-z0-9_]*");
  }
}

TEST(Router, RejectsMissingHandler) {
  Router router;
  RouteSpec spec = route(Method::Get, "/a");
  spec.handler = nullptr;
  EXPECT_THROW(router.add(spec), std::invalid_argument);
}

TEST(Router, RoutesKeepsRegistrationOrderAndFields) {
  Router router;
  RouteSpec a = route(Method::Get, "/b", "first");
  a.permission = "settings:read";
  a.rate_class = RateClass::Read;
  router.add(a);
  router.add(route(Method::Post, "/a", "second"));
  auto routes = router.routes();
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].pattern, "/b");
  EXPECT_EQ(routes[0].permission, "settings:read");
  EXPECT_EQ(routes[0].rate_class, RateClass::Read);
  EXPECT_EQ(routes[1].summary, "second");
}

TEST(Router, MatchedRouteRunsItsHandler) {
  Router router;
  RouteSpec spec = route(Method::Get, "/echo/{word}");
  spec.handler = [](const Request& request) {
    Response response;
    response.body = request.params.at("word");
    return response;
  };
  router.add(spec);
  auto match = router.match(Method::Get, "/echo/hi");
  ASSERT_NE(match.route, nullptr);
  Request request;
  request.params = match.params;
  EXPECT_EQ(match.route->handler(request).body, "hi");
}

TEST(Router, ConcurrentAddAndMatch) {
  Router router;
  router.add(route(Method::Get, "/stable/{id}", "stable"));
  std::atomic<bool> done{false};
  std::atomic<int> misses{0};
  std::thread reader([&] {
    while (!done) {
      auto match = router.match(Method::Get, "/stable/1");
      if (!match.route || match.route->summary != "stable") {
        ++misses;
      }
    }
  });
  for (int i = 0; i < 300; ++i) {
    router.add(route(Method::Get, "/plugin" + std::to_string(i) + "/{id}"));
  }
  done = true;
  reader.join();
  EXPECT_EQ(misses, 0);
  EXPECT_EQ(router.size(), 301u);
  EXPECT_NE(router.match(Method::Get, "/plugin299/x").route, nullptr);
}

} // namespace router_test
} // namespace bambuddy::http
