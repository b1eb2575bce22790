#include "http/router.h"

#include <algorithm>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string_view>

#include "http/url.h"

namespace bambuddy::http {

namespace {

bool isParamNameChar(char c, bool first) {
  bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  return first ? alpha : (alpha || (c >= '0' && c <= '9'));
}

// RFC 3986 pchar without percent-escapes: route literals are written plain.
bool isLiteralChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
    return true;
  }
  return std::string_view("-._~!$&'()*+,;=:@").find(c) != std::string_view::npos;
}

std::string routeName(const RouteSpec& spec) {
  return std::string(methodName(spec.method)) + " " + spec.pattern;
}

[[noreturn]] void badPattern(const std::string& pattern, const std::string& why) {
  throw std::invalid_argument("invalid route pattern \"" + pattern + "\": " + why);
}

// Splits "/a/b" into {"a","b"}; "/" gives {}. Returns false for a path that does not start with
// '/' or has an empty segment. One trailing slash is dropped first when `allow_trailing_slash`.
bool splitPath(std::string_view path, bool allow_trailing_slash, std::vector<std::string_view>& out) {
  out.clear();
  if (path.empty() || path.front() != '/') {
    return false;
  }
  if (allow_trailing_slash && path.size() > 1 && path.back() == '/') {
    path.remove_suffix(1);
  }
  if (path.size() == 1) {
    return true;
  }
  size_t start = 1;
  while (true) {
    size_t end = path.find('/', start);
    std::string_view segment = path.substr(start, end == std::string_view::npos ? end : end - start);
    if (segment.empty()) {
      return false;
    }
    out.push_back(segment);
    if (end == std::string_view::npos) {
      return true;
    }
    start = end + 1;
  }
}

} // namespace

void Router::add(RouteSpec spec) {
  if (!spec.handler) {
    throw std::invalid_argument("route " + routeName(spec) + " has no handler");
  }
  const std::string& pattern = spec.pattern;
  if (pattern.empty() || pattern.front() != '/') {
    badPattern(pattern, "must start with '/'");
  }
  if (pattern.size() > 1 && pattern.back() == '/') {
    badPattern(pattern, "must not end with '/'");
  }
  std::vector<std::string_view> pieces;
  if (!splitPath(pattern, false, pieces)) {
    badPattern(pattern, "empty segment");
  }

  Entry entry;
  std::set<std::string> param_names;
  for (std::string_view piece : pieces) {
    Segment segment;
    if (piece.front() == '{') {
      if (piece.size() < 3 || piece.back() != '}') {
        badPattern(pattern, "segment \"" + std::string(piece) + "\" must be a whole {name}");
      }
      std::string_view name = piece.substr(1, piece.size() - 2);
      for (size_t i = 0; i < name.size(); ++i) {
        if (!isParamNameChar(name[i], i == 0)) {
          badPattern(pattern,
                     "parameter name \"" + std::string(name) + "\" must match [A-Za-z_][A-Za-z0-9_]*");
        }
      }
      if (!param_names.insert(std::string(name)).second) {
        badPattern(pattern, "parameter {" + std::string(name) + "} appears twice");
      }
      segment.is_param = true;
      segment.text = std::string(name);
      entry.shape += "/{}";
    } else {
      for (char c : piece) {
        if (!isLiteralChar(c)) {
          badPattern(pattern,
                     "segment \"" + std::string(piece) + "\" has a character not allowed in a literal");
        }
      }
      segment.text = std::string(piece);
      entry.shape += "/" + segment.text;
    }
    entry.segments.push_back(std::move(segment));
  }
  if (entry.shape.empty()) {
    entry.shape = "/";
  }

  std::unique_lock<std::shared_mutex> lock(mutex_);
  for (const Entry& existing : entries_) {
    if (existing.spec->method == spec.method && existing.shape == entry.shape) {
      std::string what = "duplicate route " + routeName(spec);
      if (existing.spec->pattern != spec.pattern) {
        what += " (same shape as " + existing.spec->pattern + ")";
      }
      throw std::invalid_argument(what);
    }
  }
  entry.spec = std::make_unique<RouteSpec>(std::move(spec));
  entries_.push_back(std::move(entry));
}

Router::Match Router::match(Method method, const std::string& path) const {
  Match result;
  std::vector<std::string_view> segments;
  if (!splitPath(path, true, segments)) {
    return result;
  }

  struct Candidate {
    const Entry* entry;
    std::vector<bool> literal_mask; // true where the pattern has a literal; compared lexicographically
  };
  const Candidate* best_exact = nullptr;
  const Candidate* best_get = nullptr;
  std::vector<Candidate> candidates;
  std::set<Method> allowed;

  std::shared_lock<std::shared_mutex> lock(mutex_);
  candidates.reserve(entries_.size());
  for (const Entry& entry : entries_) {
    if (entry.segments.size() != segments.size()) {
      continue;
    }
    bool ok = true;
    Candidate candidate{&entry, {}};
    for (size_t i = 0; i < segments.size() && ok; ++i) {
      const Segment& segment = entry.segments[i];
      if (segment.is_param) {
        ok = percentDecode(segments[i], false).has_value();
      } else {
        ok = segment.text == segments[i];
      }
      candidate.literal_mask.push_back(!segment.is_param);
    }
    if (ok) {
      candidates.push_back(std::move(candidate));
    }
  }

  for (const Candidate& candidate : candidates) {
    Method route_method = candidate.entry->spec->method;
    allowed.insert(route_method);
    if (route_method == Method::Get) {
      allowed.insert(Method::Head);
    }
    if (route_method == method && (!best_exact || candidate.literal_mask > best_exact->literal_mask)) {
      best_exact = &candidate;
    }
    if (route_method == Method::Get && (!best_get || candidate.literal_mask > best_get->literal_mask)) {
      best_get = &candidate;
    }
  }

  const Candidate* chosen = best_exact ? best_exact : (method == Method::Head ? best_get : nullptr);
  result.allowed.assign(allowed.begin(), allowed.end());
  if (!chosen) {
    result.path_matched_other_method = !result.allowed.empty();
    return result;
  }
  result.route = chosen->entry->spec.get();
  for (size_t i = 0; i < segments.size(); ++i) {
    const Segment& segment = chosen->entry->segments[i];
    if (segment.is_param) {
      result.params[segment.text] = *percentDecode(segments[i], false);
    }
  }
  return result;
}

std::vector<RouteSpec> Router::routes() const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  std::vector<RouteSpec> out;
  out.reserve(entries_.size());
  for (const Entry& entry : entries_) {
    out.push_back(*entry.spec);
  }
  return out;
}

size_t Router::size() const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  return entries_.size();
}

} // namespace bambuddy::http
