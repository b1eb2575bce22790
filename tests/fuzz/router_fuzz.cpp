// The HTTP layer's own parsing of what a client sends before any handler runs: the request head
// (request line and headers), the target split into path and query, the query string, percent
// decoding and the router's match over the server's real route shapes.
#include "http/request_head.h"
#include "http/router.h"
#include "http/url.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

using namespace bambuddy::http;

namespace {

std::unique_ptr<Router> makeRouter() {
  auto router = std::make_unique<Router>();
  const char* patterns[] = {"/health",
                            "/api/v1/printers",
                            "/api/v1/printers/active",
                            "/api/v1/printers/{id}",
                            "/api/v1/printers/{id}/status",
                            "/api/v1/printers/{id}/print/{action}",
                            "/api/v1/archives/{id}/file",
                            "/api/v1/queue/reorder",
                            "/api/v1/queue/{id}",
                            "/api/v1/notifications/deliveries/{id}/redeliver",
                            "/api/v1/plugins/{plugin}/{instance}/{path}",
                            "/"};
  for (const char* pattern : patterns) {
    for (Method method : {Method::Get, Method::Post, Method::Patch, Method::Delete}) {
      router->add({method, pattern, "", RateClass::None, "fuzz", [](const Request&) { return Response(); }});
    }
  }
  return router;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::unique_ptr<Router> router = makeRouter();
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // As a request head (the server reads up to the blank line, then parses).
  const size_t end = findHeadEnd(input);
  std::string_view head = end == std::string_view::npos ? input : input.substr(0, end);
  std::optional<RequestHead> parsed = parseRequestHead(head);
  std::string target = parsed ? parsed->target : std::string(input);

  // As a request target.
  std::string path;
  std::string query;
  splitTarget(target, path, query);
  (void)parseQueryString(query);
  (void)percentDecode(path, false);
  (void)percentDecode(query, true);
  for (Method method : {Method::Get, Method::Head, Method::Options}) {
    Router::Match match = router->match(method, path);
    (void)match;
  }
  if (parsed) {
    for (const auto& [name, value] : parsed->headers) {
      (void)equalsIgnoreCase(name, "content-length");
      (void)value;
    }
  }
  return 0;
}
