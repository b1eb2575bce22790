// Plain text inside a Markdown message (Gotify renders text/markdown): every ASCII punctuation
// character CommonMark lets a backslash escape is escaped, so data shows as typed.
#pragma once

#include <string>
#include <string_view>

namespace bambuddy::notifier_gotify {

std::string escapeMarkdown(std::string_view text);

} // namespace bambuddy::notifier_gotify
