// valijson reports through exceptions only when this is set; otherwise a bad schema aborts.
#define VALIJSON_USE_EXCEPTIONS 1

#include "config/schema_validator.h"

#include "config/json_pointer.h"
#include "config/schema_precheck.h"
#include "config/schema_walk.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <regex>
#include <set>
#include <stdexcept>
#include <utility>

#include <nlohmann/json.hpp>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

namespace bambuddy::config {

using nlohmann::json;

namespace {

constexpr int kMaxSchemaDepth = 64;

// ---- small helpers -------------------------------------------------------------------------

bool startsWith(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// The name valijson quotes at the end of a message: "<prefix> '<name>'." The name itself may
// contain quotes, so it runs from the end of the prefix to the last quote.
std::string quotedAfter(const std::string& text, const std::string& prefix) {
  std::size_t start = text.find(prefix);
  std::size_t last = text.rfind('\'');
  if (start == std::string::npos || last == std::string::npos || last < start + prefix.size()) {
    return std::string();
  }
  start += prefix.size();
  return text.substr(start, last - start);
}

std::string typeName(const json& value) {
  switch (value.type()) {
  case json::value_t::null:
    return "null";
  case json::value_t::boolean:
    return "boolean";
  case json::value_t::number_integer:
  case json::value_t::number_unsigned:
    return "integer";
  case json::value_t::number_float:
    return "number";
  case json::value_t::string:
    return "string";
  case json::value_t::array:
    return "array";
  case json::value_t::object:
    return "object";
  default:
    return "value";
  }
}

bool hasType(const json& value, const std::string& type) {
  if (type == "integer") {
    return value.is_number_integer();
  }
  if (type == "number") {
    return value.is_number();
  }
  return typeName(value) == type;
}

// 1 -> "1", 0.5 -> "0.5"; whole floats print without a fraction.
std::string formatNumber(const json& value) {
  if (value.is_number_float()) {
    double d = value.get<double>();
    if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 1e15) {
      return std::to_string(static_cast<long long>(d));
    }
    char buffer[64];
    std::snprintf(buffer, sizeof(buffer), "%.15g", d);
    return buffer;
  }
  return value.dump();
}

std::string formatNumber(double d) {
  return formatNumber(json(d));
}

// Enum members and const values as an operator would type them: strings without quotes.
std::string formatLiteral(const json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

const json* childOf(const json* node, const std::string& token) {
  if (node == nullptr) {
    return nullptr;
  }
  if (node->is_object()) {
    auto it = node->find(token);
    return it == node->end() ? nullptr : &*it;
  }
  if (node->is_array()) {
    if (token.empty() || token.size() > 9 || token.find_first_not_of("0123456789") != std::string::npos) {
      return nullptr;
    }
    std::size_t index = std::stoul(token);
    return index < node->size() ? &(*node)[index] : nullptr;
  }
  return nullptr;
}

const json* valueAt(const json& doc, const std::string& pointer) {
  const json* node = &doc;
  for (const std::string& token : splitPointer(pointer)) {
    node = childOf(node, token);
  }
  return node;
}

bool patternMatches(const std::string& pattern, const std::string& text) {
  try {
    return std::regex_search(text, std::regex(pattern));
  } catch (const std::regex_error&) {
    return false;
  }
}

// ---- finding the subschemas that apply at a location ----------------------------------------

class SchemaLookup {
public:
  explicit SchemaLookup(const json& root) : root_(root) {}

  // Every subschema that applies to the value at `pointer` in `doc`: those reached through
  // properties / patternProperties / additionalProperties / items / additionalItems, expanded
  // through allOf, anyOf, oneOf, if/then/else and local $refs. Over-inclusive on purpose; the
  // callers pick the one that explains the failure.
  std::vector<const json*> at(const json& doc, const std::string& pointer) const {
    std::vector<const json*> current;
    expand(&root_, current, 0);
    const json* node = &doc;
    for (const std::string& token : splitPointer(pointer)) {
      std::vector<const json*> next;
      for (const json* schema : current) {
        step(*schema, node, token, next);
      }
      current = std::move(next);
      node = childOf(node, token);
    }
    return current;
  }

private:
  void expand(const json* schema, std::vector<const json*>& out, int depth) const {
    if (schema == nullptr || !schema->is_object() || depth > kMaxSchemaDepth) {
      return;
    }
    out.push_back(schema);
    auto ref = schema->find("$ref");
    if (ref != schema->end() && ref->is_string()) {
      const std::string& target = ref->get_ref<const std::string&>();
      if (startsWith(target, "#")) {
        try {
          expand(&root_.at(json::json_pointer(target.substr(1))), out, depth + 1);
        } catch (const std::exception&) {
          // Unresolvable refs were rejected when the schema was loaded; nothing to add here.
        }
      }
    }
    for (const char* key : {"allOf", "anyOf", "oneOf"}) {
      auto list = schema->find(key);
      if (list != schema->end() && list->is_array()) {
        for (const json& item : *list) {
          expand(&item, out, depth + 1);
        }
      }
    }
    for (const char* key : {"then", "else"}) {
      auto branch = schema->find(key);
      if (branch != schema->end()) {
        expand(&*branch, out, depth + 1);
      }
    }
  }

  void step(const json& schema, const json* parent, const std::string& token,
            std::vector<const json*>& out) const {
    bool as_index =
        parent != nullptr ? parent->is_array() : token.find_first_not_of("0123456789") == std::string::npos;
    if (as_index) {
      auto items = schema.find("items");
      if (items == schema.end()) {
        return;
      }
      if (items->is_object()) {
        expand(&*items, out, 0);
      } else if (items->is_array()) {
        std::size_t index = token.size() < 10 ? std::stoul(token) : items->size();
        if (index < items->size()) {
          expand(&(*items)[index], out, 0);
        } else {
          auto extra = schema.find("additionalItems");
          if (extra != schema.end()) {
            expand(&*extra, out, 0);
          }
        }
      }
      return;
    }
    bool matched = false;
    auto properties = schema.find("properties");
    if (properties != schema.end() && properties->is_object()) {
      auto property = properties->find(token);
      if (property != properties->end()) {
        expand(&*property, out, 0);
        matched = true;
      }
    }
    auto patterns = schema.find("patternProperties");
    if (patterns != schema.end() && patterns->is_object()) {
      for (auto it = patterns->begin(); it != patterns->end(); ++it) {
        if (patternMatches(it.key(), token)) {
          expand(&it.value(), out, 0);
          matched = true;
        }
      }
    }
    auto additional = schema.find("additionalProperties");
    if (!matched && additional != schema.end()) {
      expand(&*additional, out, 0);
    }
  }

  const json& root_;
};

// ---- checking the schema itself ---------------------------------------------------------------

// valijson compiles "pattern" regexes lazily during validation; compile them up front so a
// broken plugin schema is refused when it is loaded, not when a document is checked.
void checkRegexes(const json& schema) {
  auto compile = [](const std::string& pattern, const std::string& at) {
    try {
      std::regex compiled(pattern);
    } catch (const std::regex_error& e) {
      throw std::invalid_argument("invalid JSON schema: bad regular expression '" + pattern + "' at " +
                                  (at.empty() ? std::string("/") : at) + ": " + e.what());
    }
  };
  eachSubschema(schema, [&](const json& sub, const std::string& where) {
    auto pattern = sub.find("pattern");
    if (pattern != sub.end() && pattern->is_string()) {
      compile(pattern->get<std::string>(), childPointer(where, "pattern"));
    }
    auto patterns = sub.find("patternProperties");
    if (patterns != sub.end() && patterns->is_object()) {
      for (auto it = patterns->begin(); it != patterns->end(); ++it) {
        compile(it.key(), childPointer(childPointer(where, "patternProperties"), it.key()));
      }
    }
  });
}

// ---- turning valijson's results into issues -----------------------------------------------------

// valijson's context is {"<root>", "[server]", "[threads]", "[2]", ...}. Whether "[2]" is an
// array index or a key named "2" is decided by the document itself.
std::string contextToPointer(const std::vector<std::string>& context, const json& doc) {
  std::string pointer;
  const json* node = &doc;
  for (std::size_t i = 0; i < context.size(); ++i) {
    const std::string& part = context[i];
    if (i == 0 && part == "<root>") {
      continue;
    }
    std::string token = part;
    if (token.size() >= 2 && token.front() == '[' && token.back() == ']') {
      token = token.substr(1, token.size() - 2);
    }
    pointer = childPointer(pointer, token);
    node = childOf(node, token);
  }
  return pointer;
}

// Descriptions that only say "something below failed"; the specific issue is reported too.
bool isWrapper(const std::string& d) {
  return startsWith(d, "Failed to validate against schema associated with property name") ||
         startsWith(d, "Failed to validate against schema associated with pattern") ||
         startsWith(d, "Failed to validate against additional properties schema") ||
         startsWith(d, "Failed to validate item #") ||
         startsWith(d, "Failed to validate against child schema #") ||
         startsWith(d, "Failed to validate against dependent schema") ||
         startsWith(d, "Failed to validate against a conditional schema");
}

struct Issue {
  std::string pointer;
  std::string message;
  bool wrapper = false;
};

class IssueBuilder {
public:
  IssueBuilder(const json& schema, const json& doc) : lookup_(schema), doc_(doc) {}

  void add(const std::string& pointer, const std::string& description) {
    if (isWrapper(description)) {
      issues_.push_back({pointer, "invalid value", true});
      return;
    }
    if (startsWith(description, "Missing required property")) {
      issues_.push_back({childPointer(pointer, quotedAfter(description, "property '")), "required"});
      return;
    }
    if (startsWith(description, "Missing dependency")) {
      issues_.push_back({childPointer(pointer, quotedAfter(description, "dependency '")), "required"});
      return;
    }
    if (startsWith(description, "Object contains a property that could not be validated")) {
      unknownKeys(pointer, quotedAfter(description, "constraints: '"));
      return;
    }
    issues_.push_back({pointer, reword(pointer, description)});
  }

  // An issue found outside valijson, already in its final words.
  void addWorded(const std::string& pointer, const std::string& message) {
    issues_.push_back({pointer, message});
  }

  std::vector<SchemaIssue> finish() const {
    std::vector<SchemaIssue> out;
    std::set<std::pair<std::string, std::string>> seen;
    for (const Issue& issue : issues_) {
      if (issue.wrapper && hasSpecificAtOrBelow(issue.pointer)) {
        continue;
      }
      if (!seen.insert({issue.pointer, issue.message}).second) {
        continue;
      }
      out.push_back({issue.pointer, displayPath(issue.pointer, &doc_), issue.message});
    }
    return out;
  }

private:
  bool hasSpecificAtOrBelow(const std::string& pointer) const {
    for (const Issue& other : issues_) {
      if (!other.wrapper && (other.pointer == pointer || startsWith(other.pointer, pointer + "/"))) {
        return true;
      }
    }
    return false;
  }

  // valijson names only the first unexpected key; list them all.
  void unknownKeys(const std::string& pointer, const std::string& reported) {
    const json* object = valueAt(doc_, pointer);
    if (object != nullptr && object->is_object()) {
      for (const json* schema : lookup_.at(doc_, pointer)) {
        auto additional = schema->find("additionalProperties");
        if (additional == schema->end() || !additional->is_boolean() || additional->get<bool>()) {
          continue;
        }
        std::vector<std::string> unknown;
        for (auto it = object->begin(); it != object->end(); ++it) {
          if (!declared(*schema, it.key())) {
            unknown.push_back(it.key());
          }
        }
        if (std::find(unknown.begin(), unknown.end(), reported) != unknown.end()) {
          for (const std::string& key : unknown) {
            issues_.push_back({childPointer(pointer, key), "unknown key"});
          }
          return;
        }
      }
    }
    issues_.push_back({childPointer(pointer, reported), "unknown key"});
  }

  static bool declared(const json& schema, const std::string& key) {
    auto properties = schema.find("properties");
    if (properties != schema.end() && properties->is_object() && properties->contains(key)) {
      return true;
    }
    auto patterns = schema.find("patternProperties");
    if (patterns != schema.end() && patterns->is_object()) {
      for (auto it = patterns->begin(); it != patterns->end(); ++it) {
        if (patternMatches(it.key(), key)) {
          return true;
        }
      }
    }
    return false;
  }

  // The first applicable subschema holding `keyword`, or nullptr.
  const json* keywordAt(const std::string& pointer, const char* keyword) const {
    for (const json* schema : lookup_.at(doc_, pointer)) {
      auto it = schema->find(keyword);
      if (it != schema->end()) {
        return &*it;
      }
    }
    return nullptr;
  }

  // A bound from the schema when it can be found, else the number valijson printed.
  std::string bound(const std::string& pointer, const char* keyword, const std::string& description) const {
    const json* value = keywordAt(pointer, keyword);
    if (value != nullptr && value->is_number()) {
      return formatNumber(*value);
    }
    std::size_t digits = description.find_first_of("-0123456789");
    if (digits != std::string::npos) {
      try {
        return formatNumber(std::stod(description.substr(digits)));
      } catch (const std::exception&) {
      }
    }
    return "the limit";
  }

  std::string countFrom(const std::string& description) const {
    std::size_t start = description.find_first_of("0123456789");
    if (start == std::string::npos) {
      return "?";
    }
    std::size_t end = description.find_first_not_of("0123456789", start);
    return description.substr(start, end == std::string::npos ? std::string::npos : end - start);
  }

  std::string typeMessage(const std::string& pointer) const {
    const json* value = valueAt(doc_, pointer);
    std::string got = value != nullptr ? typeName(*value) : "nothing";
    for (const json* schema : lookup_.at(doc_, pointer)) {
      auto type = schema->find("type");
      if (type == schema->end()) {
        continue;
      }
      std::vector<std::string> expected;
      bool satisfied = false;
      if (type->is_string()) {
        expected.push_back(type->get<std::string>());
      } else if (type->is_array()) {
        for (const json& t : *type) {
          if (t.is_string()) {
            expected.push_back(t.get<std::string>());
          }
        }
      }
      for (const std::string& t : expected) {
        satisfied = satisfied || (value != nullptr && hasType(*value, t));
      }
      if (expected.empty() || satisfied) {
        continue;
      }
      std::string text;
      for (std::size_t i = 0; i < expected.size(); ++i) {
        text += (i == 0 ? "" : i + 1 == expected.size() ? " or " : ", ") + expected[i];
      }
      return "expected " + text + ", got " + got;
    }
    return "wrong type (got " + got + ")";
  }

  std::string reword(const std::string& pointer, const std::string& d) const {
    if (startsWith(d, "Value type not permitted")) {
      return typeMessage(pointer);
    }
    if (startsWith(d, "Expected number greater than or equal to")) {
      return "must be >= " + bound(pointer, "minimum", d);
    }
    if (startsWith(d, "Expected number greater than")) {
      const json* exclusive = keywordAt(pointer, "exclusiveMinimum");
      return "must be > " +
             bound(pointer, exclusive != nullptr && exclusive->is_number() ? "exclusiveMinimum" : "minimum",
                   d);
    }
    if (startsWith(d, "Expected number less than or equal to")) {
      return "must be <= " + bound(pointer, "maximum", d);
    }
    if (startsWith(d, "Expected number less than")) {
      const json* exclusive = keywordAt(pointer, "exclusiveMaximum");
      return "must be < " +
             bound(pointer, exclusive != nullptr && exclusive->is_number() ? "exclusiveMaximum" : "maximum",
                   d);
    }
    if (startsWith(d, "Failed to match against any enum values")) {
      const json* values = keywordAt(pointer, "enum");
      if (values != nullptr && values->is_array()) {
        std::string text;
        for (const json& v : *values) {
          text += (text.empty() ? "" : ", ") + formatLiteral(v);
        }
        return "must be one of: " + text;
      }
      return "not one of the allowed values";
    }
    if (startsWith(d, "Failed to match expected value set by 'const'")) {
      const json* value = keywordAt(pointer, "const");
      return value != nullptr ? "must be " + formatLiteral(*value) : "does not equal the required value";
    }
    if (startsWith(d, "Failed to match regex specified by 'pattern'")) {
      const json* pattern = keywordAt(pointer, "pattern");
      return pattern != nullptr && pattern->is_string()
                 ? "does not match pattern " + pattern->get<std::string>()
                 : "does not match the required pattern";
    }
    if (startsWith(d, "String should be no fewer than")) {
      std::string n = countFrom(d);
      return n == "1" ? "must not be empty" : "must be at least " + n + " characters long";
    }
    if (startsWith(d, "String should be no more than")) {
      return "must be at most " + countFrom(d) + " characters long";
    }
    if (startsWith(d, "Array should contain no fewer than")) {
      std::string n = countFrom(d);
      return "must have at least " + n + (n == "1" ? " item" : " items");
    }
    if (startsWith(d, "Array should contain no more than")) {
      return "must have at most " + countFrom(d) + " items";
    }
    if (startsWith(d, "Array contains more items than allowed") || startsWith(d, "Cannot validate item #")) {
      // A tuple ("items" as a list) with "additionalItems": false.
      const json* items = keywordAt(pointer, "items");
      return items != nullptr && items->is_array()
                 ? "must have at most " + std::to_string(items->size()) + " items"
                 : "too many items";
    }
    if (startsWith(d, "Object should have no fewer than")) {
      return "must have at least " + countFrom(d) + " keys";
    }
    if (startsWith(d, "Object should have no more than")) {
      return "must have at most " + countFrom(d) + " keys";
    }
    if (startsWith(d, "Value should be a multiple of") || startsWith(d, "Value could not be converted")) {
      return "must be a multiple of " + bound(pointer, "multipleOf", d);
    }
    if (startsWith(d, "Elements at indexes")) {
      return "items must be unique";
    }
    if (startsWith(d, "Failed to validate against any schemas allowed by anyOf") ||
        startsWith(d, "Failed to validate against any child schemas allowed by oneOf")) {
      return "does not match any of the allowed forms";
    }
    if (startsWith(d, "Failed to validate against exactly one child schema")) {
      return "matches more than one of the allowed forms";
    }
    if (startsWith(d, "Target should not validate against schema specified in 'not'")) {
      return "is not allowed here";
    }
    if (startsWith(d, "Failed to any values against subschema in 'contains'")) {
      return "has no item of the required form";
    }
    if (startsWith(d, "String should be a valid ")) {
      return "must be a valid " + d.substr(std::string("String should be a valid ").size());
    }
    // Anything else: valijson's own words, minus the full stop.
    std::string text = d;
    while (!text.empty() && (text.back() == '.' || text.back() == ' ')) {
      text.pop_back();
    }
    return text;
  }

  SchemaLookup lookup_;
  const json& doc_;
  std::vector<Issue> issues_;
};

} // namespace

struct SchemaValidator::Impl {
  json schema_json; // as given: messages and lookups use it
  precheck::SchemaTraits traits;
  json valijson_json;      // schema_json without the formats the precheck handles (when it has any)
  valijson::Schema schema; // built from that

  // valijson compiles a "pattern" regex on first use and keeps it in the Validator, which is not
  // thread-safe: idle validators are pooled so each keeps its compiled regexes (compiling one
  // costs tens of microseconds, far more than the check) and no two threads share one.
  std::mutex idle_mutex;
  std::vector<std::unique_ptr<valijson::Validator>> idle;

  std::unique_ptr<valijson::Validator> take() {
    std::lock_guard<std::mutex> lock(idle_mutex);
    if (idle.empty()) {
      return std::make_unique<valijson::Validator>(valijson::Validator::kStrongTypes);
    }
    std::unique_ptr<valijson::Validator> validator = std::move(idle.back());
    idle.pop_back();
    return validator;
  }

  void giveBack(std::unique_ptr<valijson::Validator> validator) {
    std::lock_guard<std::mutex> lock(idle_mutex);
    idle.push_back(std::move(validator));
  }
};

SchemaValidator::SchemaValidator(const json& schema) : impl_(std::make_unique<Impl>()) {
  if (!schema.is_object() && !schema.is_boolean()) {
    throw std::invalid_argument("invalid JSON schema: expected an object, got " + typeName(schema));
  }
  impl_->schema_json = schema;
  checkRegexes(impl_->schema_json);
  impl_->traits = precheck::traitsOf(impl_->schema_json);
  try {
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    if (impl_->traits.formats) {
      impl_->valijson_json = precheck::withoutFormats(impl_->schema_json);
    }
    valijson::adapters::NlohmannJsonAdapter adapter(impl_->traits.formats ? impl_->valijson_json
                                                                          : impl_->schema_json);
    parser.populateSchema(adapter, impl_->schema);
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("invalid JSON schema: ") + e.what());
  }
}

SchemaValidator::~SchemaValidator() = default;
SchemaValidator::SchemaValidator(SchemaValidator&&) noexcept = default;
SchemaValidator& SchemaValidator::operator=(SchemaValidator&&) noexcept = default;

std::vector<SchemaIssue> SchemaValidator::validate(const json& doc) const {
  std::vector<precheck::Issue> refused;
  std::vector<precheck::Issue> formats;
  precheck::check(impl_->schema_json, doc, impl_->traits, refused, formats);
  if (!refused.empty()) {
    // Too long for valijson's regexes: refused without running them (see schema_precheck.h).
    IssueBuilder builder(impl_->schema_json, doc);
    for (const auto* list : {&refused, &formats}) {
      for (const precheck::Issue& issue : *list) {
        builder.addWorded(issue.pointer, issue.message);
      }
    }
    return builder.finish();
  }
  std::unique_ptr<valijson::Validator> validator = impl_->take();
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter adapter(doc);
  bool valid = false;
  try {
    valid = validator->validate(impl_->schema, adapter, &results);
  } catch (const std::exception& e) {
    // Not expected (regexes were compiled up front); report rather than crash.
    return {SchemaIssue{"", "", std::string("schema check failed: ") + e.what()}};
  }
  impl_->giveBack(std::move(validator));
  if (valid && formats.empty()) {
    return {};
  }
  IssueBuilder builder(impl_->schema_json, doc);
  valijson::ValidationResults::Error error;
  while (results.popError(error)) {
    builder.add(contextToPointer(error.context, doc), error.description);
  }
  for (const precheck::Issue& issue : formats) {
    builder.addWorded(issue.pointer, issue.message);
  }
  return builder.finish();
}

// ---- defaults ------------------------------------------------------------------------------------

namespace {

void fillDefaults(const json& schema, json& doc, int depth) {
  if (!schema.is_object() || depth > kMaxSchemaDepth) {
    return;
  }
  if (doc.is_object()) {
    auto properties = schema.find("properties");
    if (properties == schema.end() || !properties->is_object()) {
      return;
    }
    for (auto it = properties->begin(); it != properties->end(); ++it) {
      const json& sub = it.value();
      if (!sub.is_object()) {
        continue;
      }
      auto present = doc.find(it.key());
      if (present != doc.end()) {
        fillDefaults(sub, *present, depth + 1);
        continue;
      }
      auto def = sub.find("default");
      if (def != sub.end()) {
        doc[it.key()] = *def;
        continue;
      }
      auto type = sub.find("type");
      bool object_schema = type != sub.end() && type->is_string() && type->get<std::string>() == "object";
      if (object_schema && !sub.contains("required") && sub.contains("properties")) {
        json created = json::object();
        fillDefaults(sub, created, depth + 1);
        if (!created.empty()) {
          doc[it.key()] = std::move(created);
        }
      }
    }
  } else if (doc.is_array()) {
    auto items = schema.find("items");
    if (items != schema.end() && items->is_object()) {
      for (json& item : doc) {
        fillDefaults(*items, item, depth + 1);
      }
    }
  }
}

} // namespace

void applyDefaults(const json& schema, json& doc) {
  fillDefaults(schema, doc, 0);
}

} // namespace bambuddy::config
