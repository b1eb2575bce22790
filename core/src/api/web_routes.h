// Routes that serve the built web interface (public: the page itself holds no data; every API call
// it makes carries the key the operator pasted).
#pragma once

#include <memory>

namespace bambuddy::http {
class Router;
}
namespace bambuddy::web {
class StaticSite;
}

namespace bambuddy::api {

// GET / (index.html), GET /<top-level file> and GET /assets/{file}, each with a strict
// Content-Security-Policy, no-sniff and no-framing headers; assets are cacheable forever, the rest
// is revalidated (ETag / If-None-Match -> 304). Routes are left out of the OpenAPI document.
void addWebRoutes(http::Router& router, std::shared_ptr<const web::StaticSite> site);

} // namespace bambuddy::api
