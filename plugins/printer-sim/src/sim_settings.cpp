#include "sim_settings.h"

#include <bambuddy/json_limits.hpp>
#include <bambuddy/sdk.hpp>

#include <nlohmann/json.hpp>

#include <cmath>

namespace bambuddy::printer_sim {
namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& message) {
  throw sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_settings", "printer.sim settings: " + message);
}

// JSON Schema's "integer" includes 600.0, so this does too.
int64_t integerIn(const json& v, const std::string& path, int64_t min, int64_t max) {
  bool integral = v.is_number_integer() || (v.is_number_float() && std::isfinite(v.get<double>()) &&
                                            std::floor(v.get<double>()) == v.get<double>());
  if (!integral || v.get<double>() < static_cast<double>(min) || v.get<double>() > static_cast<double>(max)) {
    bad(path + " must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return static_cast<int64_t>(v.get<double>());
}

double numberIn(const json& v, const std::string& path, double min, double max, const std::string& range) {
  if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < min || v.get<double>() > max) {
    bad(path + " must be a number " + range);
  }
  return v.get<double>();
}

bool boolean(const json& v, const std::string& path) {
  if (!v.is_boolean()) {
    bad(path + " must be true or false");
  }
  return v.get<bool>();
}

std::string text(const json& v, const std::string& path, size_t max_len) {
  if (!v.is_string() || v.get<std::string>().empty() || v.get<std::string>().size() > max_len ||
      !isPrintable(v.get<std::string>())) {
    bad(path + " must be a string of 1 to " + std::to_string(max_len) +
        " characters without control characters");
  }
  return v.get<std::string>();
}

std::string shown(const std::string& field) {
  return field.size() > 64 ? field.substr(0, 64) + "..." : field;
}

AutoPrint parseAutoPrint(const json& v) {
  if (!v.is_object()) {
    bad("/auto_print must be an object with filename, repeat and idle_s");
  }
  AutoPrint a;
  bool has_filename = false;
  for (const auto& [field, value] : v.items()) {
    if (field == "filename") {
      a.filename = text(value, "/auto_print/filename", 255);
      has_filename = true;
    } else if (field == "repeat") {
      a.repeat = boolean(value, "/auto_print/repeat");
    } else if (field == "idle_s") {
      a.idle_s = integerIn(value, "/auto_print/idle_s", 0, 86400);
    } else {
      bad("unknown field '/auto_print/" + shown(field) + "'; expected filename, repeat or idle_s");
    }
  }
  if (!has_filename) {
    bad("/auto_print/filename is required");
  }
  return a;
}

} // namespace

bool isPrintable(const std::string& text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return false;
    }
  }
  return true;
}

SimSettings parseSimSettings(const std::string& settings_json) {
  if (const sdk::JsonLimitCheck limits = sdk::checkJsonLimits(settings_json); !limits) {
    bad(limits.message(settings_json.size()));
  }
  json doc = json::parse(settings_json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    bad("must be a JSON object");
  }
  SimSettings s;
  for (const auto& [field, v] : doc.items()) {
    if (field == "model") {
      s.model = text(v, "/model", 64);
    } else if (field == "print_time_s") {
      s.print_time_s = integerIn(v, "/print_time_s", 1, 2592000);
    } else if (field == "speed") {
      s.speed = numberIn(v, "/speed", 0, 100000, "above 0 and at most 100000");
      if (s.speed <= 0) {
        bad("/speed must be a number above 0 and at most 100000");
      }
    } else if (field == "report_interval_ms") {
      s.report_interval_ms = integerIn(v, "/report_interval_ms", 10, 5000);
    } else if (field == "nozzle_target_c") {
      s.nozzle_target_c = numberIn(v, "/nozzle_target_c", 0, 350, "from 0 to 350");
    } else if (field == "bed_target_c") {
      s.bed_target_c = numberIn(v, "/bed_target_c", 0, 130, "from 0 to 130");
    } else if (field == "auto_print") {
      s.auto_print = parseAutoPrint(v);
    } else if (field == "start_connected") {
      s.start_connected = boolean(v, "/start_connected");
    } else {
      bad("unknown field '" + shown(field) +
          "'; expected model, print_time_s, speed, report_interval_ms, nozzle_target_c, bed_target_c, "
          "auto_print or start_connected");
    }
  }
  return s;
}

void checkPluginConfig(const std::string& config_json) {
  json doc = json::parse(config_json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.empty()) {
    throw sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_config",
                     "printer.sim has no plugin config; use an empty object (settings go on each instance)");
  }
}

} // namespace bambuddy::printer_sim
