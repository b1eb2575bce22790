// Parsing of an FTP LIST answer (RFC 959 leaves its format to the server).
//
// Printers, proftpd and vsftpd answer with `ls -l` style lines; a few servers use the DOS style
// ("12-06-26  11:07AM  <DIR>  name"). Both are read; names may hold spaces. Lines that are no entry
// ("total 12", blank, garbage) are skipped, and so are "." and "..".
#pragma once

#include "ftps_client.h"

#include <cstddef>
#include <string>
#include <vector>

namespace bambuddy::printer_bambu {

// Throws std::length_error when the text holds more than `max_entries` entries.
std::vector<RemoteEntry> parseListing(const std::string& text, size_t max_entries);

} // namespace bambuddy::printer_bambu
