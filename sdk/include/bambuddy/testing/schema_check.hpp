// SPDX-License-Identifier: MIT
//
// bambuddy/testing/schema_check.hpp — a plugin's config and settings checked against its schemas
// in unit tests, the way the server checks them before create() is called.
//
// The server validates the YAML `config:` block against the descriptor's config_schema and each
// instance's settings against instance_schema (JSON Schema draft-07), refuses what breaks them
// with "path: reason" messages, and fills in every `default` before the plugin sees the document.
// FakeHost does the same with this header (FakeHost::create), so a test that passes settings the
// server would refuse fails like the server would, and a plugin sees the defaults it will get.
//
//   bambuddy::testing::SchemaCheck check(descriptor->instance_schema);
//   std::vector<SchemaIssue> issues = check.validate(JsonValue::parse(settings_json));
//   // issues[0].path == "priority.print_failed", issues[0].message == "must be <= 10"
//
// Keywords checked: type, enum, const, minimum, maximum, exclusiveMinimum, exclusiveMaximum,
// multipleOf, minLength, maxLength (in code points), pattern, items (one schema or a tuple),
// additionalItems, minItems, maxItems, uniqueItems, contains, properties, patternProperties,
// additionalProperties, required, propertyNames, minProperties, maxProperties, dependencies,
// allOf, anyOf, oneOf, not, if/then/else and local $ref ("#/definitions/..."). Not checked:
// "format" (the server checks date-time, date and time) and remote $refs. Messages are the
// server's words ("required", "unknown key", "expected integer, got string", "must be >= 1",
// "must not be empty", "does not match pattern ^a$", "must be one of: a, b", ...); for anyOf and
// oneOf only the summary is given, where the server may also name the closest branch's problem.
// Patterns are ECMAScript regular expressions searched anywhere in the text (std::regex_search),
// as in the server; a string longer than 4096 bytes where a pattern applies is refused unchecked,
// as the server does.
//
// A SchemaCheck is immutable after construction: validate() and applyDefaults() may run on several
// threads at once. Nothing is global.
#pragma once

#include <bambuddy/testing/json_value.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bambuddy::testing {

struct SchemaIssue {
  std::string pointer; // JSON pointer of the offending value; for "required", the missing key's
  std::string path;    // the server's display form: "priority.print_failed", "allow_cidrs[0]"; "" = root
  std::string message; // "required", "unknown key", "must be <= 10", ...
};

class SchemaCheck {
public:
  // Throws std::invalid_argument when `schema_json` is not JSON, not an object or boolean schema,
  // or holds a pattern that does not compile (the server refuses such a plugin at load).
  explicit SchemaCheck(std::string_view schema_json) : SchemaCheck(JsonValue::parse(schema_json)) {}
  explicit SchemaCheck(JsonValue schema) : schema_(std::move(schema)) {
    if (!schema_.isObject() && !schema_.isBoolean()) {
      throw std::invalid_argument(std::string("invalid JSON schema: expected an object, got ") +
                                  schema_.typeName());
    }
    compilePatterns(schema_, 0);
  }

  const JsonValue& schema() const { return schema_; }

  // Every issue of `doc`, in walk order without repeats; empty when it is valid.
  std::vector<SchemaIssue> validate(const JsonValue& doc) const {
    Walk walk;
    check(schema_, doc, "", "", walk, 0);
    return std::move(walk.too_long.empty() ? walk.issues : walk.too_long);
  }

  // Fills in the "default" of every object property missing from `doc`, recursing into the
  // objects and array items that are present; a missing property without a default whose schema
  // is an object (with properties and no "required") is created when that yields any defaults.
  // The server's rule exactly (core applyDefaults); run it after validate().
  void applyDefaults(JsonValue& doc) const { fillDefaults(schema_, doc, 0); }

private:
  static constexpr int kMaxDepth = 64;
  static constexpr size_t kMaxPatternInputBytes = 4096;

  struct Walk {
    std::vector<SchemaIssue> issues;
    // Strings and keys too long for a pattern: when there are any, the server reports only these
    // (its regexes never run on the document), and so does validate().
    std::vector<SchemaIssue> too_long;
    std::set<std::pair<std::string, std::string>> seen;
    void add(const std::string& pointer, const std::string& path, const std::string& message) {
      if (seen.insert({pointer, message}).second) {
        issues.push_back({pointer, path, message});
      }
    }
  };

  // ---- helpers --------------------------------------------------------------------------------

  static std::string childPointer(const std::string& parent, const std::string& key) {
    std::string escaped;
    for (char c : key) {
      if (c == '~') {
        escaped += "~0";
      } else if (c == '/') {
        escaped += "~1";
      } else {
        escaped += c;
      }
    }
    return parent + "/" + escaped;
  }
  static std::string childPath(const std::string& parent, const std::string& key) {
    return parent.empty() ? key : parent + "." + key;
  }
  static std::string indexPath(const std::string& parent, size_t index) {
    return parent + "[" + std::to_string(index) + "]";
  }

  // 1 -> "1", 2.0 -> "2", 0.5 -> "0.5": the server's number format in messages.
  static std::string formatNumber(const JsonValue& value) {
    if (value.isInteger()) {
      return std::to_string(value.asInteger());
    }
    double d = value.asDouble();
    if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 1e15) {
      return std::to_string(static_cast<long long>(d));
    }
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.15g", d);
    return buffer;
  }
  static std::string formatLiteral(const JsonValue& value) {
    return value.isString() ? value.asString() : value.dump();
  }

  static size_t codePoints(const std::string& text) {
    size_t n = 0;
    for (char c : text) {
      if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
        ++n;
      }
    }
    return n;
  }

  static bool hasType(const JsonValue& value, const std::string& type) {
    if (type == "integer") {
      return value.isInteger();
    }
    if (type == "number") {
      return value.isNumber();
    }
    return type == value.typeName();
  }

  static const JsonValue* keyword(const JsonValue& schema, const char* name) { return schema.find(name); }

  // ---- patterns --------------------------------------------------------------------------------

  void compileOne(const std::string& pattern) {
    if (patterns_.count(pattern) != 0) {
      return;
    }
    try {
      patterns_.emplace(pattern, std::regex(pattern));
    } catch (const std::regex_error& e) {
      throw std::invalid_argument("invalid JSON schema: bad regular expression '" + pattern +
                                  "': " + e.what());
    }
  }

  // Every "pattern" and "patternProperties" key of the schema, compiled once up front.
  void compilePatterns(const JsonValue& node, int depth) {
    if (depth > kMaxDepth) {
      return;
    }
    if (node.isArray()) {
      for (const JsonValue& item : node.items()) {
        compilePatterns(item, depth + 1);
      }
      return;
    }
    if (!node.isObject()) {
      return;
    }
    for (const auto& [key, value] : node.members()) {
      if (key == "enum" || key == "const" || key == "default" || key == "examples") {
        continue; // data, not schemas
      }
      if (key == "pattern" && value.isString()) {
        compileOne(value.asString());
      } else if (key == "patternProperties" && value.isObject()) {
        for (const auto& [pattern, sub] : value.members()) {
          compileOne(pattern);
          compilePatterns(sub, depth + 1);
        }
      } else if (key == "properties" || key == "definitions" || key == "dependencies") {
        if (value.isObject()) {
          for (const auto& [name, sub] : value.members()) {
            compilePatterns(sub, depth + 1);
          }
        }
      } else {
        compilePatterns(value, depth + 1);
      }
    }
  }

  bool matches(const std::string& pattern, const std::string& text) const {
    auto it = patterns_.find(pattern);
    return it != patterns_.end() && std::regex_search(text, it->second);
  }

  const JsonValue* resolve(const std::string& ref) const {
    if (ref.empty() || ref[0] != '#') {
      return nullptr;
    }
    const JsonValue* node = &schema_;
    size_t pos = 1;
    while (node != nullptr && pos < ref.size()) {
      if (ref[pos] != '/') {
        return nullptr;
      }
      size_t end = ref.find('/', pos + 1);
      std::string token = ref.substr(pos + 1, end == std::string::npos ? std::string::npos : end - pos - 1);
      std::string unescaped;
      for (size_t i = 0; i < token.size(); ++i) {
        if (token[i] == '~' && i + 1 < token.size()) {
          unescaped += token[i + 1] == '1' ? '/' : '~';
          ++i;
        } else {
          unescaped += token[i];
        }
      }
      if (node->isArray()) {
        size_t index = static_cast<size_t>(std::strtoul(unescaped.c_str(), nullptr, 10));
        node = index < node->items().size() ? &node->items()[index] : nullptr;
      } else {
        node = node->find(unescaped);
      }
      pos = end == std::string::npos ? ref.size() : end;
    }
    return node;
  }

  // ---- validation ------------------------------------------------------------------------------

  bool passes(const JsonValue& schema, const JsonValue& doc, int depth) const {
    Walk trial;
    check(schema, doc, "", "", trial, depth);
    return trial.issues.empty() && trial.too_long.empty();
  }

  void check(const JsonValue& schema, const JsonValue& doc, const std::string& pointer,
             const std::string& path, Walk& walk, int depth) const {
    if (depth > kMaxDepth) {
      return;
    }
    if (schema.isBoolean()) {
      if (!schema.asBoolean()) {
        walk.add(pointer, path, "is not allowed here");
      }
      return;
    }
    if (!schema.isObject()) {
      return;
    }
    if (const JsonValue* ref = keyword(schema, "$ref"); ref != nullptr && ref->isString()) {
      // draft-07: a $ref's siblings are ignored.
      if (const JsonValue* target = resolve(ref->asString())) {
        check(*target, doc, pointer, path, walk, depth + 1);
      }
      return;
    }
    // Like the server's validator, every keyword is checked even after a wrong type: a 1.5 for an
    // integer with "minimum": 100 gets both issues.
    checkType(schema, doc, pointer, path, walk);
    checkValue(schema, doc, pointer, path, walk);
    if (doc.isNumber()) {
      checkNumber(schema, doc, pointer, path, walk);
    } else if (doc.isString()) {
      checkString(schema, doc.asString(), pointer, path, "", walk);
    } else if (doc.isArray()) {
      checkArray(schema, doc, pointer, path, walk, depth);
    } else if (doc.isObject()) {
      checkObject(schema, doc, pointer, path, walk, depth);
    }
    checkCombinations(schema, doc, pointer, path, walk, depth);
  }

  void checkType(const JsonValue& schema, const JsonValue& doc, const std::string& pointer,
                 const std::string& path, Walk& walk) const {
    const JsonValue* type = keyword(schema, "type");
    if (type == nullptr) {
      return;
    }
    std::vector<std::string> expected;
    if (type->isString()) {
      expected.push_back(type->asString());
    } else if (type->isArray()) {
      for (const JsonValue& t : type->items()) {
        if (t.isString()) {
          expected.push_back(t.asString());
        }
      }
    }
    for (const std::string& t : expected) {
      if (hasType(doc, t)) {
        return;
      }
    }
    if (expected.empty()) {
      return;
    }
    std::string text;
    for (size_t i = 0; i < expected.size(); ++i) {
      text += (i == 0 ? "" : i + 1 == expected.size() ? " or " : ", ") + expected[i];
    }
    walk.add(pointer, path, "expected " + text + ", got " + doc.typeName());
  }

  void checkValue(const JsonValue& schema, const JsonValue& doc, const std::string& pointer,
                  const std::string& path, Walk& walk) const {
    if (const JsonValue* values = keyword(schema, "enum"); values != nullptr && values->isArray()) {
      bool found = false;
      std::string text;
      for (const JsonValue& v : values->items()) {
        found = found || v == doc;
        text += (text.empty() ? "" : ", ") + formatLiteral(v);
      }
      if (!found) {
        walk.add(pointer, path, "must be one of: " + text);
      }
    }
    if (const JsonValue* value = keyword(schema, "const"); value != nullptr && *value != doc) {
      walk.add(pointer, path, "must be " + formatLiteral(*value));
    }
  }

  void checkNumber(const JsonValue& schema, const JsonValue& doc, const std::string& pointer,
                   const std::string& path, Walk& walk) const {
    double d = doc.asDouble();
    auto bound = [&](const char* name) -> const JsonValue* {
      const JsonValue* b = keyword(schema, name);
      return b != nullptr && b->isNumber() ? b : nullptr;
    };
    auto below = [&](const JsonValue& b) {
      return doc.isInteger() && b.isInteger() ? doc.asInteger() < b.asInteger() : d < b.asDouble();
    };
    auto above = [&](const JsonValue& b) {
      return doc.isInteger() && b.isInteger() ? doc.asInteger() > b.asInteger() : d > b.asDouble();
    };
    if (const JsonValue* b = bound("minimum"); b != nullptr && below(*b)) {
      walk.add(pointer, path, "must be >= " + formatNumber(*b));
    }
    if (const JsonValue* b = bound("exclusiveMinimum"); b != nullptr && !above(*b)) {
      walk.add(pointer, path, "must be > " + formatNumber(*b));
    }
    if (const JsonValue* b = bound("maximum"); b != nullptr && above(*b)) {
      walk.add(pointer, path, "must be <= " + formatNumber(*b));
    }
    if (const JsonValue* b = bound("exclusiveMaximum"); b != nullptr && !below(*b)) {
      walk.add(pointer, path, "must be < " + formatNumber(*b));
    }
    if (const JsonValue* m = bound("multipleOf"); m != nullptr && m->asDouble() > 0) {
      double q = d / m->asDouble();
      if (!std::isfinite(q) || std::fabs(q - std::round(q)) > 1e-9) {
        walk.add(pointer, path, "must be a multiple of " + formatNumber(*m));
      }
    }
  }

  // `what` is "" for a value and "key " for an object key checked by propertyNames.
  void checkString(const JsonValue& schema, const std::string& text, const std::string& pointer,
                   const std::string& path, const std::string& what, Walk& walk) const {
    size_t length = codePoints(text);
    if (const JsonValue* n = keyword(schema, "minLength"); n != nullptr && n->isInteger()) {
      if (static_cast<int64_t>(length) < n->asInteger()) {
        walk.add(pointer, path,
                 what + (n->asInteger() == 1 ? std::string("must not be empty")
                                             : "must be at least " + formatNumber(*n) + " characters long"));
      }
    }
    if (const JsonValue* n = keyword(schema, "maxLength"); n != nullptr && n->isInteger()) {
      if (static_cast<int64_t>(length) > n->asInteger()) {
        walk.add(pointer, path, what + "must be at most " + formatNumber(*n) + " characters long");
      }
    }
    if (const JsonValue* p = keyword(schema, "pattern"); p != nullptr && p->isString()) {
      if (text.size() > kMaxPatternInputBytes) {
        walk.too_long.push_back(
            {pointer, path, what + "is too long to check against its pattern (at most 4096 bytes)"});
      } else if (!matches(p->asString(), text)) {
        walk.add(pointer, path, what + "does not match pattern " + p->asString());
      }
    }
  }

  void checkArray(const JsonValue& schema, const JsonValue& doc, const std::string& pointer,
                  const std::string& path, Walk& walk, int depth) const {
    const JsonValue::Array& items = doc.items();
    const JsonValue* item_schema = keyword(schema, "items");
    if (item_schema != nullptr && (item_schema->isObject() || item_schema->isBoolean())) {
      for (size_t i = 0; i < items.size(); ++i) {
        check(*item_schema, items[i], childPointer(pointer, std::to_string(i)), indexPath(path, i), walk,
              depth + 1);
      }
    } else if (item_schema != nullptr && item_schema->isArray()) {
      const JsonValue* extra = keyword(schema, "additionalItems");
      for (size_t i = 0; i < items.size(); ++i) {
        const JsonValue* sub = i < item_schema->items().size() ? &item_schema->items()[i] : extra;
        if (sub == nullptr) {
          continue;
        }
        if (sub->isBoolean() && !sub->asBoolean()) {
          walk.add(pointer, path,
                   "must have at most " + std::to_string(item_schema->items().size()) + " items");
          break;
        }
        check(*sub, items[i], childPointer(pointer, std::to_string(i)), indexPath(path, i), walk, depth + 1);
      }
    }
    if (const JsonValue* n = keyword(schema, "minItems"); n != nullptr && n->isInteger()) {
      if (static_cast<int64_t>(items.size()) < n->asInteger()) {
        walk.add(pointer, path,
                 "must have at least " + formatNumber(*n) + (n->asInteger() == 1 ? " item" : " items"));
      }
    }
    if (const JsonValue* n = keyword(schema, "maxItems"); n != nullptr && n->isInteger()) {
      if (static_cast<int64_t>(items.size()) > n->asInteger()) {
        walk.add(pointer, path, "must have at most " + formatNumber(*n) + " items");
      }
    }
    if (const JsonValue* u = keyword(schema, "uniqueItems");
        u != nullptr && u->isBoolean() && u->asBoolean()) {
      for (size_t i = 0; i < items.size(); ++i) {
        for (size_t j = i + 1; j < items.size(); ++j) {
          if (items[i] == items[j]) {
            walk.add(pointer, path, "items must be unique");
            i = j = items.size();
          }
        }
      }
    }
    if (const JsonValue* contains = keyword(schema, "contains")) {
      bool any = false;
      for (const JsonValue& item : items) {
        any = any || passes(*contains, item, depth + 1);
      }
      if (!any) {
        walk.add(pointer, path, "has no item of the required form");
      }
    }
  }

  bool declared(const JsonValue& schema, const std::string& key) const {
    const JsonValue* properties = keyword(schema, "properties");
    if (properties != nullptr && properties->find(key) != nullptr) {
      return true;
    }
    const JsonValue* pattern_properties = keyword(schema, "patternProperties");
    if (pattern_properties != nullptr && pattern_properties->isObject()) {
      for (const auto& [pattern, sub] : pattern_properties->members()) {
        if (key.size() <= kMaxPatternInputBytes && matches(pattern, key)) {
          return true;
        }
      }
    }
    return false;
  }

  void checkObject(const JsonValue& schema, const JsonValue& doc, const std::string& pointer,
                   const std::string& path, Walk& walk, int depth) const {
    if (const JsonValue* required = keyword(schema, "required"); required != nullptr && required->isArray()) {
      for (const JsonValue& name : required->items()) {
        if (name.isString() && doc.find(name.asString()) == nullptr) {
          walk.add(childPointer(pointer, name.asString()), childPath(path, name.asString()), "required");
        }
      }
    }
    const JsonValue* properties = keyword(schema, "properties");
    const JsonValue* pattern_properties = keyword(schema, "patternProperties");
    const JsonValue* additional = keyword(schema, "additionalProperties");
    const JsonValue* names = keyword(schema, "propertyNames");
    for (const auto& [key, value] : doc.members()) {
      std::string key_pointer = childPointer(pointer, key);
      std::string key_path = childPath(path, key);
      if (names != nullptr) {
        checkPropertyName(*names, key, key_pointer, key_path, walk, depth);
      }
      bool matched = false;
      if (properties != nullptr) {
        if (const JsonValue* sub = properties->find(key)) {
          check(*sub, value, key_pointer, key_path, walk, depth + 1);
          matched = true;
        }
      }
      if (pattern_properties != nullptr && pattern_properties->isObject()) {
        for (const auto& [pattern, sub] : pattern_properties->members()) {
          if (key.size() > kMaxPatternInputBytes) {
            walk.too_long.push_back(
                {key_pointer, key_path, "key is too long to check against its pattern (at most 4096 bytes)"});
            matched = true;
          } else if (matches(pattern, key)) {
            check(sub, value, key_pointer, key_path, walk, depth + 1);
            matched = true;
          }
        }
      }
      if (!matched && additional != nullptr) {
        if (additional->isBoolean() && !additional->asBoolean()) {
          walk.add(key_pointer, key_path, "unknown key");
        } else {
          check(*additional, value, key_pointer, key_path, walk, depth + 1);
        }
      }
    }
    int64_t count = static_cast<int64_t>(doc.members().size());
    if (const JsonValue* n = keyword(schema, "minProperties");
        n != nullptr && n->isInteger() && count < n->asInteger()) {
      walk.add(pointer, path, "must have at least " + formatNumber(*n) + " keys");
    }
    if (const JsonValue* n = keyword(schema, "maxProperties");
        n != nullptr && n->isInteger() && count > n->asInteger()) {
      walk.add(pointer, path, "must have at most " + formatNumber(*n) + " keys");
    }
    if (const JsonValue* dependencies = keyword(schema, "dependencies");
        dependencies != nullptr && dependencies->isObject()) {
      for (const auto& [key, dependency] : dependencies->members()) {
        if (doc.find(key) == nullptr) {
          continue;
        }
        if (dependency.isArray()) {
          for (const JsonValue& name : dependency.items()) {
            if (name.isString() && doc.find(name.asString()) == nullptr) {
              walk.add(childPointer(pointer, name.asString()), childPath(path, name.asString()), "required");
            }
          }
        } else {
          check(dependency, doc, pointer, path, walk, depth + 1);
        }
      }
    }
  }

  // propertyNames: the key is checked as a string; its issues are reported at the key, "key ...".
  void checkPropertyName(const JsonValue& names, const std::string& key, const std::string& key_pointer,
                         const std::string& key_path, Walk& walk, int depth) const {
    if (names.isBoolean()) {
      if (!names.asBoolean()) {
        walk.add(key_pointer, key_path, "unknown key");
      }
      return;
    }
    if (!names.isObject()) {
      return;
    }
    checkString(names, key, key_pointer, key_path, "key ", walk);
    JsonValue as_value = JsonValue::string(key);
    checkValue(names, as_value, key_pointer, key_path, walk);
    checkCombinations(names, as_value, key_pointer, key_path, walk, depth + 1);
  }

  void checkCombinations(const JsonValue& schema, const JsonValue& doc, const std::string& pointer,
                         const std::string& path, Walk& walk, int depth) const {
    if (const JsonValue* all = keyword(schema, "allOf"); all != nullptr && all->isArray()) {
      for (const JsonValue& sub : all->items()) {
        check(sub, doc, pointer, path, walk, depth + 1);
      }
    }
    if (const JsonValue* any = keyword(schema, "anyOf"); any != nullptr && any->isArray()) {
      bool ok = false;
      for (const JsonValue& sub : any->items()) {
        ok = ok || passes(sub, doc, depth + 1);
      }
      if (!ok) {
        walk.add(pointer, path, "does not match any of the allowed forms");
      }
    }
    if (const JsonValue* one = keyword(schema, "oneOf"); one != nullptr && one->isArray()) {
      int passed = 0;
      for (const JsonValue& sub : one->items()) {
        passed += passes(sub, doc, depth + 1) ? 1 : 0;
      }
      if (passed == 0) {
        walk.add(pointer, path, "does not match any of the allowed forms");
      } else if (passed > 1) {
        walk.add(pointer, path, "matches more than one of the allowed forms");
      }
    }
    if (const JsonValue* no = keyword(schema, "not"); no != nullptr && passes(*no, doc, depth + 1)) {
      walk.add(pointer, path, "is not allowed here");
    }
    if (const JsonValue* condition = keyword(schema, "if")) {
      const JsonValue* branch = keyword(schema, passes(*condition, doc, depth + 1) ? "then" : "else");
      if (branch != nullptr) {
        check(*branch, doc, pointer, path, walk, depth + 1);
      }
    }
  }

  // ---- defaults --------------------------------------------------------------------------------

  static void fillDefaults(const JsonValue& schema, JsonValue& doc, int depth) {
    if (!schema.isObject() || depth > kMaxDepth) {
      return;
    }
    if (doc.isObject()) {
      const JsonValue* properties = schema.find("properties");
      if (properties == nullptr || !properties->isObject()) {
        return;
      }
      for (const auto& [key, sub] : properties->members()) {
        if (!sub.isObject()) {
          continue;
        }
        auto present = doc.members().find(key);
        if (present != doc.members().end()) {
          fillDefaults(sub, present->second, depth + 1);
          continue;
        }
        if (const JsonValue* def = sub.find("default")) {
          doc.members()[key] = *def;
          continue;
        }
        const JsonValue* type = sub.find("type");
        bool object_schema = type != nullptr && type->isString() && type->asString() == "object";
        if (object_schema && sub.find("required") == nullptr && sub.find("properties") != nullptr) {
          JsonValue created = JsonValue::object();
          fillDefaults(sub, created, depth + 1);
          if (!created.members().empty()) {
            doc.members()[key] = std::move(created);
          }
        }
      }
    } else if (doc.isArray()) {
      const JsonValue* items = schema.find("items");
      if (items != nullptr && items->isObject()) {
        for (JsonValue& item : doc.items()) {
          fillDefaults(*items, item, depth + 1);
        }
      }
    }
  }

  JsonValue schema_;
  std::map<std::string, std::regex> patterns_; // every pattern of the schema, compiled
};

// The issues as one refusal, the way the server words an API refusal: "settings.server: required;
// settings.timeout_ms: must be >= 100". `root` names the document ("settings", "config").
inline std::string describeSchemaIssues(const std::vector<SchemaIssue>& issues, const std::string& root) {
  std::string text;
  for (const SchemaIssue& issue : issues) {
    std::string at = issue.path.empty()     ? root
                     : issue.path[0] == '[' ? root + issue.path
                                            : root + "." + issue.path;
    text += (text.empty() ? "" : "; ") + at + ": " + issue.message;
  }
  return text;
}

// What the server hands create() for a document: `doc_json` checked against `schema_json` and then
// filled with its defaults. Returns the JSON text to pass on, or nullopt with `refusal` set
// ("<root>: not valid JSON ..." or the issues as describeSchemaIssues words them). Throws
// std::invalid_argument when the schema itself is unusable.
inline std::optional<std::string> checkAgainstSchema(std::string_view schema_json, std::string_view doc_json,
                                                     const std::string& root, std::string& refusal) {
  SchemaCheck check(schema_json);
  JsonValue doc;
  try {
    doc = JsonValue::parse(doc_json);
  } catch (const std::invalid_argument& e) {
    refusal = root + ": " + e.what();
    return std::nullopt;
  }
  std::vector<SchemaIssue> issues = check.validate(doc);
  if (!issues.empty()) {
    refusal = describeSchemaIssues(issues, root);
    return std::nullopt;
  }
  check.applyDefaults(doc);
  return doc.dump();
}

} // namespace bambuddy::testing
