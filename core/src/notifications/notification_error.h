// Errors of notification operations: the core's ServiceError (HTTP status, code, message), which
// the routes answer with as they are.
#pragma once

#include "common/service_error.h"

namespace bambuddy::notifications {

using NotificationError = ServiceError;

} // namespace bambuddy::notifications
