// Route table and path matcher of the REST layer.
//
// Patterns are literal segments and whole-segment parameters: "/api/v1/printers/{id}/status".
// Matching rules (also the answers to the questions a route author will ask):
// - Literal segments compare exactly (case-sensitive) against the path as sent, still encoded.
// - A {name} segment matches any non-empty segment; its value is percent-decoded. A segment whose
//   escapes do not decode matches no parameter.
// - One trailing slash on the request path is tolerated: "/api/v1/printers/" matches
//   "/api/v1/printers". Empty segments elsewhere ("//") match nothing.
// - When several patterns match, literal segments win over parameters, leftmost first:
//   "/printers/active" beats "/printers/{id}".
// - HEAD is answered by the GET route unless a HEAD route exists for the path.
// - Two routes with the same method and shape ("/a/{id}" vs "/a/{name}") are a duplicate.
//
// Thread-safe: match() and routes() may run concurrently with add(), so plugins can register
// routes while the server runs. Routes are never removed, so a Match's route pointer stays valid
// for the router's lifetime.
#pragma once

#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "http/http_types.h"

namespace bambuddy::http {

class Router {
public:
  struct Match {
    // The route to run, or nullptr.
    const RouteSpec* route = nullptr;
    std::map<std::string, std::string> params;
    // True when no route has this method but another method's route matches the path (-> 405).
    bool path_matched_other_method = false;
    // Methods that have a route for this path (HEAD included when GET is), in enum order.
    std::vector<Method> allowed;
  };

  Router() = default;
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Throws std::invalid_argument for a malformed pattern, a missing handler, or a duplicate
  // method + pattern shape.
  void add(RouteSpec spec);

  Match match(Method method, const std::string& path) const;

  // A copy of every route in registration order (a copy, so callers never race with add()).
  std::vector<RouteSpec> routes() const;
  size_t size() const;

private:
  struct Segment {
    bool is_param = false;
    std::string text; // literal text, or the parameter name
  };
  struct Entry {
    std::unique_ptr<RouteSpec> spec;
    std::vector<Segment> segments;
    std::string shape; // pattern with parameter names erased, for duplicate detection
  };

  mutable std::shared_mutex mutex_;
  std::vector<Entry> entries_;
};

} // namespace bambuddy::http
