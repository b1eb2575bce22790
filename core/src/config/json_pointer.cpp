#include "config/json_pointer.h"

#include <nlohmann/json.hpp>

namespace bambuddy::config {

namespace {

std::string escapeToken(const std::string& token) {
  std::string out;
  out.reserve(token.size());
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string unescapeToken(const std::string& token) {
  std::string out;
  out.reserve(token.size());
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '~' && i + 1 < token.size() && (token[i + 1] == '0' || token[i + 1] == '1')) {
      out += token[i + 1] == '0' ? '~' : '/';
      ++i;
    } else {
      out += token[i];
    }
  }
  return out;
}

bool allDigits(const std::string& token) {
  if (token.empty()) {
    return false;
  }
  for (char c : token) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

} // namespace

std::string childPointer(const std::string& parent, const std::string& key) {
  return parent + '/' + escapeToken(key);
}

std::string childPointer(const std::string& parent, std::size_t index) {
  return parent + '/' + std::to_string(index);
}

std::vector<std::string> splitPointer(const std::string& pointer) {
  std::vector<std::string> tokens;
  if (pointer.empty()) {
    return tokens;
  }
  std::size_t start = pointer[0] == '/' ? 1 : 0;
  while (true) {
    std::size_t slash = pointer.find('/', start);
    tokens.push_back(
        unescapeToken(pointer.substr(start, slash == std::string::npos ? std::string::npos : slash - start)));
    if (slash == std::string::npos) {
      break;
    }
    start = slash + 1;
  }
  return tokens;
}

std::string displayPath(const std::string& pointer, const nlohmann::json* doc) {
  std::string out;
  const nlohmann::json* node = doc;
  for (const std::string& token : splitPointer(pointer)) {
    bool index = node != nullptr ? node->is_array() && allDigits(token) : allDigits(token);
    if (index) {
      out += '[' + token + ']';
    } else {
      if (!out.empty()) {
        out += '.';
      }
      out += token;
    }
    // Follow the document as far as it goes; past that, fall back to the digit rule.
    const nlohmann::json* next = nullptr;
    if (node != nullptr) {
      if (node->is_object()) {
        auto it = node->find(token);
        if (it != node->end()) {
          next = &*it;
        }
      } else if (node->is_array() && allDigits(token) && token.size() < 10) {
        std::size_t i = std::stoul(token);
        if (i < node->size()) {
          next = &(*node)[i];
        }
      }
    }
    node = next;
  }
  return out;
}

} // namespace bambuddy::config
