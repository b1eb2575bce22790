// GET /api/v1/events/stream (Server-Sent Events, stream/stream_hub.h) and
// POST /api/v1/auth/stream-token (the single-use token browsers open it with, auth/stream_tokens.h).
#pragma once

namespace bambuddy::http {
class Router;
}
namespace bambuddy::auth {
class StreamTokens;
}
namespace bambuddy::stream {
class StreamHub;
}

namespace bambuddy::api {

// Both must outlive the router.
void addStreamRoutes(http::Router& router, stream::StreamHub& hub, auth::StreamTokens& tokens);

} // namespace bambuddy::api
