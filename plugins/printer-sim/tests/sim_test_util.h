// Shared fixture for the printer.sim tests: a FakeHost in a temp dir, the driver created through
// its real descriptor, command helpers and waits on status reports with deadlines.
#pragma once

#include "support/temp_dir.h"

#include <bambuddy/abi.h>
#include <bambuddy/sdk.hpp>
#include <bambuddy/testing/fake_host.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

extern "C" const bb_plugin_descriptor* bb_plugin_query(uint32_t host_abi_major, uint32_t host_abi_minor);

namespace bambuddy::printer_sim::test {

using nlohmann::json;

inline const bb_plugin_descriptor* descriptor() {
  return bb_plugin_query(BB_ABI_MAJOR, BB_ABI_MINOR);
}

// Generous: the waits end as soon as the condition holds; only a broken sim waits this long.
constexpr int64_t kWaitMs = 20000;

// Fast settings: a 600 s print takes 0.2 s of real time.
inline json fastSettings(json extra = json::object()) {
  json s = {{"speed", 3000}, {"report_interval_ms", 20}, {"print_time_s", 600}};
  for (auto& [k, v] : extra.items()) {
    s[k] = v;
  }
  return s;
}

struct CommandResult {
  int32_t rc = -1;
  std::string reason;
  std::string message;
  json body; // the result object when rc == BB_OK
};

class SimTest : public ::testing::Test {
protected:
  SimTest() : host_(tmp_.path() + "/instances") {}
  ~SimTest() override { instance_.reset(); }

  void create(const json& settings = fastSettings(), const std::string& id = "sim1") {
    instance_ = host_.create(descriptor(), "{}", settings.dump(), id);
  }
  const bb_printer_driver_ops* ops() const { return instance_->ops<bb_printer_driver_ops>(); }
  void start() { host_.call(ops()->start, instance_->self()); }
  void stop() { host_.call(ops()->stop, instance_->self()); }

  CommandResult command(const json& cmd) { return commandText(cmd.dump()); }
  CommandResult commandText(const std::string& text) {
    std::string out;
    bb_error err = sdk::detail::makeError();
    CommandResult r;
    r.rc =
        ops()->command(instance_->self(), text.data(), text.size(), &sdk::detail::appendToString, &out, &err);
    r.reason = err.reason;
    r.message = err.message;
    if (r.rc == BB_OK) {
      r.body = json::parse(out);
    }
    return r;
  }
  // Runs a command that must succeed and returns its result.
  json ok(const json& cmd) {
    CommandResult r = command(cmd);
    EXPECT_EQ(r.rc, BB_OK) << cmd.dump() << ": " << r.reason << " " << r.message;
    return r.body;
  }
  std::string startPrint(const std::string& filename, std::optional<double> estimated_s = std::nullopt) {
    json cmd = {{"action", "start_print"}, {"filename", filename}};
    if (estimated_s) {
      cmd["estimated_time_s"] = *estimated_s;
    }
    json r = ok(cmd);
    return r.value("job_id", "");
  }

  size_t reportCount() const { return host_.statusReports().size(); }
  std::vector<json> reports(size_t from = 0) const {
    std::vector<json> out;
    auto all = host_.statusReports();
    for (size_t i = from; i < all.size(); ++i) {
      out.push_back(json::parse(all[i]));
    }
    return out;
  }

  // The first report at index >= `from` that satisfies `pred`; nullopt after kWaitMs. The index
  // of the match is left in matched_index_.
  std::optional<json> waitFor(const std::function<bool(const json&)>& pred, size_t from = 0,
                              int64_t timeout_ms = kWaitMs) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    size_t next = from;
    while (true) {
      auto all = host_.statusReports();
      for (; next < all.size(); ++next) {
        json j = json::parse(all[next]);
        if (pred(j)) {
          matched_index_ = next;
          return j;
        }
      }
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        return std::nullopt;
      }
      host_.waitForStatusReports(next + 1, left.count());
    }
  }
  std::optional<json> waitForState(const std::string& state, size_t from = 0) {
    return waitFor([&](const json& j) { return j.value("state", "") == state; }, from);
  }

  bambuddy::testing::TempDir tmp_;
  bambuddy::testing::FakeHost host_;
  std::unique_ptr<bambuddy::testing::FakeHost::Instance> instance_;
  size_t matched_index_ = 0;
};

} // namespace bambuddy::printer_sim::test
