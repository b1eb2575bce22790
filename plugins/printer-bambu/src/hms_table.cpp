#include "hms_table.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <tuple>

namespace bambuddy::printer_bambu {
namespace {

// "0300_400C" or "0300_0100_0001_0001" -> the number; nullopt for anything else.
std::optional<uint64_t> parseCode(std::string_view code, size_t groups) {
  if (code.size() != groups * 5 - 1) {
    return std::nullopt;
  }
  uint64_t value = 0;
  for (size_t i = 0; i < code.size(); ++i) {
    char c = code[i];
    if (i % 5 == 4) {
      if (c != '_') {
        return std::nullopt;
      }
      continue;
    }
    int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (digit < 0) {
      return std::nullopt;
    }
    value = value << 4 | static_cast<uint64_t>(digit);
  }
  return value;
}

bool listsModel(std::string_view models, std::string_view model) {
  while (!models.empty()) {
    size_t comma = models.find(',');
    if (models.substr(0, comma) == model) {
      return true;
    }
    if (comma == std::string_view::npos) {
      break;
    }
    models.remove_prefix(comma + 1);
  }
  return false;
}

} // namespace

std::string normalizeModel(std::string_view model) {
  std::string out;
  for (char c : model) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

HmsTable::HmsTable(std::string_view text) : text_(text) {
  size_t at = 0;
  while (at < text_.size()) {
    size_t end = text_.find('\n', at);
    if (end == std::string_view::npos) {
      end = text_.size();
    }
    std::string_view line = text_.substr(at, end - at);
    if (!line.empty() && line.front() != '#' && !parseLine(line, at)) {
      ++skipped_lines_;
    }
    at = end + 1;
  }
  // The generated file is sorted already; sorting here keeps a hand-edited one working too.
  std::stable_sort(entries_.begin(), entries_.end(), [this](const Entry& a, const Entry& b) {
    bool a_generic = text_.substr(a.models_at, a.models_size) == "*";
    bool b_generic = text_.substr(b.models_at, b.models_size) == "*";
    return std::make_tuple(a.kind, a.key, !a_generic) < std::make_tuple(b.kind, b.key, !b_generic);
  });
}

bool HmsTable::parseLine(std::string_view line, size_t line_at) {
  size_t tab1 = line.find('\t');
  size_t tab2 = tab1 == std::string_view::npos ? tab1 : line.find('\t', tab1 + 1);
  if (tab2 == std::string_view::npos || line_at + line.size() > std::numeric_limits<uint32_t>::max()) {
    return false;
  }
  std::string_view code = line.substr(0, tab1);
  std::string_view models = line.substr(tab1 + 1, tab2 - tab1 - 1);
  std::string_view text = line.substr(tab2 + 1);
  if (models.empty() || text.empty() || models.size() > 0xFFFF || text.size() > 0xFFFF) {
    return false;
  }
  Entry e{};
  if (std::optional<uint64_t> key = parseCode(code, 2)) {
    e.kind = Kind::PrintError;
    e.key = *key;
  } else if (std::optional<uint64_t> key = parseCode(code, 4)) {
    e.kind = Kind::Hms;
    e.key = *key;
  } else {
    return false;
  }
  e.models_at = static_cast<uint32_t>(line_at + tab1 + 1);
  e.models_size = static_cast<uint16_t>(models.size());
  e.text_at = static_cast<uint32_t>(line_at + tab2 + 1);
  e.text_size = static_cast<uint16_t>(text.size());
  entries_.push_back(e);
  return true;
}

const HmsTable& HmsTable::builtin() {
  static const HmsTable table(embeddedHmsTableText());
  return table;
}

std::optional<std::string_view> HmsTable::find(Kind kind, uint64_t key, std::string_view model) const {
  auto first = std::lower_bound(
      entries_.begin(), entries_.end(), std::make_pair(kind, key),
      [](const Entry& e, const std::pair<Kind, uint64_t>& k) { return std::make_pair(e.kind, e.key) < k; });
  const std::string normalized = normalizeModel(model);
  std::optional<std::string_view> generic;
  for (auto it = first; it != entries_.end() && it->kind == kind && it->key == key; ++it) {
    std::string_view models = text_.substr(it->models_at, it->models_size);
    if (models == "*") {
      generic = text_.substr(it->text_at, it->text_size);
    } else if (!normalized.empty() && listsModel(models, normalized)) {
      return text_.substr(it->text_at, it->text_size);
    }
  }
  // A text written for other models only (0500_C011 is about the P1's SD card) is no answer.
  return generic;
}

std::optional<std::string_view> HmsTable::hmsText(uint32_t attr, uint32_t code,
                                                  std::string_view model) const {
  return find(Kind::Hms, static_cast<uint64_t>(attr) << 32 | code, model);
}

std::optional<std::string_view> HmsTable::printErrorText(uint32_t print_error, std::string_view model) const {
  return find(Kind::PrintError, print_error, model);
}

} // namespace bambuddy::printer_bambu
