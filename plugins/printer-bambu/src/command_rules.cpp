#include "command_rules.h"

#include <bambuddy/sdk.hpp>

#include <nlohmann/json.hpp>

namespace bambuddy::printer_bambu {
namespace {

using nlohmann::json;

constexpr const char* kStartPrintReason =
    "starting a print needs the file transferred to the printer (FTPS), which this driver does not do yet";

} // namespace

PrintAction parseCommand(const std::string& command_json) {
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
    throw sdk::Error(BB_ERR_UNSUPPORTED, "unsupported_action",
                     std::string("printer.bambu: ") + kStartPrintReason);
  }
  std::string shown = name.size() > 32 ? name.substr(0, 32) + "..." : name;
  throw sdk::Error(BB_ERR_UNSUPPORTED, "unsupported_action",
                   "printer.bambu does not know the action '" + shown + "'; supported: pause, resume, stop");
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
  }
  if (!ok) {
    std::string state = activity == Activity::Unknown ? "unknown" : activityName(activity);
    throw sdk::Error(BB_ERR_CONFLICT, "invalid_state",
                     std::string("cannot ") + actionName(action) + " a printer that is " + state +
                         " (needs " + needs + ")");
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
  return json{{"pause", true},
              {"resume", true},
              {"stop", true},
              {"start_print", false},
              {"reason_start_print", kStartPrintReason}}
      .dump();
}

} // namespace bambuddy::printer_bambu
