// limit/offset query parameters and the list envelope every collection answers with.
#pragma once

#include "http/http_types.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>

namespace bambuddy::api {

struct Page {
  size_t limit = 100;
  size_t offset = 0;
};

// Parses ?limit=&offset= (limit 1..1000, default 100; offset >= 0). On bad input returns nullopt
// and sets `error` to a 400 response naming the parameter.
std::optional<Page> parsePage(const http::Request& request, http::Response& error);

// {"items": items[offset..offset+limit), "total": N, "limit": L, "offset": O}
nlohmann::json listEnvelope(const nlohmann::json& all_items, const Page& page);

} // namespace bambuddy::api
