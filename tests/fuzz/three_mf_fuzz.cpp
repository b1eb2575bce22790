// The 3MF upload reader (zip preflight, libzip, the XML and JSON metadata parts) on arbitrary
// bytes: every input is either metadata or a ThreeMfError, never anything else. Limits are small
// so a mutated size field cannot make one run take seconds.
#include "archives/three_mf.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

using namespace bambuddy::archives;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ThreeMfLimits limits;
  limits.max_file_bytes = 1 << 20;
  limits.max_total_uncompressed_bytes = 8 << 20;
  limits.max_entries = 200;
  limits.max_metadata_entry_bytes = 1 << 20;
  limits.max_thumbnail_bytes = 256 << 10;
  limits.ratio_check_min_bytes = 64 << 10;
  try {
    ThreeMfMetadata metadata =
        parseThreeMf(std::string_view(reinterpret_cast<const char*>(data), size), limits);
    (void)toJson(metadata).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } catch (const ThreeMfError&) {
    // refused with a precise error: the expected outcome for most inputs
  }
  return 0;
}
