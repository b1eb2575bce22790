#include "support/prometheus_parse.h"

#include "support/child_process.h"
#include "support/temp_dir.h"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <limits>
#include <sstream>
#include <stdexcept>

namespace bambuddy::testing {

namespace {

bool matches(const PromSample& s, const std::string& name, const std::map<std::string, std::string>& labels) {
  if (s.name != name) {
    return false;
  }
  for (const auto& [key, value] : labels) {
    auto it = s.labels.find(key);
    if (it == s.labels.end() || it->second != value) {
      return false;
    }
  }
  return true;
}

} // namespace

std::vector<PromSample> parsePrometheus(const std::string& text) {
  TempDir dir;
  const std::string input = dir.write("metrics.txt", text);
  const std::string out_path = dir.file("samples.jsonl");
  const std::string err_path = dir.file("stderr.txt");
  int out_fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int err_fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out_fd < 0 || err_fd < 0) {
    throw std::runtime_error("cannot create the parser's output files");
  }
  pid_t pid = spawnChild(
      {"/usr/bin/python3", std::string(BAMBUDDY_SOURCE_DIR) + "/tests/support/prometheus_parse.py", input},
      ChildFds{-1, out_fd, err_fd});
  ::close(out_fd);
  ::close(err_fd);
  int status = 0;
  if (!reapChild(pid, 30000, status)) {
    terminateChild(pid, 1000);
    throw std::runtime_error("the Prometheus parser did not finish");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("the Prometheus parser refused the text (" + describeExitStatus(status) +
                             "): " + readFile(err_path));
  }
  std::vector<PromSample> samples;
  std::istringstream lines(readFile(out_path));
  std::string line;
  while (std::getline(lines, line)) {
    nlohmann::json j = nlohmann::json::parse(line);
    PromSample s;
    s.family = j["family"];
    s.type = j["type"];
    s.name = j["name"];
    for (const auto& [key, value] : j["labels"].items()) {
      s.labels[key] = value.get<std::string>();
    }
    if (j["value"].is_string()) {
      const std::string v = j["value"];
      s.value = v == "NaN" ? std::numeric_limits<double>::quiet_NaN()
                           : (v == "+Inf" ? 1 : -1) * std::numeric_limits<double>::infinity();
    } else {
      s.value = j["value"].get<double>();
    }
    samples.push_back(std::move(s));
  }
  return samples;
}

std::optional<double> promValue(const std::vector<PromSample>& samples, const std::string& name,
                                const std::map<std::string, std::string>& labels) {
  for (const auto& s : samples) {
    if (matches(s, name, labels)) {
      return s.value;
    }
  }
  return std::nullopt;
}

double promSum(const std::vector<PromSample>& samples, const std::string& name,
               const std::map<std::string, std::string>& labels) {
  double sum = 0;
  for (const auto& s : samples) {
    if (matches(s, name, labels)) {
      sum += s.value;
    }
  }
  return sum;
}

} // namespace bambuddy::testing
