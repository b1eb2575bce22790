#include "request_handler.h"

#include "archives/text_values.h"

#include <cstdio>

namespace bambusim {
namespace {

// The command name ends up in a stdout event line: keep it to one harmless token.
std::string safeToken(const std::string& text) {
  std::string out;
  for (char c : text.substr(0, 64)) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '-' || c == '.';
    out += ok ? c : '?';
  }
  return out.empty() ? "unknown" : out;
}

// Print acks say "SUCCESS"; system acks say "success" with an empty reason (P2S captures).
nlohmann::json ack(const std::string& section, const std::string& command, const nlohmann::json& sequence_id,
                   const std::string& refusal) {
  nlohmann::json body;
  body["command"] = command;
  if (section == "system") {
    body["result"] = refusal.empty() ? "success" : "fail";
    body["reason"] = refusal;
  } else {
    body["result"] = refusal.empty() ? "SUCCESS" : "FAIL";
    body["reason"] = refusal.empty() ? "SUCCESS" : refusal;
  }
  body["sequence_id"] = sequence_id;
  return nlohmann::json{{section, std::move(body)}};
}

// A field as a string, or "" when absent or of another type (requests come from anyone).
std::string stringField(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string jobFileName(const nlohmann::json& print) {
  std::string file = stringField(print, "file");
  if (file.empty()) {
    std::string url = stringField(print, "url");
    size_t slash = url.find_last_of('/');
    file = slash == std::string::npos ? url : url.substr(slash + 1);
  }
  if (file.empty()) {
    std::string name = stringField(print, "subtask_name");
    file = name.empty() ? std::string() : name + ".3mf";
  }
  return file;
}

std::optional<bool> boolField(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_boolean() ? std::optional<bool>(it->get<bool>()) : std::nullopt;
}

std::string withoutSuffix(const std::string& name, const std::string& suffix) {
  if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
    return name.substr(0, name.size() - suffix.size());
  }
  return name;
}

// The ams.tray_now a printer shows while printing: the tray filament 1 is mapped to, or 254
// (the external spool) when the AMS is not used. Nothing when the request does not say.
std::optional<std::string> trayNow(const nlohmann::json& print) {
  const std::optional<bool> use_ams = boolField(print, "use_ams");
  if (use_ams && !*use_ams) {
    return std::string("254");
  }
  auto mapping = print.find("ams_mapping");
  if (use_ams && mapping != print.end() && mapping->is_array() && !mapping->empty() &&
      (*mapping)[0].is_number_integer()) {
    const int64_t tray = (*mapping)[0].get<int64_t>();
    if (tray >= 0 && tray < 255) {
      return std::to_string(tray);
    }
  }
  return std::nullopt;
}

// project_file against the printer's storage: everything a printer checks before it starts.
// Returns the refusal ("" when the job started).
std::string startStoredProject(PrinterModel& printer, const nlohmann::json& print, int64_t now_ms,
                               const RequestContext& context, std::string& event) {
  if (printer.busy()) {
    return "busy (" + printer.gcodeState() + ")";
  }
  const std::string param = stringField(print, "param");
  const int plate = plateFromParam(param);
  if (plate == 0) {
    return "invalid param '" + bambuddy::archives::displayName(param) + "' (expected Metadata/plate_N.gcode)";
  }
  std::string reason;
  const std::string relative =
      storagePathFromUrl(stringField(print, "url"), stringField(print, "file"), reason);
  if (relative.empty()) {
    return reason;
  }
  ProjectJob project;
  reason =
      loadProjectJob(*context.storage, relative, plate, stringField(print, "md5"), context.timing, project);
  if (!reason.empty()) {
    return reason;
  }
  std::string name = bambuddy::archives::cleanText(stringField(print, "subtask_name"), 256);
  project.job.subtask_name =
      name.empty() ? withoutSuffix(withoutSuffix(project.job.filename, ".3mf"), ".gcode") : name;
  project.job.timelapse = boolField(print, "timelapse");
  project.job.tray_now = trayNow(print);
  reason = printer.startJob(project.job, now_ms);
  if (reason.empty()) {
    event = describeProjectJob(relative, project);
  }
  return reason;
}

} // namespace

std::string describeProjectJob(const std::string& relative, const ProjectJob& project) {
  char figures[160];
  std::snprintf(figures, sizeof(figures), " plate=%d duration_s=%.3f layers=%d", project.plate,
                project.job.duration_s, project.job.total_layers);
  std::string text = "/" + relative + figures;
  text +=
      " prediction_s=" + (project.prediction_s ? std::to_string(*project.prediction_s) : std::string("-"));
  if (project.weight_g) {
    std::snprintf(figures, sizeof(figures), " weight_g=%.2f", *project.weight_g);
    text += figures;
  } else {
    text += " weight_g=-";
  }
  return text;
}

RequestOutcome handleRequest(PrinterModel& printer, const std::string& payload, int64_t now_ms,
                             const RequestContext& context) {
  RequestOutcome out;
  // Slicers have been seen sending a trailing NUL after the JSON.
  std::string text = payload;
  while (!text.empty() && (text.back() == '\0' || text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || doc.empty()) {
    out.command = "invalid";
    return out;
  }
  std::string section;
  for (const char* known : {"pushing", "info", "print", "system"}) {
    if (doc.contains(known)) {
      section = known;
      break;
    }
  }
  if (section.empty()) {
    section = doc.begin().key();
  }
  const nlohmann::json& body = doc[section];
  if (!body.is_object() || !body.contains("command") || !body["command"].is_string()) {
    out.command = "invalid";
    return out;
  }
  const std::string command = body["command"].get<std::string>();
  const nlohmann::json sequence_id = body.contains("sequence_id") ? body["sequence_id"] : nlohmann::json("0");
  out.command = safeToken(command);

  if (section == "pushing") {
    out.send_full_report = command == "pushall";
    return out;
  }
  if (section == "info") {
    if (command == "get_version") {
      out.replies.push_back(printer.versionReply(sequence_id));
    }
    return out;
  }
  if (section == "print") {
    std::string refusal;
    if (command == "pause") {
      refusal = printer.pause(now_ms);
    } else if (command == "resume") {
      refusal = printer.resume(now_ms);
    } else if (command == "stop") {
      refusal = printer.stop(now_ms);
    } else if (command == "project_file") {
      if (context.storage != nullptr) {
        std::string started;
        refusal = startStoredProject(printer, body, now_ms, context, started);
        out.project_file_event = refusal.empty() ? "SUCCESS " + started : "FAIL " + refusal;
      } else {
        JobSpec job;
        job.filename = jobFileName(body);
        job.duration_s = context.job_duration_s;
        refusal = printer.startJob(job, now_ms);
      }
      nlohmann::json reply = ack(section, command, sequence_id, refusal);
      reply[section]["subtask_name"] = stringField(body, "subtask_name");
      out.replies.push_back(std::move(reply));
      out.state_changed = refusal.empty();
      return out;
    }
    out.replies.push_back(ack(section, command, sequence_id, refusal));
    out.state_changed = refusal.empty() && (command == "pause" || command == "resume" || command == "stop");
    return out;
  }
  if (section == "system") {
    out.replies.push_back(ack(section, command, sequence_id, ""));
  }
  return out;
}

} // namespace bambusim
