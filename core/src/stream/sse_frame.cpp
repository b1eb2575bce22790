#include "stream/sse_frame.h"

#include <cstdint>

namespace bambuddy::stream {

namespace {

void appendField(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ": ";
  for (char c : value) {
    if (c != '\n' && c != '\r') {
      out += c;
    }
  }
  out += '\n';
}

} // namespace

std::string sseFrame(std::string_view id, std::string_view event, std::string_view data) {
  std::string out;
  out.reserve(data.size() + id.size() + event.size() + 32);
  if (!id.empty()) {
    appendField(out, "id", id);
  }
  appendField(out, "event", event);
  // Every line of the data gets its own "data:" field; the client joins them with "\n".
  size_t start = 0;
  while (true) {
    size_t end = data.find_first_of("\r\n", start);
    out += "data: ";
    out.append(data.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    out += '\n';
    if (end == std::string_view::npos) {
      break;
    }
    start = end + 1;
    if (data[end] == '\r' && start < data.size() && data[start] == '\n') {
      ++start;
    }
  }
  out += '\n';
  return out;
}

std::string sseComment(std::string_view text) {
  std::string out = ": ";
  for (char c : text) {
    if (c != '\n' && c != '\r') {
      out += c;
    }
  }
  out += "\n\n";
  return out;
}

std::string sseRetry(int64_t ms) {
  return "retry: " + std::to_string(ms) + "\n\n";
}

} // namespace bambuddy::stream
