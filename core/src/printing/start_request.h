// The body of POST /printers/{id}/print/start and the print fields of a queue item: which archive,
// which plate, and the print options a driver passes on to the printer.
//
// The core checks types and ranges here, once, for every driver; a driver checks what only it can
// know (which bed types its printers have, say) and answers BB_ERR_INVALID_ARGUMENT.
#pragma once

#include "common/service_error.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace bambuddy::printing {

struct StartRequest {
  int64_t archive_id = 0;
  std::optional<int> plate;                          // 1-based; unset = the archive's first plate
  nlohmann::json options = nlohmann::json::object(); // only the options the caller gave
};

// The option names a start request may carry besides archive_id and plate.
const char* const* startOptionNames(); // null-terminated

// Parses the whole body of print/start. Throws ServiceError 400 naming the field: invalid_body,
// unknown_field, invalid_archive_id, invalid_plate, invalid_option.
StartRequest parseStartRequest(const nlohmann::json& body);

// Checks `plate` and the options of a body that also holds other fields (a queue item): every
// option present is validated, other keys are left to the caller. Throws like parseStartRequest.
std::optional<int> parsePlate(const nlohmann::json& body);
nlohmann::json parseOptions(const nlohmann::json& body);

} // namespace bambuddy::printing
