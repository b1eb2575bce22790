// SPDX-License-Identifier: MIT
//
// bambuddy/testing/json_value.hpp — a small JSON document type for the SDK's test helpers.
//
// The SDK depends on no JSON library, yet FakeHost checks config and settings against a plugin's
// schemas (testing/schema_check.hpp) and hands the plugin the documents with their defaults
// filled in, so it needs to read and write JSON. This is just enough for that: RFC 8259 parsing
// (integers kept exact as int64, other numbers as double, strings as UTF-8 bytes), equality and
// compact output. Not a general-purpose JSON library; plugins use their own.
//
// Values are plain copyable objects; nothing is shared, so separate values may be used from
// separate threads. Object members are kept sorted by key (output order too).
#pragma once

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace bambuddy::testing {

class JsonValue {
public:
  enum class Type { Null, Boolean, Integer, Number, String, Array, Object };
  using Array = std::vector<JsonValue>;
  using Object = std::map<std::string, JsonValue>;

  JsonValue() = default; // null
  static JsonValue boolean(bool b) {
    JsonValue v;
    v.type_ = Type::Boolean;
    v.bool_ = b;
    return v;
  }
  static JsonValue integer(int64_t i) {
    JsonValue v;
    v.type_ = Type::Integer;
    v.int_ = i;
    return v;
  }
  static JsonValue number(double d) {
    JsonValue v;
    v.type_ = Type::Number;
    v.double_ = d;
    return v;
  }
  static JsonValue string(std::string s) {
    JsonValue v;
    v.type_ = Type::String;
    v.string_ = std::move(s);
    return v;
  }
  static JsonValue array(Array items = {}) {
    JsonValue v;
    v.type_ = Type::Array;
    v.array_ = std::move(items);
    return v;
  }
  static JsonValue object(Object members = {}) {
    JsonValue v;
    v.type_ = Type::Object;
    v.object_ = std::move(members);
    return v;
  }

  // Parses exactly one JSON value (surrounding whitespace allowed). Throws std::invalid_argument
  // naming the byte offset of the first problem. Nesting deeper than 256 levels is refused.
  static JsonValue parse(std::string_view text);

  Type type() const { return type_; }
  bool isNull() const { return type_ == Type::Null; }
  bool isBoolean() const { return type_ == Type::Boolean; }
  bool isInteger() const { return type_ == Type::Integer; }
  // Integer or other number. A float with no fraction (2.0) is not an integer here, as in the
  // server's validator ("expected integer, got number").
  bool isNumber() const { return type_ == Type::Integer || type_ == Type::Number; }
  bool isString() const { return type_ == Type::String; }
  bool isArray() const { return type_ == Type::Array; }
  bool isObject() const { return type_ == Type::Object; }

  bool asBoolean() const { return bool_; }
  int64_t asInteger() const { return int_; }
  double asDouble() const { return type_ == Type::Integer ? static_cast<double>(int_) : double_; }
  const std::string& asString() const { return string_; }
  const Array& items() const { return array_; }
  Array& items() { return array_; }
  const Object& members() const { return object_; }
  Object& members() { return object_; }

  // The member `key` of an object, or nullptr (also when this is not an object).
  const JsonValue* find(const std::string& key) const {
    if (type_ != Type::Object) {
      return nullptr;
    }
    auto it = object_.find(key);
    return it == object_.end() ? nullptr : &it->second;
  }

  // JSON equality: numbers compare by value (1 == 1.0), objects regardless of order.
  bool operator==(const JsonValue& other) const {
    if (isNumber() && other.isNumber()) {
      if (type_ == Type::Integer && other.type_ == Type::Integer) {
        return int_ == other.int_;
      }
      return asDouble() == other.asDouble();
    }
    if (type_ != other.type_) {
      return false;
    }
    switch (type_) {
    case Type::Null:
      return true;
    case Type::Boolean:
      return bool_ == other.bool_;
    case Type::String:
      return string_ == other.string_;
    case Type::Array:
      return array_ == other.array_;
    case Type::Object:
      return object_ == other.object_;
    default:
      return false;
    }
  }
  bool operator!=(const JsonValue& other) const { return !(*this == other); }

  // Compact JSON text. Strings are written as they are (UTF-8), with quotes, backslashes and
  // control characters escaped; non-finite numbers are written as null.
  std::string dump() const {
    std::string out;
    dumpTo(out);
    return out;
  }

  // "null", "boolean", "integer", "number", "string", "array" or "object".
  const char* typeName() const {
    switch (type_) {
    case Type::Null:
      return "null";
    case Type::Boolean:
      return "boolean";
    case Type::Integer:
      return "integer";
    case Type::Number:
      return "number";
    case Type::String:
      return "string";
    case Type::Array:
      return "array";
    default:
      return "object";
    }
  }

private:
  class Parser;

  void dumpTo(std::string& out) const {
    switch (type_) {
    case Type::Null:
      out += "null";
      break;
    case Type::Boolean:
      out += bool_ ? "true" : "false";
      break;
    case Type::Integer:
      out += std::to_string(int_);
      break;
    case Type::Number: {
      if (!std::isfinite(double_)) {
        out += "null";
        break;
      }
      char buffer[32];
      std::snprintf(buffer, sizeof buffer, "%.17g", double_);
      out += buffer;
      break;
    }
    case Type::String:
      dumpString(string_, out);
      break;
    case Type::Array:
      out += '[';
      for (size_t i = 0; i < array_.size(); ++i) {
        if (i > 0) {
          out += ',';
        }
        array_[i].dumpTo(out);
      }
      out += ']';
      break;
    case Type::Object: {
      out += '{';
      bool first = true;
      for (const auto& [key, value] : object_) {
        if (!first) {
          out += ',';
        }
        first = false;
        dumpString(key, out);
        out += ':';
        value.dumpTo(out);
      }
      out += '}';
      break;
    }
    }
  }

  static void dumpString(const std::string& text, std::string& out) {
    out += '"';
    for (char c : text) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        char buffer[8];
        std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
        out += buffer;
      } else {
        out += c;
      }
    }
    out += '"';
  }

  Type type_ = Type::Null;
  bool bool_ = false;
  int64_t int_ = 0;
  double double_ = 0;
  std::string string_;
  Array array_;
  Object object_;
};

// A recursive-descent parser over the text; one per parse() call.
class JsonValue::Parser {
public:
  explicit Parser(std::string_view text) : text_(text) {}

  JsonValue document() {
    JsonValue v = value(0);
    skipSpace();
    if (pos_ != text_.size()) {
      fail("unexpected text after the value");
    }
    return v;
  }

private:
  static constexpr int kMaxDepth = 256;

  [[noreturn]] void fail(const std::string& what) const {
    throw std::invalid_argument("not valid JSON at offset " + std::to_string(pos_) + ": " + what);
  }

  void skipSpace() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) == word) {
      pos_ += word.size();
      return true;
    }
    return false;
  }

  JsonValue value(int depth) {
    if (depth > kMaxDepth) {
      fail("nested deeper than 256 levels");
    }
    skipSpace();
    if (pos_ >= text_.size()) {
      fail("unexpected end");
    }
    char c = text_[pos_];
    if (c == '{') {
      return objectValue(depth);
    }
    if (c == '[') {
      return arrayValue(depth);
    }
    if (c == '"') {
      return JsonValue::string(stringValue());
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      return numberValue();
    }
    if (literal("true")) {
      return JsonValue::boolean(true);
    }
    if (literal("false")) {
      return JsonValue::boolean(false);
    }
    if (literal("null")) {
      return JsonValue();
    }
    fail("unexpected character");
  }

  JsonValue objectValue(int depth) {
    ++pos_; // '{'
    JsonValue out = JsonValue::object();
    skipSpace();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      return out;
    }
    while (true) {
      skipSpace();
      if (pos_ >= text_.size() || text_[pos_] != '"') {
        fail("expected a key");
      }
      std::string key = stringValue();
      skipSpace();
      if (pos_ >= text_.size() || text_[pos_] != ':') {
        fail("expected ':'");
      }
      ++pos_;
      // A repeated key: the last one wins, as in nlohmann::json and the server.
      out.object_[key] = value(depth + 1);
      skipSpace();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == '}') {
        ++pos_;
        return out;
      }
      fail("expected ',' or '}'");
    }
  }

  JsonValue arrayValue(int depth) {
    ++pos_; // '['
    JsonValue out = JsonValue::array();
    skipSpace();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      return out;
    }
    while (true) {
      out.array_.push_back(value(depth + 1));
      skipSpace();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == ']') {
        ++pos_;
        return out;
      }
      fail("expected ',' or ']'");
    }
  }

  unsigned hex4() {
    if (pos_ + 4 > text_.size()) {
      fail("short \\u escape");
    }
    unsigned code = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[pos_++];
      code <<= 4;
      if (c >= '0' && c <= '9') {
        code |= static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        code |= static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        code |= static_cast<unsigned>(c - 'A' + 10);
      } else {
        fail("bad \\u escape");
      }
    }
    return code;
  }

  static void appendUtf8(unsigned code, std::string& out) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
  }

  std::string stringValue() {
    ++pos_; // '"'
    std::string out;
    while (true) {
      if (pos_ >= text_.size()) {
        fail("unterminated string");
      }
      char c = text_[pos_++];
      if (c == '"') {
        return out;
      }
      if (static_cast<unsigned char>(c) < 0x20) {
        fail("control character in a string");
      }
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) {
        fail("unterminated string");
      }
      char e = text_[pos_++];
      switch (e) {
      case '"':
      case '\\':
      case '/':
        out += e;
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        unsigned code = hex4();
        if (code >= 0xD800 && code <= 0xDBFF) {
          if (!literal("\\u")) {
            fail("lone surrogate");
          }
          unsigned low = hex4();
          if (low < 0xDC00 || low > 0xDFFF) {
            fail("lone surrogate");
          }
          code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
        } else if (code >= 0xDC00 && code <= 0xDFFF) {
          fail("lone surrogate");
        }
        appendUtf8(code, out);
        break;
      }
      default:
        fail("bad escape");
      }
    }
  }

  JsonValue numberValue() {
    size_t start = pos_;
    if (text_[pos_] == '-') {
      ++pos_;
    }
    auto digits = [&] {
      size_t from = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
        ++pos_;
      }
      return pos_ - from;
    };
    size_t int_start = pos_;
    size_t int_digits = digits();
    if (int_digits == 0 || (int_digits > 1 && text_[int_start] == '0')) {
      fail("bad number");
    }
    bool integral = true;
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      integral = false;
      if (digits() == 0) {
        fail("bad number");
      }
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      integral = false;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) {
        ++pos_;
      }
      if (digits() == 0) {
        fail("bad number");
      }
    }
    std::string token(text_.substr(start, pos_ - start));
    if (integral) {
      errno = 0;
      char* end = nullptr;
      long long i = std::strtoll(token.c_str(), &end, 10);
      if (errno == 0) {
        return JsonValue::integer(static_cast<int64_t>(i));
      }
    }
    return JsonValue::number(std::strtod(token.c_str(), nullptr));
  }

  std::string_view text_;
  size_t pos_ = 0;
};

inline JsonValue JsonValue::parse(std::string_view text) {
  return Parser(text).document();
}

} // namespace bambuddy::testing
