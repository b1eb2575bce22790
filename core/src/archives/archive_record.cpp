#include "archives/archive_record.h"

#include "common/time.h"

namespace bambuddy::archives {

namespace {

template <class T> nlohmann::json opt(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

nlohmann::json optTime(const std::optional<int64_t>& ms) {
  return ms ? nlohmann::json(formatUtcSeconds(*ms)) : nlohmann::json(nullptr);
}

} // namespace

nlohmann::json ArchiveRecord::toJson() const {
  return {{"id", id},
          {"status", status},
          {"name", name},
          {"filename", opt(filename)},
          {"printer_id", opt(printer_id)},
          {"printer", opt(printer_name)},
          {"job_id", opt(job_id)},
          {"source_archive_id", opt(source_archive_id)},
          {"queue_item_id", opt(queue_item_id)},
          {"started_at", optTime(started_at_ms)},
          {"ended_at", optTime(ended_at_ms)},
          {"duration", opt(duration_s)},
          {"progress", opt(progress)},
          {"filament_used", opt(filament_used_g)},
          {"filament_type", opt(filament_type)},
          {"estimated_time", opt(estimated_time_s)},
          {"error", error},
          {"notes", notes},
          {"tags", tags},
          {"favourite", favourite},
          {"has_file", file_key.has_value()},
          {"file_size", opt(file_size)},
          {"has_thumbnail", thumbnail_key.has_value()},
          {"metadata", metadata},
          {"plate", opt(plate)},
          {"file_reason", opt(file_reason)},
          {"created_at", formatUtcSeconds(created_at_ms)},
          {"updated_at", formatUtcSeconds(updated_at_ms)}};
}

} // namespace bambuddy::archives
