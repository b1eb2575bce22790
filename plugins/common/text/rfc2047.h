// RFC 2047 encoded words, for non-ASCII text in header fields (an e-mail Subject or display name,
// an ntfy Title), where raw UTF-8 is not safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace bambuddy::common::text {

// `utf8` (valid UTF-8, one line) as "=?UTF-8?B?...?=" words of at most 75 characters each, cut
// only between characters. Join them with " " (or "\r\n " to fold a mail header): decoders drop the
// whitespace between adjacent encoded words. `first_offset` is how much of the first line is taken
// already (e.g. 9 for "Subject: "), so that line too stays within 76 characters. An empty input
// gives no words.
std::vector<std::string> encodedWords(std::string_view utf8, size_t first_offset = 0);

// `utf8` as is when it is printable ASCII, else its encoded words joined by `separator`.
std::string headerText(std::string_view utf8, const std::string& separator = " ", size_t first_offset = 0);

} // namespace bambuddy::common::text
