// UTF-8 helpers for text that leaves a plugin: response snippets, error messages and headers
// must be valid UTF-8 and bounded, whatever bytes a receiver or a template produced. What counts
// as well-formed is the SDK's bambuddy/utf8.hpp, the one check the server uses too.
#pragma once

#include <bambuddy/utf8.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace bambuddy::common::text {

using sdk::isValidUtf8;
using sdk::utf8SequenceLength;

bool isAscii(std::string_view text);

// At most `max_bytes` bytes of valid UTF-8 taken from the start of `bytes`: each ill-formed byte
// and each NUL becomes U+FFFD, and the cut never splits a character. Suitable for C strings.
std::string utf8Snippet(std::string_view bytes, size_t max_bytes);

// `text` on one line: CR, LF, TAB and other C0/DEL controls become spaces, leading and trailing
// spaces go. Used for values put in headers, where a line break would inject a header.
std::string singleLine(std::string_view text);

} // namespace bambuddy::common::text
