// Writes the Prometheus text exposition format (version 0.0.4), the format every Prometheus
// server and agent scrapes: `# HELP` and `# TYPE` per family, then one line per sample.
//
// Written by hand: Debian 12 packages no C++ Prometheus client (prometheus-cpp is not in the
// archive), and the format is a page of rules. Label values are escaped here (backslash, double
// quote, newline), so a printer or provider name can never break a line or forge a sample.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace bambuddy::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Exposition {
public:
  // Starts a family. `type` is "counter", "gauge" or "histogram". Names must match
  // [a-zA-Z_:][a-zA-Z0-9_:]* (callers use constants; a bad name is a programming error).
  void family(const std::string& name, const std::string& help, const char* type);
  // One sample of the current family: `name` is the family's name or, for histograms, the
  // family name plus _bucket, _sum or _count.
  void sample(const std::string& name, const Labels& labels, double value);
  void sample(const std::string& name, const Labels& labels, uint64_t value);
  void sample(const std::string& name, double value) { sample(name, {}, value); }

  const std::string& text() const { return text_; }
  std::string take() { return std::move(text_); }

private:
  void labels(const Labels& labels);
  std::string text_;
};

// The value as the format spells it: integers without a fraction, +Inf, -Inf, NaN.
std::string formatValue(double value);

} // namespace bambuddy::metrics
