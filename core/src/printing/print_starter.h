// Starting a print of an uploaded archive on a printer: the one path both POST
// /printers/{id}/print/start and the queue take.
//
// It finds the archive's 3MF, checks the plate against the plates the file has, gives the driver
// the file (contract: docs/writing-a-plugin.md "start_print") and, for a request that wants it,
// waits briefly for the print record the lifecycle creates at print_started. The transfer to the
// printer runs in the driver after this returns; its progress shows in the printer's status.
#pragma once

#include "printing/start_request.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace bambuddy {
class Logger;
namespace archives {
class ArchiveService;
}
namespace printers {
class PrinterRegistry;
}
} // namespace bambuddy

namespace bambuddy::printing {

struct StartOutcome {
  int plate = 1;
  nlohmann::json driver_result = nlohmann::json::object();
  std::optional<int64_t> print_archive_id; // the print record, when it appeared in time
};

// The name a file gets on a printer's storage: letters, digits and ._-() kept, everything else
// '_', at most 96 characters, ending in .3mf.
std::string printerFileName(const std::string& name);

// The plate to print: `plate` when the 3MF has it, the file's first plate when unset (1 when the
// file names none). Throws ServiceError 400 invalid_plate naming the plates the file has.
int choosePlate(const nlohmann::json& metadata, std::optional<int> plate);

class PrintStarter {
public:
  PrintStarter(printers::PrinterRegistry& printers, archives::ArchiveService& archives, Logger& logger);

  // `archive_visible` says whether the caller may see an archive printed on a given printer (a
  // key limited to some printers); absent = yes. `queue_item_id` links the print to a queue item.
  // `wait_for_record_ms` > 0 waits that long for the print record. Throws ServiceError: 404
  // archive_not_found, 400 archive_has_no_file / invalid_plate (naming the plates the file has),
  // and whatever the printer registry throws (409 busy, 503 not connected, 422 unsupported).
  StartOutcome start(int64_t printer_id, const StartRequest& request, std::optional<int64_t> queue_item_id,
                     const std::function<bool(std::optional<int64_t>)>& archive_visible,
                     int64_t wait_for_record_ms);

  // The print record of an outcome (the archive API shape), or null when it did not appear in time.
  nlohmann::json printRecord(const StartOutcome& outcome);

private:
  printers::PrinterRegistry& printers_;
  archives::ArchiveService& archives_;
  Logger& logger_;
};

} // namespace bambuddy::printing
