#include "sim_command.h"

#include <bambuddy/json_limits.hpp>
#include <bambuddy/sdk.hpp>

#include <nlohmann/json.hpp>

#include <cctype>
#include <cmath>

namespace bambuddy::printer_sim {
namespace {

using nlohmann::json;

constexpr double kMaxDurationS = 2592000; // 30 days
constexpr size_t kMaxMessageLen = 256;

[[noreturn]] void bad(const std::string& message) {
  throw sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_command", message);
}

// For messages: at most 64 characters, control characters replaced.
std::string shown(const std::string& text) {
  std::string out = text.size() > 64 ? text.substr(0, 64) + "..." : text;
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      c = '?';
    }
  }
  return out;
}

// "XXXX_XXXX..." with `groups` groups of 4 hex digits; returns it upper-cased, or nullopt.
std::optional<std::string> hexGroups(const std::string& text, size_t groups) {
  if (text.size() != groups * 5 - 1) {
    return std::nullopt;
  }
  std::string out = text;
  for (size_t i = 0; i < out.size(); ++i) {
    if (i % 5 == 4) {
      if (out[i] != '_') {
        return std::nullopt;
      }
    } else if (std::isxdigit(static_cast<unsigned char>(out[i])) == 0) {
      return std::nullopt;
    } else {
      out[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[i])));
    }
  }
  return out;
}

const json* field(const json& doc, const char* name) {
  auto it = doc.find(name);
  return it == doc.end() || it->is_null() ? nullptr : &*it;
}

std::string requiredText(const json& doc, const char* name, size_t max_len, const char* action) {
  const json* v = field(doc, name);
  if (v == nullptr) {
    bad(std::string(action) + " needs \"" + name + "\"");
  }
  if (!v->is_string() || v->get<std::string>().empty() || v->get<std::string>().size() > max_len ||
      !isPrintable(v->get<std::string>())) {
    bad(std::string(name) + " must be a string of 1 to " + std::to_string(max_len) +
        " characters without control characters");
  }
  return v->get<std::string>();
}

std::string optionalText(const json& doc, const char* name, size_t max_len, const std::string& fallback) {
  return field(doc, name) == nullptr ? fallback : requiredText(doc, name, max_len, "");
}

void parseStartPrint(const json& doc, SimCommand& c) {
  c.filename = requiredText(doc, "filename", 255, "start_print");
  if (const json* v = field(doc, "estimated_time_s")) {
    if (!v->is_number() || !std::isfinite(v->get<double>()) || v->get<double>() <= 0 ||
        v->get<double>() > kMaxDurationS) {
      bad("estimated_time_s must be a number of seconds above 0 and at most 2592000");
    }
    c.duration_s = v->get<double>();
  }
}

void parseSimFail(const json& doc, SimCommand& c) {
  c.print_error = kDefaultFailPrintError;
  if (const json* v = field(doc, "print_error")) {
    auto code = v->is_string() ? hexGroups(v->get<std::string>(), 2) : std::nullopt;
    if (!code || *code == "0000_0000") {
      bad("print_error must be a non-zero code of 8 hex digits written XXXX_XXXX, e.g. 0300_4001");
    }
    c.print_error = *code;
  }
}

void parseSimHms(const json& doc, SimCommand& c) {
  const json* code = field(doc, "code");
  if (code == nullptr) {
    bad("sim_hms needs \"code\", e.g. \"0300_4000_0002_0001\"");
  }
  auto normalized = code->is_string() ? hexGroups(code->get<std::string>(), 4) : std::nullopt;
  if (!normalized) {
    bad("code must be 16 hex digits written XXXX_XXXX_XXXX_XXXX, e.g. 0300_4000_0002_0001");
  }
  c.error.code = *normalized;
  c.error.severity = optionalText(doc, "severity", 16, "common");
  if (c.error.severity != "fatal" && c.error.severity != "serious" && c.error.severity != "common" &&
      c.error.severity != "info" && c.error.severity != "unknown") {
    bad("severity must be fatal, serious, common, info or unknown, not '" + shown(c.error.severity) + "'");
  }
  c.error.module = optionalText(doc, "module", 32, "mc");
  c.error.message = optionalText(doc, "message", kMaxMessageLen, "simulated error " + c.error.code);
}

} // namespace

const char* actionName(Action action) {
  switch (action) {
  case Action::Pause:
    return "pause";
  case Action::Resume:
    return "resume";
  case Action::Stop:
    return "stop";
  case Action::StartPrint:
    return "start_print";
  case Action::SimFail:
    return "sim_fail";
  case Action::SimHms:
    return "sim_hms";
  case Action::SimClearErrors:
    return "sim_clear_errors";
  case Action::SimOffline:
    return "sim_offline";
  case Action::SimOnline:
    return "sim_online";
  }
  return "unknown";
}

bool isPrinterAction(Action action) {
  return action == Action::Pause || action == Action::Resume || action == Action::Stop ||
         action == Action::StartPrint;
}

SimCommand parseCommand(std::string_view command_json) {
  // The sim's route hands the raw request body here.
  if (const sdk::JsonLimitCheck limits = sdk::checkJsonLimits(command_json); !limits) {
    throw sdk::Error(BB_ERR_INVALID_ARGUMENT,
                     limits.verdict == sdk::JsonLimitCheck::Verdict::TooDeep ? "json_too_deep"
                                                                             : "json_too_large",
                     "command refused: " + limits.message(command_json.size()));
  }
  json doc = json::parse(command_json.begin(), command_json.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    bad("a command must be a JSON object like {\"action\":\"pause\"}");
  }
  auto it = doc.find("action");
  if (it == doc.end() || !it->is_string()) {
    bad("a command needs \"action\" (a string)");
  }
  const std::string action = it->get<std::string>();
  SimCommand c;
  if (action == "pause") {
    c.action = Action::Pause;
  } else if (action == "resume") {
    c.action = Action::Resume;
  } else if (action == "stop") {
    c.action = Action::Stop;
  } else if (action == "start_print") {
    c.action = Action::StartPrint;
    parseStartPrint(doc, c);
  } else if (action == "sim_fail") {
    c.action = Action::SimFail;
    parseSimFail(doc, c);
  } else if (action == "sim_hms") {
    c.action = Action::SimHms;
    parseSimHms(doc, c);
  } else if (action == "sim_clear_errors") {
    c.action = Action::SimClearErrors;
  } else if (action == "sim_offline") {
    c.action = Action::SimOffline;
  } else if (action == "sim_online") {
    c.action = Action::SimOnline;
  } else {
    throw sdk::Error(BB_ERR_UNSUPPORTED, "unsupported_action",
                     "action '" + shown(action) +
                         "' is not supported; printer.sim knows pause, resume, stop, start_print, sim_fail, "
                         "sim_hms, sim_clear_errors, sim_offline and sim_online");
  }
  return c;
}

} // namespace bambuddy::printer_sim
