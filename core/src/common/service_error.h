// The error a core service throws for a request it refuses: an HTTP status, a stable machine code
// and a message written for the API caller (never containing secrets), plus optional extra fields
// for the error body (e.g. the printer's current `state` with a 409).
#pragma once

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>

namespace bambuddy {

class ServiceError : public std::runtime_error {
public:
  // Invalid 400, NotFound 404, Conflict 409, Unsupported 422, Unavailable 503.
  enum class Kind { Invalid, NotFound, Conflict, Unsupported, Unavailable };

  ServiceError(Kind kind, std::string code, const std::string& message, nlohmann::json extra = nullptr)
      : std::runtime_error(message), status_(statusOf(kind)), code_(std::move(code)),
        extra_(std::move(extra)) {}
  ServiceError(int http_status, std::string code, const std::string& message)
      : std::runtime_error(message), status_(http_status), code_(std::move(code)) {}

  int httpStatus() const { return status_; }
  const std::string& code() const { return code_; }
  const nlohmann::json& extra() const { return extra_; }
  // {"detail": message, "code": code, ...extra}
  nlohmann::json body() const {
    nlohmann::json out = {{"detail", what()}, {"code", code_}};
    if (extra_.is_object()) {
      out.update(extra_);
    }
    return out;
  }

private:
  static int statusOf(Kind kind) {
    switch (kind) {
    case Kind::NotFound:
      return 404;
    case Kind::Conflict:
      return 409;
    case Kind::Unsupported:
      return 422;
    case Kind::Unavailable:
      return 503;
    case Kind::Invalid:
    default:
      return 400;
    }
  }

  int status_;
  std::string code_;
  nlohmann::json extra_;
};

} // namespace bambuddy
