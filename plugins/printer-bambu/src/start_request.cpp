#include "start_request.h"

#include "report_parser.h"

#include <bambuddy/json_limits.hpp>
#include <bambuddy/sdk.hpp>

#include <algorithm>
#include <cctype>

namespace bambuddy::printer_bambu {
namespace {

using nlohmann::json;

constexpr size_t kMaxFilenameBytes = 200;
constexpr size_t kMaxNameBytes = 255;
constexpr size_t kMaxPathBytes = 4096;
constexpr int64_t kMaxEstimateS = 2592000;                            // 30 days
constexpr uint64_t kMaxFileBytes = uint64_t{64} * 1024 * 1024 * 1024; // far above any 3MF

[[noreturn]] void bad(const std::string& message) {
  throw sdk::Error(BB_ERR_INVALID_ARGUMENT, "invalid_command", "start_print: " + message);
}

// For messages: at most `max` bytes, control characters replaced.
std::string shown(const std::string& text, size_t max = 64) {
  std::string out = text.size() > max ? text.substr(0, max) + "..." : text;
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      c = '?';
    }
  }
  return out;
}

// The field, or nullptr when absent or null (both mean "not given").
const json* field(const json& doc, const char* name) {
  auto it = doc.find(name);
  return it == doc.end() || it->is_null() ? nullptr : &*it;
}

bool hasControl(const std::string& text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

bool validFilename(const std::string& name) {
  if (name.size() < 5 || name.size() > kMaxFilenameBytes || name.front() == '.' || name.front() == ' ' ||
      name.back() == ' ') {
    return false;
  }
  for (char c : name) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 &&
        std::string_view("._ ()-").find(c) == std::string_view::npos) {
      return false;
    }
  }
  std::string ext = name.substr(name.size() - 4);
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](char c) { return std::tolower(static_cast<unsigned char>(c)); });
  return ext == ".3mf"; // no '/' can pass, so dots anywhere else are harmless
}

bool flag(const json& options, const char* name, bool fallback) {
  const json* v = field(options, name);
  if (v == nullptr) {
    return fallback;
  }
  if (!v->is_boolean()) {
    bad(std::string("options.") + name + " must be true or false");
  }
  return v->get<bool>();
}

void parseOptions(const json& options, StartOptions& o) {
  if (!options.is_object()) {
    bad("options must be an object");
  }
  static const std::vector<std::string> kKnown = {"use_ams",       "ams_mapping",    "bed_leveling",
                                                  "flow_cali",     "vibration_cali", "timelapse",
                                                  "layer_inspect", "bed_type"};
  for (const auto& [key, value] : options.items()) {
    if (std::find(kKnown.begin(), kKnown.end(), key) == kKnown.end()) {
      bad("unknown option '" + shown(key) +
          "'; known: use_ams, ams_mapping, bed_leveling, flow_cali, vibration_cali, timelapse, "
          "layer_inspect, bed_type");
    }
  }
  o.use_ams = flag(options, "use_ams", o.use_ams);
  o.bed_leveling = flag(options, "bed_leveling", o.bed_leveling);
  o.flow_cali = flag(options, "flow_cali", o.flow_cali);
  o.vibration_cali = flag(options, "vibration_cali", o.vibration_cali);
  o.timelapse = flag(options, "timelapse", o.timelapse);
  o.layer_inspect = flag(options, "layer_inspect", o.layer_inspect);
  if (const json* v = field(options, "ams_mapping")) {
    const std::string rule = "options.ams_mapping must be an array of at most " +
                             std::to_string(kMaxAmsMapping) +
                             " tray ids, each an integer from -1 (unused) to " + std::to_string(kMaxTrayId);
    if (!v->is_array() || v->size() > kMaxAmsMapping) {
      bad(rule);
    }
    std::vector<int> mapping;
    for (size_t i = 0; i < v->size(); ++i) {
      const json& tray = (*v)[i];
      if (!tray.is_number_integer() || tray.get<int64_t>() < -1 || tray.get<int64_t>() > kMaxTrayId) {
        bad(rule + " (entry " + std::to_string(i) + " is " + shown(tray.dump()) + ")");
      }
      mapping.push_back(static_cast<int>(tray.get<int64_t>()));
    }
    o.ams_mapping = std::move(mapping);
  }
  if (const json* v = field(options, "bed_type")) {
    const auto& known = knownBedTypes();
    if (!v->is_string() ||
        std::find(known.begin(), known.end(), v->get_ref<const std::string&>()) == known.end()) {
      std::string list;
      for (const std::string& t : known) {
        list += (list.empty() ? "" : ", ") + t;
      }
      bad("options.bed_type must be one of " + list + ", not " + shown(v->dump()));
    }
    o.bed_type = v->get<std::string>();
  }
}

void parseFile(const json& file, StartPrintRequest& r) {
  if (!file.is_object()) {
    bad("file must be an object {\"path\", \"size\", \"sha256\"}");
  }
  const json* path = field(file, "path");
  if (path == nullptr || !path->is_string() || path->get_ref<const std::string&>().empty() ||
      path->get_ref<const std::string&>().size() > kMaxPathBytes ||
      path->get_ref<const std::string&>().find('\0') != std::string::npos ||
      path->get_ref<const std::string&>().front() != '/') {
    bad("file.path must be an absolute path");
  }
  r.file_path = path->get<std::string>();
  const json* size = field(file, "size");
  // nlohmann keeps a positive number parsed from text as unsigned and one built in code as signed.
  if (size == nullptr || !size->is_number_integer() ||
      (!size->is_number_unsigned() && size->get<int64_t>() <= 0) || size->get<uint64_t>() == 0 ||
      size->get<uint64_t>() > kMaxFileBytes) {
    bad("file.size must be the file's size in bytes, above 0");
  }
  r.file_size = size->get<uint64_t>();
  const json* sha = field(file, "sha256");
  std::string hex = sha != nullptr && sha->is_string() ? sha->get<std::string>() : std::string();
  std::transform(hex.begin(), hex.end(), hex.begin(),
                 [](char c) { return std::tolower(static_cast<unsigned char>(c)); });
  if (hex.size() != 64 || hex.find_first_not_of("0123456789abcdef") != std::string::npos) {
    bad("file.sha256 must be 64 hex digits");
  }
  r.file_sha256 = std::move(hex);
}

} // namespace

const std::vector<std::string>& knownBedTypes() {
  static const std::vector<std::string> kTypes = {"auto",           "cool_plate", "textured_cool_plate",
                                                  "eng_plate",      "hot_plate",  "textured_plate",
                                                  "supertack_plate"};
  return kTypes;
}

StartPrintRequest parseStartPrint(const json& command) {
  if (!command.is_object()) {
    bad("the command must be a JSON object");
  }
  StartPrintRequest r;
  const json* archive = field(command, "archive_id");
  if (archive == nullptr || !archive->is_number_integer() || archive->get<int64_t>() <= 0) {
    bad("archive_id must be a positive integer");
  }
  r.archive_id = archive->get<int64_t>();

  const json* filename = field(command, "filename");
  if (filename == nullptr || !filename->is_string() ||
      !validFilename(filename->get_ref<const std::string&>())) {
    bad("filename must be a name of at most " + std::to_string(kMaxFilenameBytes) +
        " characters from A-Z a-z 0-9 . _ space ( ) -, not starting with a dot, ending with .3mf" +
        (filename != nullptr ? " (got " + shown(filename->dump()) + ")" : std::string(" (missing)")));
  }
  r.filename = filename->get<std::string>();

  if (const json* name = field(command, "name")) {
    if (!name->is_string() || name->get_ref<const std::string&>().empty() ||
        name->get_ref<const std::string&>().size() > kMaxNameBytes ||
        hasControl(name->get_ref<const std::string&>())) {
      bad("name must be a string of 1 to " + std::to_string(kMaxNameBytes) +
          " bytes without control characters");
    }
    r.name = name->get<std::string>();
  } else {
    r.name = r.filename.substr(0, r.filename.size() - 4);
  }

  if (const json* estimate = field(command, "estimated_time_s")) {
    double s = estimate->is_number() ? estimate->get<double>() : -1;
    if (!(s >= 0 && s <= kMaxEstimateS)) {
      bad("estimated_time_s must be a number of seconds from 0 (unknown) to " +
          std::to_string(kMaxEstimateS));
    }
    if (s > 0) {
      r.estimated_time_s = static_cast<int64_t>(s + 0.5);
    }
  }

  if (const json* plate = field(command, "plate")) {
    if (!plate->is_number_integer() || plate->get<int64_t>() < 1 || plate->get<int64_t>() > kMaxPlate) {
      bad("plate must be an integer from 1 to " + std::to_string(kMaxPlate));
    }
    r.plate = static_cast<int>(plate->get<int64_t>());
  }

  const json* file = field(command, "file");
  if (file == nullptr) {
    bad("file is required: {\"path\", \"size\", \"sha256\"} of the 3MF to print");
  }
  parseFile(*file, r);

  if (const json* options = field(command, "options")) {
    parseOptions(*options, r.options);
  }
  return r;
}

std::string projectFilePayload(const StartPrintRequest& r, const std::string& md5_hex, uint64_t sequence_id) {
  std::string md5 = md5_hex;
  // Bambu Studio sends the digest in capitals; printers compare without regard to case.
  std::transform(md5.begin(), md5.end(), md5.begin(),
                 [](char c) { return std::toupper(static_cast<unsigned char>(c)); });
  const StartOptions& o = r.options;
  json print = {{"command", "project_file"},
                {"sequence_id", std::to_string(sequence_id)},
                {"param", "Metadata/plate_" + std::to_string(r.plate) + ".gcode"},
                {"url", "ftp://" + r.filename},
                {"file", r.filename},
                {"md5", md5},
                {"subtask_name", r.name},
                {"project_id", "0"},
                {"profile_id", "0"},
                {"task_id", "0"},
                {"subtask_id", "0"},
                {"bed_type", o.bed_type},
                {"timelapse", o.timelapse},
                {"bed_leveling", o.bed_leveling},
                {"flow_cali", o.flow_cali},
                {"vibration_cali", o.vibration_cali},
                {"layer_inspect", o.layer_inspect},
                {"use_ams", o.use_ams}};
  if (o.ams_mapping) {
    print["ams_mapping"] = *o.ams_mapping;
  }
  return json{{"print", std::move(print)}}.dump();
}

std::optional<ProjectFileAnswer> parseProjectFileAnswer(std::string_view payload) {
  if (payload.size() > kMaxReportBytes || payload.find("project_file") == std::string_view::npos ||
      !sdk::checkJsonLimits(payload, sdk::JsonLimits{sdk::kDefaultJsonMaxDepth, kMaxReportBytes})) {
    return std::nullopt;
  }
  json doc = json::parse(payload.begin(), payload.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return std::nullopt;
  }
  auto print = doc.find("print");
  if (print == doc.end() || !print->is_object() || print->value("command", json()) != "project_file") {
    return std::nullopt;
  }
  auto result = print->find("result");
  if (result == print->end() || !result->is_string()) {
    return std::nullopt; // our own request echoed, or a progress message without a verdict
  }
  ProjectFileAnswer answer;
  auto seq = print->find("sequence_id");
  if (seq != print->end()) {
    answer.sequence_id = seq->is_string()           ? seq->get<std::string>()
                         : seq->is_number_integer() ? seq->dump()
                                                    : "";
  }
  std::string verdict = result->get<std::string>();
  std::transform(verdict.begin(), verdict.end(), verdict.begin(),
                 [](char c) { return std::toupper(static_cast<unsigned char>(c)); });
  answer.success = verdict == "SUCCESS";
  auto reason = print->find("reason");
  answer.reason =
      reason != print->end() && reason->is_string() ? shown(reason->get<std::string>(), 256) : verdict;
  return answer;
}

} // namespace bambuddy::printer_bambu
