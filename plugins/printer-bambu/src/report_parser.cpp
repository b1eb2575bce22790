#include "report_parser.h"

#include <bambuddy/json_limits.hpp>
#include <bambuddy/utf8.hpp>

#include <algorithm>
#include <array>

namespace bambuddy::printer_bambu {
namespace {

using nlohmann::json;

// Keys of the "print" object that the status uses; everything else is dropped while parsing.
constexpr std::array<std::string_view, 19> kPrintKeys = {"command",
                                                         "gcode_state",
                                                         "mc_percent",
                                                         "mc_remaining_time",
                                                         "nozzle_temper",
                                                         "nozzle_target_temper",
                                                         "bed_temper",
                                                         "bed_target_temper",
                                                         "chamber_temper",
                                                         "layer_num",
                                                         "total_layer_num",
                                                         "subtask_name",
                                                         "gcode_file",
                                                         "subtask_id",
                                                         "task_id",
                                                         "project_id",
                                                         "hms",
                                                         "print_error",
                                                         "fail_reason"};

constexpr std::array<std::string_view, 2> kInfoKeys = {"command", "module"};

// Containers nested deeper than this are dropped (real reports nest 4 levels); it also bounds
// the work a hostile payload can cause.
constexpr int kMaxDepth = 6;

template <size_t N> bool contains(const std::array<std::string_view, N>& keys, const std::string& key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

// Trailing NULs (some clients send C strings) and whitespace are not part of the JSON text.
std::string_view trimEnd(std::string_view text) {
  while (!text.empty() && (text.back() == '\0' || text.back() == ' ' || text.back() == '\n' ||
                           text.back() == '\r' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

json parseFiltered(std::string_view text) {
  std::string top_key; // the root key whose value is being parsed
  json::parser_callback_t filter = [&top_key](int depth, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::key) {
      const std::string& key = parsed.get_ref<const std::string&>();
      if (depth == 1) {
        top_key = key;
        return key == "print" || key == "info";
      }
      if (depth == 2) {
        return top_key == "print" ? contains(kPrintKeys, key) : contains(kInfoKeys, key);
      }
      return true;
    }
    if (event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) {
      return depth < kMaxDepth;
    }
    return true;
  };
  return json::parse(text.begin(), text.end(), filter, /*allow_exceptions=*/false);
}

ParsedReport invalid(std::string problem) {
  ParsedReport r;
  r.kind = ParsedReport::Kind::Invalid;
  r.problem = std::move(problem);
  return r;
}

} // namespace

ParsedReport parseReport(std::string_view payload) {
  if (payload.size() > kMaxReportBytes) {
    return invalid("payload of " + std::to_string(payload.size()) + " bytes exceeds the limit of " +
                   std::to_string(kMaxReportBytes));
  }
  std::string_view text = trimEnd(payload);
  if (text.empty()) {
    return invalid("empty payload");
  }
  if (text.find('\0') != std::string_view::npos) {
    // The JSON parser would silently stop at a NUL and ignore whatever follows.
    return invalid("NUL byte inside the payload");
  }
  // A report nested past the SDK's limit is refused whole (real ones nest 4 levels); the filter
  // below would drop the deep parts anyway, but a refusal is logged (rate-limited by the session).
  const sdk::JsonLimitCheck limits =
      sdk::checkJsonLimits(text, sdk::JsonLimits{sdk::kDefaultJsonMaxDepth, kMaxReportBytes});
  if (!limits) {
    return invalid(limits.message(text.size()));
  }
  ParsedReport r;
  json doc = parseFiltered(text);
  if (doc.is_discarded() && !sdk::isValidUtf8(text)) {
    // One bad string (a P1P sent binary bytes in gcode_file while downloading) must not cost the
    // whole report: parse a repaired copy and let the state skip the damaged strings.
    doc = parseFiltered(sdk::repairUtf8(text));
    r.repaired = true;
  }
  if (doc.is_discarded()) {
    return invalid(r.repaired ? "not valid JSON (and not valid UTF-8)" : "not valid JSON");
  }
  if (!doc.is_object()) {
    return invalid("not a JSON object");
  }
  auto section = [&](const char* name, ParsedReport::Kind kind, const char* command) -> bool {
    auto it = doc.find(name);
    if (it == doc.end() || !it->is_object()) {
      return false;
    }
    auto cmd = it->find("command");
    // A status without "command" is still a status (some firmware omits it); an ack is not.
    bool matches = cmd == it->end() ? kind == ParsedReport::Kind::PushStatus
                                    : cmd->is_string() && cmd->get_ref<const std::string&>() == command;
    if (!matches) {
      return false;
    }
    r.kind = kind;
    r.body = std::move(*it);
    return true;
  };
  if (!section("print", ParsedReport::Kind::PushStatus, "push_status") &&
      !section("info", ParsedReport::Kind::Version, "get_version")) {
    r.kind = ParsedReport::Kind::Other;
  }
  return r;
}

} // namespace bambuddy::printer_bambu
