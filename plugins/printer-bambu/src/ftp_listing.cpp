#include "ftp_listing.h"

#include <cctype>
#include <cstdint>
#include <stdexcept>
#include <strings.h>

namespace bambuddy::printer_bambu {
namespace {

constexpr size_t kMaxNameBytes = 1024;

struct Token {
  size_t start;
  std::string text;
};

std::vector<Token> splitTokens(const std::string& line) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) {
      ++i;
    }
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') {
      ++i;
    }
    if (i > start) {
      tokens.push_back({start, line.substr(start, i - start)});
    }
  }
  return tokens;
}

bool allDigits(const std::string& s) {
  if (s.empty() || s.size() > 20) {
    return false;
  }
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

bool parseSize(const std::string& s, uint64_t& out) {
  if (!allDigits(s)) {
    return false;
  }
  uint64_t value = 0;
  for (char c : s) {
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) {
      return false;
    }
    value = value * 10 + digit;
  }
  out = value;
  return true;
}

bool isMonth(const std::string& s) {
  static const char* kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                  "jul", "aug", "sep", "oct", "nov", "dec"};
  if (s.size() != 3) {
    return false;
  }
  for (const char* m : kMonths) {
    if (strncasecmp(s.c_str(), m, 3) == 0) {
      return true;
    }
  }
  return false;
}

bool isDay(const std::string& s) {
  uint64_t day = 0;
  return s.size() <= 2 && parseSize(s, day) && day >= 1 && day <= 31;
}

// "11:07" or a year "2025".
bool isTimeOrYear(const std::string& s) {
  if (s.size() == 4 && allDigits(s)) {
    return true;
  }
  size_t colon = s.find(':');
  return colon != std::string::npos && colon >= 1 && colon <= 2 && allDigits(s.substr(0, colon)) &&
         s.size() - colon - 1 == 2 && allDigits(s.substr(colon + 1));
}

bool acceptableName(const std::string& name) {
  if (name.empty() || name.size() > kMaxNameBytes || name == "." || name == "..") {
    return false;
  }
  for (char c : name) {
    if (c == '/' || c == '\0') {
      return false;
    }
  }
  return true;
}

// "-rw-r--r-- 1 owner group 1234 Dec  6 11:07 name with spaces"; the group (and on some servers
// the link count) may be missing, so the date is found instead of counting columns.
bool parseUnixLine(const std::string& line, const std::vector<Token>& tokens, RemoteEntry& entry) {
  const std::string& mode = tokens[0].text;
  if (mode.size() < 10 || std::string("-dlbcps").find(mode[0]) == std::string::npos) {
    return false;
  }
  for (size_t i = 2; i + 3 < tokens.size(); ++i) {
    if (!isMonth(tokens[i].text) || !isDay(tokens[i + 1].text) || !isTimeOrYear(tokens[i + 2].text)) {
      continue;
    }
    uint64_t size = 0;
    if (!parseSize(tokens[i - 1].text, size)) {
      continue;
    }
    std::string name = line.substr(tokens[i + 3].start);
    if (mode[0] == 'l') {
      size_t arrow = name.find(" -> ");
      if (arrow != std::string::npos) {
        name.resize(arrow);
      }
    }
    entry.name = name;
    entry.size_bytes = size;
    entry.is_directory = mode[0] == 'd';
    return true;
  }
  return false;
}

// "12-06-26  11:07AM  <DIR>  name" or "12-06-2026  11:07PM  1234 name".
bool parseDosLine(const std::string& line, const std::vector<Token>& tokens, RemoteEntry& entry) {
  if (tokens.size() < 4) {
    return false;
  }
  const std::string& date = tokens[0].text;
  const std::string& time = tokens[1].text;
  if ((date.size() != 8 && date.size() != 10) || date[2] != '-' || date[5] != '-' || time.size() != 7 ||
      time[2] != ':') {
    return false;
  }
  std::string suffix = time.substr(5);
  if (suffix != "AM" && suffix != "PM") {
    return false;
  }
  uint64_t size = 0;
  bool directory = tokens[2].text == "<DIR>";
  if (!directory && !parseSize(tokens[2].text, size)) {
    return false;
  }
  entry.name = line.substr(tokens[3].start);
  entry.size_bytes = size;
  entry.is_directory = directory;
  return true;
}

} // namespace

std::vector<RemoteEntry> parseListing(const std::string& text, size_t max_entries) {
  std::vector<RemoteEntry> entries;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) {
      end = text.size();
    }
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    std::vector<Token> tokens = splitTokens(line);
    if (tokens.empty()) {
      continue;
    }
    RemoteEntry entry;
    if (!parseUnixLine(line, tokens, entry) && !parseDosLine(line, tokens, entry)) {
      continue;
    }
    if (!acceptableName(entry.name)) {
      continue;
    }
    if (entries.size() == max_entries) {
      throw std::length_error("the listing holds more than " + std::to_string(max_entries) + " entries");
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

} // namespace bambuddy::printer_bambu
