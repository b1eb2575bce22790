// /api/v1/queue: the print queue (queue:read / queue:write).
#pragma once

namespace bambuddy::http {
class Router;
}
namespace bambuddy::queue {
class QueueService;
}

namespace bambuddy::api {

void addQueueRoutes(http::Router& router, queue::QueueService& queue);

} // namespace bambuddy::api
