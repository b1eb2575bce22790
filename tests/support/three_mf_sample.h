// A small sliced 3MF, made by the test (no third-party model): one plate with a print time,
// filament weight and a thumbnail, enough for uploads, queueing and statistics.
#pragma once

#include <cstdint>
#include <string>

namespace bambuddy::testing {

std::string sampleThreeMf(const std::string& title, int64_t print_time_s, double filament_g);

} // namespace bambuddy::testing
