#include "config/yaml_loader.h"

#include "config/config_error.h"
#include "config/json_pointer.h"
#include "config/variable_substitution.h"

#include <bambuddy/json_limits.hpp>
#include <bambuddy/utf8.hpp>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <vector>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

namespace bambuddy::config {

namespace {

// Guards against recursive aliases (yaml-cpp builds a cyclic node graph for `&a [*a]`) and
// against alias bombs that expand a small file into billions of values. The depth limit is the
// one JSON input has (bambuddy/json_limits.hpp): the converted document is validated, merged and
// copied recursively later. (yaml-cpp's own parser stops at 2000 levels with a syntax error.)
constexpr int kMaxDepth = static_cast<int>(sdk::kDefaultJsonMaxDepth);
constexpr std::size_t kMaxValues = 100000;
constexpr std::size_t kMaxFileBytes = 16 * 1024 * 1024;

const char* const kTagStr = "tag:yaml.org,2002:str";
const char* const kTagInt = "tag:yaml.org,2002:int";
const char* const kTagFloat = "tag:yaml.org,2002:float";
const char* const kTagBool = "tag:yaml.org,2002:bool";
const char* const kTagNull = "tag:yaml.org,2002:null";
const char* const kTagMap = "tag:yaml.org,2002:map";
const char* const kTagSeq = "tag:yaml.org,2002:seq";

bool isDigits(const std::string& s, std::size_t from, int base) {
  if (from >= s.size()) {
    return false;
  }
  for (std::size_t i = from; i < s.size(); ++i) {
    char c = s[i];
    bool ok = base == 8    ? (c >= '0' && c <= '7')
              : base == 10 ? (c >= '0' && c <= '9')
                           : std::isxdigit(static_cast<unsigned char>(c)) != 0;
    if (!ok) {
      return false;
    }
  }
  return true;
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool looksLikeFloat(const std::string& s) {
  std::size_t i = 0;
  auto digits = [&]() {
    std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      ++i;
    }
    return i - start;
  };
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    ++i;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (digits() == 0) {
      return false;
    }
  } else {
    if (digits() == 0) {
      return false;
    }
    if (i < s.size() && s[i] == '.') {
      ++i;
      digits();
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      ++i;
    }
    if (digits() == 0) {
      return false;
    }
  }
  return i == s.size();
}

bool isSpecialFloat(const std::string& s) {
  std::string body = s;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    body = body.substr(1);
  }
  return body == ".inf" || body == ".Inf" || body == ".INF" || s == ".nan" || s == ".NaN" || s == ".NAN";
}

enum class ScalarKind { Null, Bool, Int, Float, String };

// Resolves a plain (unquoted, untagged) scalar the way YAML 1.2's core schema does.
// Returns false with `error` set for values JSON cannot hold.
bool resolvePlain(const std::string& s, nlohmann::json& out, ScalarKind& kind, std::string& error) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") {
    out = nullptr;
    kind = ScalarKind::Null;
    return true;
  }
  if (s == "true" || s == "True" || s == "TRUE" || s == "false" || s == "False" || s == "FALSE") {
    out = s[0] == 't' || s[0] == 'T';
    kind = ScalarKind::Bool;
    return true;
  }
  std::size_t sign = (s[0] == '+' || s[0] == '-') ? 1 : 0;
  int base = 0;
  std::size_t digits_from = 0;
  if (isDigits(s, sign, 10)) {
    base = 10;
    digits_from = 0;
  } else if (s.size() > 2 && s[0] == '0' && s[1] == 'o' && isDigits(s, 2, 8)) {
    base = 8;
    digits_from = 2;
  } else if (s.size() > 2 && s[0] == '0' && s[1] == 'x' && isDigits(s, 2, 16)) {
    base = 16;
    digits_from = 2;
  }
  if (base != 0) {
    errno = 0;
    char* end = nullptr;
    long long value = std::strtoll(s.c_str() + digits_from, &end, base);
    if (errno == ERANGE) {
      error = "integer out of range: " + s;
      return false;
    }
    out = static_cast<int64_t>(value);
    kind = ScalarKind::Int;
    return true;
  }
  if (isSpecialFloat(s)) {
    error = "infinite and NaN numbers are not supported: " + s;
    return false;
  }
  if (looksLikeFloat(s)) {
    double value = std::strtod(s.c_str(), nullptr);
    if (!std::isfinite(value)) {
      error = "number out of range: " + s;
      return false;
    }
    out = value;
    kind = ScalarKind::Float;
    return true;
  }
  out = s;
  kind = ScalarKind::String;
  return true;
}

class Converter {
public:
  Converter(const std::string& file, std::map<std::string, int>& lines, const VariableLookup& variables)
      : file_(file), lines_(lines), variables_(variables) {}

  nlohmann::json convert(const YAML::Node& node, const std::string& pointer, int line, int depth) {
    // `depth` counts the lists and maps around `node`; a list or map here is level depth + 1.
    if (depth >= kMaxDepth && (node.IsSequence() || node.IsMap())) {
      fail(line, pointer,
           "nested too deeply: lists and maps may nest at most " + std::to_string(kMaxDepth) +
               " levels (a recursive alias?)");
      return nullptr;
    }
    if (++values_ > kMaxValues) {
      if (values_ == kMaxValues + 1) {
        fail(line, pointer,
             "document too large (more than " + std::to_string(kMaxValues) +
                 " values after alias expansion)");
      }
      return nullptr;
    }
    switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      if (!node.Tag().empty() && node.Tag() != "?" && node.Tag() != "!" && node.Tag() != kTagNull) {
        fail(line, pointer, "unsupported YAML tag '" + node.Tag() + "'");
      }
      return nullptr;
    case YAML::NodeType::Scalar:
      return scalar(node, pointer, line);
    case YAML::NodeType::Sequence:
      return sequence(node, pointer, line, depth);
    case YAML::NodeType::Map:
      return mapping(node, pointer, line, depth);
    }
    return nullptr;
  }

  std::vector<ConfigError>& errors() { return errors_; }

private:
  void fail(int line, const std::string& pointer, std::string message) {
    errors_.push_back(ConfigError{file_, line, displayPath(pointer), std::move(message)});
  }

  static int lineOfNode(const YAML::Node& node, int fallback) {
    int line = node.Mark().line;
    return line >= 0 ? line + 1 : fallback;
  }

  nlohmann::json scalar(const YAML::Node& node, const std::string& pointer, int line) {
    const std::string& text = node.Scalar();
    const std::string& tag = node.Tag();
    if (!sdk::isValidUtf8(text)) {
      fail(line, pointer, "invalid UTF-8 in value");
      return nullptr;
    }
    // "!" is the non-specific tag yaml-cpp gives quoted and block scalars: always a string.
    if (tag == "!" || tag == kTagStr) {
      return substitute(text, pointer, line);
    }
    nlohmann::json out;
    ScalarKind kind = ScalarKind::String;
    std::string error;
    if (!resolvePlain(text, out, kind, error)) {
      fail(line, pointer, error);
      return nullptr;
    }
    if (tag.empty() || tag == "?") {
      // A substituted plain value stays a string: `access_code: ${CODE}` must not turn an
      // all-digit access code into a number.
      return kind == ScalarKind::String ? substitute(text, pointer, line) : out;
    }
    bool matches = (tag == kTagInt && kind == ScalarKind::Int) ||
                   (tag == kTagFloat && (kind == ScalarKind::Float || kind == ScalarKind::Int)) ||
                   (tag == kTagBool && kind == ScalarKind::Bool) ||
                   (tag == kTagNull && kind == ScalarKind::Null);
    if (tag == kTagFloat && kind == ScalarKind::Int) {
      out = static_cast<double>(out.get<int64_t>());
    }
    if (tag != kTagInt && tag != kTagFloat && tag != kTagBool && tag != kTagNull) {
      fail(line, pointer, "unsupported YAML tag '" + tag + "'");
      return nullptr;
    }
    if (!matches) {
      fail(line, pointer, "value '" + text + "' does not match its tag '" + tag + "'");
      return nullptr;
    }
    return out;
  }

  // ${VAR} references in a string value (variable_substitution.h). Errors name the variable,
  // never a value.
  nlohmann::json substitute(const std::string& text, const std::string& pointer, int line) {
    if (!hasVariableSyntax(text)) {
      return text;
    }
    SubstitutionResult result = substituteVariables(text, variables_);
    if (!result.ok()) {
      fail(line, pointer, result.error);
      return nullptr;
    }
    // Aliases convert a node once per use, so the bound is on the whole document.
    substituted_bytes_ += result.value.size();
    if (substituted_bytes_ > kMaxFileBytes) {
      fail(line, pointer, "values after ${...} substitution exceed 16 MiB in total");
      return nullptr;
    }
    if (!sdk::isValidUtf8(result.value)) {
      fail(line, pointer, "invalid UTF-8 in the value after ${...} substitution");
      return nullptr;
    }
    return std::move(result.value);
  }

  nlohmann::json sequence(const YAML::Node& node, const std::string& pointer, int line, int depth) {
    if (node.Tag() != "?" && node.Tag() != "!" && node.Tag() != kTagSeq) {
      fail(line, pointer, "unsupported YAML tag '" + node.Tag() + "'");
    }
    nlohmann::json out = nlohmann::json::array();
    std::size_t index = 0;
    for (const YAML::Node& item : node) {
      std::string child = childPointer(pointer, index++);
      int item_line = lineOfNode(item, line);
      lines_.emplace(child, item_line);
      out.push_back(convert(item, child, item_line, depth + 1));
    }
    return out;
  }

  nlohmann::json mapping(const YAML::Node& node, const std::string& pointer, int line, int depth) {
    if (node.Tag() != "?" && node.Tag() != "!" && node.Tag() != kTagMap) {
      fail(line, pointer, "unsupported YAML tag '" + node.Tag() + "'");
    }
    nlohmann::json out = nlohmann::json::object();
    std::map<std::string, int> seen; // key -> line it was first defined on
    for (auto it = node.begin(); it != node.end(); ++it) {
      // Copies: yaml-cpp's iterator hands out a temporary pair, so references would dangle.
      const YAML::Node key_node = it->first;
      const YAML::Node value_node = it->second;
      int key_line = lineOfNode(key_node, line);
      if (!key_node.IsScalar()) {
        fail(key_line, pointer,
             key_node.IsNull() ? "empty mapping key"
                               : "mapping keys must be plain values, not lists or maps");
        continue;
      }
      const std::string& key = key_node.Scalar();
      if (!sdk::isValidUtf8(key)) {
        fail(key_line, pointer, "invalid UTF-8 in key");
        continue;
      }
      std::string child = childPointer(pointer, key);
      auto [first, inserted] = seen.emplace(key, key_line);
      if (!inserted) {
        fail(key_line, child, "duplicate key (first defined on line " + std::to_string(first->second) + ")");
        continue;
      }
      // A member's line is its key's line: that is where an operator looks, and a null or
      // aliased value's own mark points elsewhere.
      lines_.emplace(child, key_line);
      out[key] = convert(value_node, child, key_line, depth + 1);
    }
    return out;
  }

  const std::string& file_;
  std::map<std::string, int>& lines_;
  const VariableLookup& variables_;
  std::vector<ConfigError> errors_;
  std::size_t values_ = 0;
  std::size_t substituted_bytes_ = 0;
};

} // namespace

int LoadedDocument::lineOf(const std::string& json_pointer) const {
  std::string pointer = json_pointer;
  while (true) {
    auto it = lines.find(pointer);
    if (it != lines.end()) {
      return it->second;
    }
    if (pointer.empty()) {
      return 1;
    }
    std::size_t slash = pointer.rfind('/');
    pointer = slash == std::string::npos ? std::string() : pointer.substr(0, slash);
  }
}

namespace {

// Records where each document starts and nothing else.
class DocumentStarts : public YAML::EventHandler {
public:
  void OnDocumentStart(const YAML::Mark& mark) override { marks.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
  }
  void OnMapEnd() override {}

  std::vector<YAML::Mark> marks;
};

struct FirstDocument {
  std::optional<YAML::Node> root;         // none for an empty file or only comments
  std::optional<YAML::Mark> second_start; // where a second document starts, if there is one
};

// The first document of `text`, and whether another follows. Not YAML::LoadAll: yaml-cpp 0.7's
// never returns on some invalid input, e.g. a line holding only ',' (its parser reports one empty
// document after another; jbeder/yaml-cpp#1040, found by tests/fuzz/yaml_config), so documents
// are only counted, up to two. Throws YAML::Exception for syntax errors.
FirstDocument loadFirstDocument(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts starts;
  while (starts.marks.size() < 2 && parser.HandleNextDocument(starts)) {
  }
  FirstDocument out;
  if (starts.marks.size() > 1) {
    out.second_start = starts.marks[1];
  } else if (!starts.marks.empty()) {
    out.root = YAML::Load(text);
  }
  return out;
}

} // namespace

LoadedDocument parseYaml(const std::string& text, const std::string& file_name,
                         const VariableLookup& variables) {
  LoadedDocument doc;
  doc.file = file_name;
  FirstDocument first;
  try {
    first = loadFirstDocument(text);
  } catch (const YAML::Exception& e) {
    int line = e.mark.line >= 0 ? e.mark.line + 1 : 0;
    std::string where = e.mark.column >= 0 ? " (column " + std::to_string(e.mark.column + 1) + ")" : "";
    throw ConfigException(ConfigError{file_name, line, "", "invalid YAML" + where + ": " + e.msg});
  }
  if (first.second_start) {
    int line = first.second_start->line >= 0 ? first.second_start->line + 1 : 0;
    throw ConfigException(
        ConfigError{file_name, line, "", "the file holds several YAML documents; only one is allowed"});
  }
  doc.lines[""] = 1;
  if (!first.root) {
    return doc; // empty file or only comments
  }
  const YAML::Node& root = *first.root;
  int root_line = root.Mark().line >= 0 ? root.Mark().line + 1 : 1;
  doc.lines[""] = root_line;
  Converter converter(doc.file, doc.lines, variables);
  try {
    doc.json = converter.convert(root, "", root_line, 0);
  } catch (const YAML::Exception& e) {
    converter.errors().push_back(ConfigError{file_name, e.mark.line >= 0 ? e.mark.line + 1 : 0, "", e.msg});
  }
  if (!converter.errors().empty()) {
    throw ConfigException(std::move(converter.errors()));
  }
  return doc;
}

LoadedDocument loadYamlFile(const std::string& path, const VariableLookup& variables) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw ConfigException(ConfigError{path, 0, "", "cannot read file: it is a directory"});
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    throw ConfigException(ConfigError{path, 0, "", std::string("cannot read file: ") + std::strerror(err)});
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) {
    throw ConfigException(ConfigError{path, 0, "", "cannot read file"});
  }
  std::string text = buffer.str();
  if (text.size() > kMaxFileBytes) {
    throw ConfigException(ConfigError{path, 0, "", "file too large (over 16 MiB)"});
  }
  return parseYaml(text, path, variables);
}

} // namespace bambuddy::config
