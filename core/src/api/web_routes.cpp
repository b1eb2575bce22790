#include "api/web_routes.h"

#include "http/router.h"
#include "web/static_site.h"

#include <string>

namespace bambuddy::api {
namespace {

// The UI loads only its own bundled files and talks only to this server. Inline styles stay
// allowed because components set element styles (progress bars); scripts never run inline.
constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

bool etagMatches(const http::Request& request, const std::string& etag) {
  auto header = request.header("If-None-Match");
  if (!header) {
    return false;
  }
  // A list of validators, or "*"; weak comparison is fine for a GET.
  const std::string& text = *header;
  if (text.find('*') != std::string::npos) {
    return true;
  }
  return text.find(etag) != std::string::npos;
}

http::Response serve(const web::StaticSite& site, const std::string& url_path, const http::Request& request) {
  const web::StaticFile* file = site.find(url_path);
  if (file == nullptr) {
    return http::Response::error(404, "not_found", "no such file: " + url_path);
  }
  http::Response response;
  response.headers = {
      {"Content-Security-Policy", kContentSecurityPolicy},
      {"X-Content-Type-Options", "nosniff"},
      {"X-Frame-Options", "DENY"},
      {"Referrer-Policy", "no-referrer"},
      {"ETag", file->etag},
      {"Cache-Control", file->immutable ? "public, max-age=31536000, immutable" : "no-cache"}};
  if (etagMatches(request, file->etag)) {
    response.status = 304;
    response.content_type.clear();
    return response;
  }
  response.status = 200;
  response.content_type = file->content_type;
  response.body = file->body;
  return response;
}

http::RouteSpec webRoute(std::string pattern, std::shared_ptr<const web::StaticSite> site, bool by_param) {
  http::RouteSpec spec;
  spec.method = http::Method::Get;
  spec.pattern = pattern;
  spec.rate_class = http::RateClass::None;
  spec.summary = "Web interface file";
  spec.in_openapi = false;
  spec.handler = [site = std::move(site), pattern, by_param](const http::Request& request) {
    if (by_param) {
      auto it = request.params.find("file");
      return serve(*site, "/assets/" + (it == request.params.end() ? std::string() : it->second), request);
    }
    return serve(*site, pattern, request);
  };
  return spec;
}

} // namespace

void addWebRoutes(http::Router& router, std::shared_ptr<const web::StaticSite> site) {
  router.add(webRoute("/", site, false));
  for (const std::string& path : site->topLevelPaths()) {
    router.add(webRoute(path, site, false));
  }
  router.add(webRoute("/assets/{file}", site, true));
}

} // namespace bambuddy::api
