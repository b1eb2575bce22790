// /api/v1/notifications: providers (instances of notifier plugins), their types and the event
// catalogue (settings:read), management, tests, secret rotation and redelivery (settings:write),
// and each provider's delivery log. Tests run on the service's test threads, never on the HTTP
// worker: the route answers 202 with the delivery to poll at /notifications/deliveries/{id}.
#pragma once

namespace bambuddy::auth {
class AuditLog;
}
namespace bambuddy::http {
class Router;
}
namespace bambuddy::notifications {
class NotificationService;
}

namespace bambuddy::api {

// Changes, tests and deletions are recorded in `audit` (may be null).
void addNotificationRoutes(http::Router& router, notifications::NotificationService& service,
                           auth::AuditLog* audit = nullptr);

} // namespace bambuddy::api
