// Pistache-free helpers: types, URL text, raw request heads, response preparation.
#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "http/http_types.h"
#include "http/request_head.h"
#include "http/response_prep.h"
#include "http/url.h"

namespace bambuddy::http {
namespace http_text_test {

TEST(HttpTypes, MethodNamesRoundTrip) {
  for (Method m : {Method::Get, Method::Head, Method::Post, Method::Put, Method::Patch, Method::Delete,
                   Method::Options}) {
    EXPECT_EQ(parseMethod(methodName(m)), m);
  }
  EXPECT_FALSE(parseMethod("get").has_value());
  EXPECT_FALSE(parseMethod("TRACE").has_value());
  EXPECT_EQ(rateClassName(RateClass::Control), "control");
}

TEST(HttpTypes, HeaderLookupIsCaseInsensitive) {
  Request request;
  request.headers = {{"X-API-Key", "k1"}, {"x-api-key", "k2"}, {"Accept", "*/*"}};
  EXPECT_EQ(request.header("x-api-key"), "k1");
  EXPECT_EQ(request.header("ACCEPT"), "*/*");
  EXPECT_FALSE(request.header("Authorization").has_value());
}

TEST(HttpTypes, ErrorBodyHasDetailThenCode) {
  Response response = Response::error(404, "not_found", "no route for GET /x");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(response.body, R"({"detail":"no route for GET /x","code":"not_found"})");
}

TEST(HttpTypes, JsonNeverThrowsOnBadUtf8) {
  nlohmann::json body = {{"name", std::string("bad\xff")}};
  Response response = Response::json(200, body);
  EXPECT_EQ(response.body, "{\"name\":\"bad\xEF\xBF\xBD\"}");
}

TEST(Url, PercentDecode) {
  EXPECT_EQ(percentDecode("a%20b%2Fc", false), "a b/c");
  EXPECT_EQ(percentDecode("a+b", false), "a+b");
  EXPECT_EQ(percentDecode("a+b", true), "a b");
  EXPECT_FALSE(percentDecode("%2", false).has_value());
  EXPECT_FALSE(percentDecode("%", false).has_value());
  EXPECT_FALSE(percentDecode("%g0", false).has_value());
  EXPECT_EQ(percentDecode("", false), "");
}

TEST(Url, ParseQueryString) {
  auto query = parseQueryString("a=1&b=x%20y&flag&&a=2&c=&d=%zz&e=1+2");
  EXPECT_EQ(query.at("a"), "1");
  EXPECT_EQ(query.at("b"), "x y");
  EXPECT_EQ(query.at("flag"), "");
  EXPECT_EQ(query.at("c"), "");
  EXPECT_EQ(query.at("d"), "%zz");
  EXPECT_EQ(query.at("e"), "1 2");
  EXPECT_EQ(query.size(), 6u);
  EXPECT_TRUE(parseQueryString("").empty());
}

TEST(Url, SplitTarget) {
  std::string path;
  std::string query;
  splitTarget("/a/b?x=1&y=2", path, query);
  EXPECT_EQ(path, "/a/b");
  EXPECT_EQ(query, "x=1&y=2");
  splitTarget("/a#frag", path, query);
  EXPECT_EQ(path, "/a");
  EXPECT_EQ(query, "");
  splitTarget("/a?", path, query);
  EXPECT_EQ(path, "/a");
  EXPECT_EQ(query, "");
}

TEST(RequestHead, FindsEnd) {
  EXPECT_EQ(findHeadEnd("GET / HTTP/1.1\r\nHost: x\r\n\r\nbody"), 27u);
  EXPECT_EQ(findHeadEnd("GET / HTTP/1.1\r\nHost: x\r\n"), std::string::npos);
}

TEST(RequestHead, ParsesLineAndHeaders) {
  auto head = parseRequestHead("POST /api/v1/q?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length:  12 \r\n"
                               "X-Api-Key: secret\r\nConnection: keep-alive, Upgrade\r\n"
                               "Expect: 100-Continue\r\n\r\n");
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->method, "POST");
  EXPECT_EQ(head->target, "/api/v1/q?x=1");
  EXPECT_EQ(head->version, "HTTP/1.1");
  ASSERT_EQ(head->headers.size(), 5u);
  EXPECT_EQ(head->headers[1].first, "Content-Length");
  EXPECT_EQ(head->headers[1].second, "12");
  EXPECT_EQ(head->content_length, 12u);
  EXPECT_FALSE(head->bad_content_length);
  EXPECT_TRUE(head->connection_keep_alive);
  EXPECT_FALSE(head->connection_close);
  EXPECT_TRUE(head->expect_continue);
}

TEST(RequestHead, ContentLengthEdgeCases) {
  auto parse = [](const std::string& value) {
    return parseRequestHead("POST / HTTP/1.1\r\nContent-Length: " + value + "\r\n\r\n");
  };
  EXPECT_TRUE(parse("-5")->bad_content_length);
  EXPECT_TRUE(parse("abc")->bad_content_length);
  EXPECT_TRUE(parse("")->bad_content_length);
  EXPECT_TRUE(parse("5, 6")->bad_content_length);
  EXPECT_FALSE(parse("5, 5")->bad_content_length);
  EXPECT_EQ(parse("99999999999999999999999")->content_length, UINT64_MAX);
  auto twice = parseRequestHead("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n");
  EXPECT_TRUE(twice->bad_content_length);
}

TEST(RequestHead, ConnectionCloseAndTransferEncoding) {
  auto head = parseRequestHead("GET / HTTP/1.1\r\nconnection: Close\r\nTransfer-Encoding: chunked\r\n\r\n");
  ASSERT_TRUE(head.has_value());
  EXPECT_TRUE(head->connection_close);
  EXPECT_TRUE(head->has_transfer_encoding);
  EXPECT_FALSE(head->content_length.has_value());
}

TEST(RequestHead, RejectsMalformed) {
  EXPECT_FALSE(parseRequestHead("GET\r\n\r\n").has_value());
  EXPECT_FALSE(parseRequestHead("GET  HTTP/1.1\r\n\r\n").has_value());
  EXPECT_FALSE(parseRequestHead("GET / HTTP/1.1\r\nNoColon\r\n\r\n").has_value());
  EXPECT_FALSE(parseRequestHead("GET / HTTP/1.1\r\n: empty name\r\n\r\n").has_value());
}

TEST(ResponsePrep, AddsContentTypeAndKeepsHeaders) {
  Response response = Response::error(429, "rate_limited", "slow down");
  response.headers = {{"Retry-After", "30"}, {"X-RateLimit-Remaining", "0"}};
  PreparedResponse out = prepareResponse(response);
  EXPECT_TRUE(out.status_ok);
  EXPECT_TRUE(out.problems.empty());
  std::vector<std::pair<std::string, std::string>> expected{
      {"Retry-After", "30"}, {"X-RateLimit-Remaining", "0"}, {"Content-Type", "application/json"}};
  EXPECT_EQ(out.headers, expected);
}

TEST(ResponsePrep, ExplicitContentTypeWins) {
  Response response;
  response.headers = {{"content-type", "text/plain; charset=utf-8"}};
  PreparedResponse out = prepareResponse(response);
  ASSERT_EQ(out.headers.size(), 1u);
  EXPECT_EQ(out.headers[0].second, "text/plain; charset=utf-8");
}

TEST(ResponsePrep, DropsUnsafeAndServerOwnedHeaders) {
  Response response;
  response.headers = {{"X-Bad", "a\r\nSet-Cookie: x=1"}, {"Bad Name", "v"},
                      {"Content-Length", "5"},           {"connection", "close"},
                      {"Transfer-Encoding", "chunked"},  {"X-Ok", "tab\tok"}};
  PreparedResponse out = prepareResponse(response);
  EXPECT_EQ(out.problems.size(), 5u);
  std::vector<std::pair<std::string, std::string>> expected{{"X-Ok", "tab\tok"},
                                                            {"Content-Type", "application/json"}};
  EXPECT_EQ(out.headers, expected);
}

TEST(ResponsePrep, FoldsRepeatedHeaders) {
  Response response;
  response.content_type.clear();
  response.headers = {{"Vary", "Accept"}, {"vary", "Origin"}};
  PreparedResponse out = prepareResponse(response);
  std::vector<std::pair<std::string, std::string>> expected{{"Vary", "Accept, Origin"}};
  EXPECT_EQ(out.headers, expected);
}

TEST(ResponsePrep, RefusesOddStatus) {
  Response response;
  response.status = 99;
  EXPECT_FALSE(prepareResponse(response).status_ok);
  response.status = 600;
  EXPECT_FALSE(prepareResponse(response).status_ok);
  response.status = 204;
  PreparedResponse no_content = prepareResponse(response);
  EXPECT_TRUE(no_content.status_ok);
  EXPECT_TRUE(no_content.headers.empty()); // no Content-Type for an empty 204
}

TEST(ResponsePrep, SerializeHead) {
  EXPECT_EQ(serializeHead("HTTP/1.1", 200, "OK", {{"A", "1"}}, 5),
            "HTTP/1.1 200 OK\r\nA: 1\r\nContent-Length: 5\r\n\r\n");
  EXPECT_EQ(serializeHead("HTTP/1.0", 204, "No Content", {}, std::nullopt),
            "HTTP/1.0 204 No Content\r\n\r\n");
}

TEST(ResponsePrep, LogSafeEscapesAndTruncates) {
  EXPECT_EQ(logSafe("/a/b"), "/a/b");
  EXPECT_EQ(logSafe("/a\x1b[31m\n"), "/a\\x1b[31m\\x0a");
  EXPECT_EQ(logSafe("a\\b"), "a\\x5cb");
  EXPECT_EQ(logSafe("\xc3\xa9"), "\\xc3\\xa9");
  EXPECT_EQ(logSafe("abcdef", 3), "abc...");
}

} // namespace http_text_test
} // namespace bambuddy::http
