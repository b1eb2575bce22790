// /api/v1/notifications: providers (instances of notifier plugins), their types and the event
// catalogue (settings:read), management, tests, secret rotation and redelivery (settings:write),
// and each provider's delivery log.
#pragma once

namespace bambuddy::http {
class Router;
}
namespace bambuddy::notifications {
class NotificationService;
}

namespace bambuddy::api {

void addNotificationRoutes(http::Router& router, notifications::NotificationService& service);

} // namespace bambuddy::api
