// Shared helpers of the printer.bambu tests: fixtures, the descriptor, a FakeHost-backed Host.
#pragma once

#include "printer_state.h"

#include <bambuddy/abi.h>
#include <bambuddy/sdk.hpp>
#include <bambuddy/testing/fake_host.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern "C" const bb_plugin_descriptor* bb_plugin_query(uint32_t, uint32_t);

namespace bambuddy::printer_bambu::test {

using nlohmann::json;

inline const bb_plugin_descriptor* descriptor() {
  return bb_plugin_query(BB_ABI_MAJOR, BB_ABI_MINOR);
}

inline std::string readText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read " + path);
  }
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A fixture file's bytes, as a printer sent them.
inline std::string fixture(const std::string& name) {
  return readText(std::string(PRINTER_BAMBU_FIXTURE_DIR) + "/" + name);
}

// The messages of a .jsonl fixture in order, each with the fixture compiler's "_..." keys removed.
inline std::vector<std::string> fixtureLines(const std::string& name) {
  std::vector<std::string> out;
  std::istringstream lines(fixture(name));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) {
      continue;
    }
    json doc = json::parse(line);
    for (auto it = doc.begin(); it != doc.end();) {
      it = it.key().rfind('_', 0) == 0 ? doc.erase(it) : std::next(it);
    }
    out.push_back(doc.dump());
  }
  return out;
}

// A fresh state fed with the given fixtures, in order; fails the test if one does not apply.
inline PrinterState stateFrom(const std::vector<std::string>& fixtures) {
  PrinterState state;
  for (const std::string& name : fixtures) {
    PrinterState::ApplyResult r = state.applyPayload(fixture(name));
    EXPECT_NE(r.kind, ParsedReport::Kind::Invalid) << name << ": " << r.problem;
    EXPECT_EQ(r.skipped_fields, 0) << name << ": " << r.problem;
  }
  return state;
}

inline json liveStatus(const PrinterState& state) {
  return state.status(true, "");
}

// Polls `condition` until it holds or `timeout_ms` passes.
inline bool eventually(const std::function<bool()>& condition, int64_t timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return condition();
}

// A Host for driving internal classes (MqttSession) directly against a FakeHost.
class HostHarness {
public:
  explicit HostHarness(testing::FakeHost& host, const std::string& instance_id = "direct") {
    ctx_.host = &host;
    ctx_.plugin_name = "printer.bambu";
    ctx_.instance_id = instance_id;
    ctx_.kind = BB_KIND_PRINTER_DRIVER;
    ctx_.data_dir = "/tmp";
  }
  sdk::Host host() { return sdk::Host(ctx_.host->api(), reinterpret_cast<bb_host_ctx*>(&ctx_)); }

private:
  testing::FakeHost::Ctx ctx_;
};

} // namespace bambuddy::printer_bambu::test
