#include "api/pagination.h"

#include <charconv>
#include <string>

namespace bambuddy::api {
namespace {

bool parseSize(const std::string& text, size_t& out) {
  if (text.empty() || text.size() > 12) {
    return false;
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

} // namespace

std::optional<Page> parsePage(const http::Request& request, http::Response& error) {
  Page page;
  if (auto it = request.query.find("limit"); it != request.query.end()) {
    if (!parseSize(it->second, page.limit) || page.limit < 1 || page.limit > 1000) {
      error = http::Response::error(400, "invalid_parameter", "limit must be an integer from 1 to 1000");
      return std::nullopt;
    }
  }
  if (auto it = request.query.find("offset"); it != request.query.end()) {
    if (!parseSize(it->second, page.offset)) {
      error = http::Response::error(400, "invalid_parameter", "offset must be a non-negative integer");
      return std::nullopt;
    }
  }
  return page;
}

nlohmann::json listEnvelope(const nlohmann::json& all_items, const Page& page) {
  nlohmann::json items = nlohmann::json::array();
  for (size_t i = page.offset; i < all_items.size() && items.size() < page.limit; ++i) {
    items.push_back(all_items[i]);
  }
  return {{"items", items}, {"total", all_items.size()}, {"limit", page.limit}, {"offset", page.offset}};
}

} // namespace bambuddy::api
