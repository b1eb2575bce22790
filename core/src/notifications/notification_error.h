// Errors of notification operations, mapped to HTTP statuses by the routes (like PrinterError).
#pragma once

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>

namespace bambuddy::notifications {

class NotificationError : public std::runtime_error {
public:
  // Invalid 400, NotFound 404, Conflict 409, Unsupported 422, Unavailable 503.
  enum class Kind { Invalid, NotFound, Conflict, Unsupported, Unavailable };
  NotificationError(Kind kind, std::string code, const std::string& message, nlohmann::json extra = nullptr)
      : std::runtime_error(message), kind_(kind), code_(std::move(code)), extra_(std::move(extra)) {}
  Kind kind() const { return kind_; }
  const std::string& code() const { return code_; }
  const nlohmann::json& extra() const { return extra_; }

private:
  Kind kind_;
  std::string code_;
  nlohmann::json extra_;
};

} // namespace bambuddy::notifications
