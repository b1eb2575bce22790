#include "metrics/exposition.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace bambuddy::metrics {

namespace {

void escapeInto(std::string& out, const std::string& value, bool quote) {
  for (char c : value) {
    switch (c) {
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '"':
      out += quote ? "\\\"" : "\"";
      break;
    default:
      out += c;
    }
  }
}

} // namespace

std::string formatValue(double value) {
  if (std::isnan(value)) {
    return "NaN";
  }
  if (std::isinf(value)) {
    return value > 0 ? "+Inf" : "-Inf";
  }
  char text[40];
  if (value == std::floor(value) && std::fabs(value) < 9.0e15) {
    std::snprintf(text, sizeof text, "%.0f", value);
    return text;
  }
  // The shortest form that reads back as the same double ("0.0005", not "0.00050000000000000001").
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(text, sizeof text, "%.*g", precision, value);
    if (std::strtod(text, nullptr) == value) {
      break;
    }
  }
  return text;
}

void Exposition::family(const std::string& name, const std::string& help, const char* type) {
  text_ += "# HELP " + name + " ";
  escapeInto(text_, help, false); // HELP escapes backslash and newline only
  text_ += "\n# TYPE " + name + " " + type + "\n";
}

void Exposition::labels(const Labels& labels) {
  if (labels.empty()) {
    return;
  }
  text_ += '{';
  bool first = true;
  for (const auto& [key, value] : labels) {
    if (!first) {
      text_ += ',';
    }
    first = false;
    text_ += key + "=\"";
    escapeInto(text_, value, true);
    text_ += '"';
  }
  text_ += '}';
}

void Exposition::sample(const std::string& name, const Labels& labels_in, double value) {
  text_ += name;
  labels(labels_in);
  text_ += ' ' + formatValue(value) + '\n';
}

void Exposition::sample(const std::string& name, const Labels& labels_in, uint64_t value) {
  text_ += name;
  labels(labels_in);
  text_ += ' ' + std::to_string(value) + '\n';
}

} // namespace bambuddy::metrics
