// The Server-Sent Events wire format (WHATWG HTML, "server-sent events"): the few lines the event
// stream writes. Written here because it is a handful of string joins; no Debian library offers it
// for a server.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace bambuddy::stream {

// "id: <id>\n" (left out when empty) + "event: <event>\n" + one "data: " line per line of `data` +
// "\n". Carriage returns and newlines in `id` and `event` are dropped (they would end the field).
std::string sseFrame(std::string_view id, std::string_view event, std::string_view data);

// ": <text>\n\n": a comment, which clients ignore; it keeps idle proxies from closing the stream.
std::string sseComment(std::string_view text);

// "retry: <ms>\n\n": how long a browser waits before it reconnects.
std::string sseRetry(int64_t ms);

} // namespace bambuddy::stream
