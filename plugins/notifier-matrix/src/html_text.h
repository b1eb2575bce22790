// Plain text inside Matrix's HTML formatted_body: &, <, >, " and ' escaped, line breaks as <br>.
#pragma once

#include <string>
#include <string_view>

namespace bambuddy::notifier_matrix {

std::string escapeHtml(std::string_view text);

} // namespace bambuddy::notifier_matrix
