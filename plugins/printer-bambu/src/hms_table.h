// Bambu Lab's texts for HMS and print_error codes, from the table compiled into the plugin
// (data/hms_en.tsv; its source is named in the README).
//
// The table text is lines of CODE<TAB>MODELS<TAB>TEXT (see data/hms_table_from_json.py). It is
// indexed once into a sorted array of 24-byte entries that point into the text, so a look-up is
// a binary search and the ~6000 texts are never copied.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bambuddy::printer_bambu {

// The table as compiled into the plugin (generated from data/hms_en.tsv by CMake).
std::string_view embeddedHmsTableText();

class HmsTable {
public:
  enum class Kind : uint8_t { PrintError, Hms };

  // Indexes `text`, which must outlive the table. Malformed lines are counted and skipped.
  explicit HmsTable(std::string_view text);

  // The table built from embeddedHmsTableText(): immutable, indexed on first use and shared by
  // every printer of the process (a look-up only reads it, so no lock is needed).
  static const HmsTable& builtin();

  // The text for a code, preferring the one written for `model` (the printer's model as the
  // status reports it, e.g. "H2D", "A1 mini"; compared without case, spaces and hyphens) over
  // the text for every model. nullopt when the table has no text for the code (or only texts
  // for other models).
  std::optional<std::string_view> hmsText(uint32_t attr, uint32_t code, std::string_view model = {}) const;
  std::optional<std::string_view> printErrorText(uint32_t print_error, std::string_view model = {}) const;

  size_t size() const { return entries_.size(); }
  size_t skippedLines() const { return skipped_lines_; }

private:
  struct Entry {
    uint64_t key;         // HMS: attr << 32 | code; print_error: the word
    uint32_t models_at;   // offset of the MODELS field in the text
    uint32_t text_at;     // offset of the TEXT field
    uint16_t models_size; // "*" = every model
    uint16_t text_size;
    Kind kind;
  };
  static_assert(sizeof(Entry) == 24, "the index stays compact: ~6000 entries, ~145 KB");

  std::optional<std::string_view> find(Kind kind, uint64_t key, std::string_view model) const;
  bool parseLine(std::string_view line, size_t line_at);

  std::string_view text_;
  std::vector<Entry> entries_; // sorted by (kind, key), the generic text first
  size_t skipped_lines_ = 0;
};

// "A1 mini" -> "A1MINI", "X1-Carbon" -> "X1CARBON": the form the table's model lists use.
std::string normalizeModel(std::string_view model);

} // namespace bambuddy::printer_bambu
