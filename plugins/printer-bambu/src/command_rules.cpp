#include "command_rules.h"

#include <bambuddy/json_limits.hpp>
#include <bambuddy/sdk.hpp>

#include <nlohmann/json.hpp>

namespace bambuddy::printer_bambu {
namespace {

using nlohmann::json;

constexpr size_t kMaxCommandBytes = 64 * 1024;

} // namespace

PrintAction parseCommand(const std::string& command_json) {
  if (!sdk::checkJsonLimits(command_json, sdk::JsonLimits{16, kMaxCommandBytes})) {
    throw sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_command",
                     "command must be a JSON object of at most 64 KiB and 16 levels");
  }
  json doc = json::parse(command_json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    throw sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_command", "command must be a JSON object");
  }
  auto action = doc.find("action");
  if (action == doc.end() || !action->is_string()) {
    throw sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_command", "command needs a string \"action\"");
  }
  const std::string& name = action->get_ref<const std::string&>();
  if (name == "pause") {
    return PrintAction::Pause;
  }
  if (name == "resume") {
    return PrintAction::Resume;
  }
  if (name == "stop") {
    return PrintAction::Stop;
  }
  if (name == "start_print") {
    return PrintAction::StartPrint;
  }
  if (name == "fetch_print_file") {
    return PrintAction::FetchPrintFile;
  }
  std::string shown = name.size() > 32 ? name.substr(0, 32) + "..." : name;
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      c = '?';
    }
  }
  throw sdk::Error(BB_ERR_UNSUPPORTED, "unsupported_action",
                   "printer.bambu does not know the action '" + shown +
                       "'; supported: pause, resume, stop, start_print, fetch_print_file");
}

void checkCommandAllowed(PrintAction action, Activity activity) {
  bool ok = false;
  const char* needs = "";
  switch (action) {
  case PrintAction::Pause:
    ok = activity == Activity::Printing || activity == Activity::Preparing;
    needs = "printing or preparing";
    break;
  case PrintAction::Resume:
    ok = activity == Activity::Paused;
    needs = "paused";
    break;
  case PrintAction::Stop:
    ok = activity == Activity::Printing || activity == Activity::Preparing || activity == Activity::Paused;
    needs = "printing, preparing or paused";
    break;
  case PrintAction::StartPrint:
    ok = activity == Activity::Idle || activity == Activity::Finished || activity == Activity::Failed;
    needs = "idle, finished or failed";
    break;
  case PrintAction::FetchPrintFile:
    ok = true; // reading a file from the printer fits any state
    break;
  }
  if (!ok) {
    std::string state = activity == Activity::Unknown ? "unknown" : activityName(activity);
    const char* reason = action == PrintAction::StartPrint ? "printer_busy" : "invalid_state";
    throw sdk::Error(BB_ERR_CONFLICT, reason,
                     std::string("cannot ") +
                         (action == PrintAction::StartPrint ? "start a print on" : actionName(action)) +
                         " a printer that is " + state + " (needs " + needs + ")");
  }
}

const char* actionName(PrintAction action) {
  switch (action) {
  case PrintAction::Pause:
    return "pause";
  case PrintAction::Resume:
    return "resume";
  case PrintAction::Stop:
    return "stop";
  case PrintAction::StartPrint:
    return "start_print";
  case PrintAction::FetchPrintFile:
    return "fetch_print_file";
  }
  return "";
}

std::string printCommandPayload(PrintAction action, uint64_t sequence_id) {
  json body = {{"command", actionName(action)}, {"sequence_id", std::to_string(sequence_id)}, {"param", ""}};
  return json{{"print", std::move(body)}}.dump();
}

std::string pushAllPayload(uint64_t sequence_id) {
  return json{{"pushing", {{"command", "pushall"}, {"sequence_id", std::to_string(sequence_id)}}}}.dump();
}

std::string getVersionPayload(uint64_t sequence_id) {
  return json{{"info", {{"command", "get_version"}, {"sequence_id", std::to_string(sequence_id)}}}}.dump();
}

std::string capabilitiesJson() {
  return json{
      {"pause", true}, {"resume", true}, {"stop", true}, {"start_print", true}, {"fetch_print_file", true}}
      .dump();
}

} // namespace bambuddy::printer_bambu
