// Telegram's MarkdownV2: text that must show as typed needs every special character escaped.
#pragma once

#include <string>
#include <string_view>

namespace bambuddy::notifier_telegram {

// `text` with each of _ * [ ] ( ) ~ ` > # + - = | { } . ! and the backslash itself preceded by a
// backslash (Telegram's rule for text outside entities), so data can never open bold, a link or
// code, and the message is never refused as unparseable.
std::string escapeMarkdownV2(std::string_view text);

} // namespace bambuddy::notifier_telegram
