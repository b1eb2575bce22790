#include "net/webhook_url.h"

#include <algorithm>
#include <stdexcept>

namespace bambuddy::common::net {

namespace {

std::string joinOr(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == items.size() ? " or " : ", ") + items[i];
  }
  return out;
}

} // namespace

TargetUrl checkedWebhookUrl(const text::SettingsReader& in, const std::string& field,
                            const std::vector<std::string>& origins, const WebhookUrlRule& rule) {
  const std::string url = *in.text(field, true, 2048);
  TargetUrl target;
  try {
    target = parseTargetUrl(url, {"http", "https"});
  } catch (const std::invalid_argument& e) {
    in.invalid("/" + field + " " + e.what());
  }
  const std::string origin = originOf(target);
  if (std::find(origins.begin(), origins.end(), origin) == origins.end()) {
    in.invalid("/" + field + " must be " + rule.what + " on " + joinOr(origins) + ", not " + origin);
  }
  if (target.has_query || target.has_credentials || url.find('#') != std::string::npos) {
    in.invalid("/" + field + " must not have a query, fragment or user:password@ part");
  }
  if (!std::regex_match(target.path, rule.path)) {
    in.invalid("/" + field + " path must be " + rule.path_hint);
  }
  return target;
}

} // namespace bambuddy::common::net
