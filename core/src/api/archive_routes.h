// /api/v1/archives (archives:read / archives:write, including the 3MF upload) and
// /api/v1/statistics (statistics:read).
#pragma once

#include <cstdint>
#include <functional>

namespace bambuddy::http {
class Router;
}
namespace bambuddy::storage {
class Database;
}
namespace bambuddy::archives {
class ArchiveService;
struct CostSettings;
} // namespace bambuddy::archives

namespace bambuddy::api {

void addArchiveRoutes(http::Router& router, archives::ArchiveService& archives, int64_t max_upload_bytes);

// Answers are kept until archives_generation() changes (see archives/answer_cache.h).
void addStatisticsRoutes(http::Router& router, storage::Database& db,
                         std::function<uint64_t()> archives_generation,
                         std::function<archives::CostSettings()> cost_settings);

} // namespace bambuddy::api
