// The body of POST /printers/{id}/print/start and the print fields of a queue item: which archive,
// which plate, and the print options a driver passes on to the printer.
//
// The routes' body schemas (api/body_fragments.cpp, printOptionProperties) check types and ranges
// once, for every driver, before these run; a driver checks what only it can know (which bed types
// its printers have, say) and answers BB_ERR_INVALID_ARGUMENT.
#pragma once

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

// Reads the body of print/start, as admitted by its body schema (archive_id present).
StartRequest parseStartRequest(const nlohmann::json& body);

// Reads `plate` and the options of a body that also holds other fields (a queue item), as admitted
// by its body schema; null or absent values are left out.
std::optional<int> parsePlate(const nlohmann::json& body);
nlohmann::json parseOptions(const nlohmann::json& body);

} // namespace bambuddy::printing
