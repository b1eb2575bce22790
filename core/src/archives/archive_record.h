// One archive: a print that happened (status printing/success/failed/cancelled) or an uploaded
// 3MF waiting to be printed (status uploaded).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bambuddy::archives {

struct ArchiveRecord {
  int64_t id = 0;
  std::string status; // uploaded | printing | success | failed | cancelled
  std::string name;   // display name (editable)
  std::optional<std::string> filename;
  std::optional<int64_t> printer_id;
  std::optional<std::string> printer_name;
  std::optional<std::string> job_id;
  std::optional<int64_t> source_archive_id; // the uploaded archive this print was made from
  std::optional<int64_t> queue_item_id;
  std::optional<int64_t> started_at_ms;
  std::optional<int64_t> ended_at_ms;
  std::optional<int64_t> duration_s;
  std::optional<double> progress;
  std::optional<double> filament_used_g;
  std::optional<std::string> filament_type;
  std::optional<int64_t> estimated_time_s;
  nlohmann::json error; // null or {"code","message"}
  std::string notes;
  std::vector<std::string> tags;
  bool favourite = false;
  std::optional<std::string> file_key; // blob key in the storage plugin
  std::optional<int64_t> file_size;
  std::optional<std::string> thumbnail_key;
  nlohmann::json metadata;                   // parsed 3MF metadata, null when none
  std::optional<int64_t> plate;              // the plate a print printed, when known
  std::optional<std::string> file_reason;    // why a print's 3MF is not archived (fetch failed, ...)
  std::optional<std::string> start_event_id; // the journal's print_started that opened this record
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;

  // The API shape (times as UTC ISO strings).
  nlohmann::json toJson() const;
  // The time the list sorts and the totals count by (the sort_at_ms column): the print's start,
  // or the upload time for an archive never printed.
  int64_t sortAtMs() const { return started_at_ms.value_or(created_at_ms); }
};

inline bool isPrintStatus(const std::string& status) {
  return status == "printing" || status == "success" || status == "failed" || status == "cancelled";
}

} // namespace bambuddy::archives
