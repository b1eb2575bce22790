#include "plugins/route_shadowing.h"

#include <string_view>

namespace bambuddy::plugins {

namespace {

struct Segment {
  bool param = false;
  std::string_view literal;
};

std::vector<Segment> segmentsOf(std::string_view pattern) {
  std::vector<Segment> out;
  std::size_t begin = pattern.empty() || pattern.front() != '/' ? 0 : 1;
  while (begin <= pattern.size()) {
    std::size_t slash = pattern.find('/', begin);
    std::string_view piece =
        pattern.substr(begin, slash == std::string_view::npos ? std::string_view::npos : slash - begin);
    Segment s;
    s.param = !piece.empty() && piece.front() == '{';
    s.literal = piece;
    out.push_back(s);
    if (slash == std::string_view::npos) {
      break;
    }
    begin = slash + 1;
  }
  return out;
}

// True when the router would give some path matching both patterns to `plugin` rather than `core`.
bool shadows(const std::vector<Segment>& plugin, const std::vector<Segment>& core) {
  if (plugin.size() != core.size()) {
    return false;
  }
  bool decided = false;
  bool plugin_wins = true; // same shape: a duplicate, which is refused too
  for (std::size_t i = 0; i < plugin.size(); ++i) {
    const Segment& p = plugin[i];
    const Segment& c = core[i];
    if (!p.param && !c.param && p.literal != c.literal) {
      return false; // no path matches both
    }
    if (!decided && p.param != c.param) {
      decided = true;
      plugin_wins = !p.param; // the first literal-versus-parameter segment decides
    }
  }
  return plugin_wins;
}

} // namespace

std::optional<std::string> shadowedCoreRoute(const std::vector<http::RouteSpec>& core_routes,
                                             http::Method method, const std::string& pattern) {
  const std::vector<Segment> plugin = segmentsOf(pattern);
  for (const http::RouteSpec& route : core_routes) {
    if (route.method != method) {
      continue;
    }
    if (shadows(plugin, segmentsOf(route.pattern))) {
      return std::string(http::methodName(route.method)) + " " + route.pattern;
    }
  }
  return std::nullopt;
}

} // namespace bambuddy::plugins
