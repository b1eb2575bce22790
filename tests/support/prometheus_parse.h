// Runs tests/support/prometheus_parse.py (the reference parser, python3-prometheus-client) over a
// metrics answer, so tests check the text a real Prometheus would read, not our own reading of it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace bambuddy::testing {

struct PromSample {
  std::string family; // the family's name as the parser reports it (counters lose "_total")
  std::string type;   // "counter", "gauge", "histogram"
  std::string name;   // the sample's full name ("..._total", "..._bucket")
  std::map<std::string, std::string> labels;
  double value = 0;
};

// Throws std::runtime_error with the parser's message when the text is not valid.
std::vector<PromSample> parsePrometheus(const std::string& text);

// The value of the sample with this name whose labels include `labels`; nullopt when none.
std::optional<double> promValue(const std::vector<PromSample>& samples, const std::string& name,
                                const std::map<std::string, std::string>& labels = {});
// The sum over every sample with this name whose labels include `labels`.
double promSum(const std::vector<PromSample>& samples, const std::string& name,
               const std::map<std::string, std::string>& labels = {});

} // namespace bambuddy::testing
