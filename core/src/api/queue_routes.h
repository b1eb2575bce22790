// /api/v1/queue: the print queue (queue:read / queue:write).
#pragma once

namespace bambuddy::http {
class Router;
}
namespace bambuddy::queue {
class QueueService;
}
namespace bambuddy::archives {
class ArchiveService;
}

namespace bambuddy::api {

// A key limited to some printers sees only the items for them (see queue_routes.cpp).
void addQueueRoutes(http::Router& router, queue::QueueService& queue, archives::ArchiveService& archives);

} // namespace bambuddy::api
