// Visiting every subschema of a JSON Schema (not the documents it describes): the one traversal
// the validator's load-time checks and the precheck share, so a keyword that holds subschemas is
// listed once.
#pragma once

#include "config/json_pointer.h"

#include <nlohmann/json.hpp>

#include <string>

namespace bambuddy::config {

inline constexpr int kMaxSchemaWalkDepth = 64;

// Calls visit(subschema, pointer) for `schema` and each subschema under it, parents first, down to
// kMaxSchemaWalkDepth levels. `Json` is nlohmann::json or const nlohmann::json; `where` is the
// JSON pointer of `schema` in the document being walked.
template <class Json, class Visit>
void eachSubschema(Json& schema, Visit&& visit, const std::string& where = "", int depth = 0) {
  if (!schema.is_object() || depth > kMaxSchemaWalkDepth) {
    return;
  }
  visit(schema, where);
  for (const char* key : {"properties", "patternProperties", "definitions", "$defs", "dependencies"}) {
    auto map = schema.find(key);
    if (map != schema.end() && map->is_object()) {
      for (auto it = map->begin(); it != map->end(); ++it) {
        eachSubschema(it.value(), visit, childPointer(childPointer(where, key), it.key()), depth + 1);
      }
    }
  }
  for (const char* key : {"items", "additionalItems", "additionalProperties", "contains", "propertyNames",
                          "not", "if", "then", "else", "allOf", "anyOf", "oneOf"}) {
    auto sub = schema.find(key);
    if (sub == schema.end()) {
      continue;
    }
    if (sub->is_array()) {
      for (std::size_t i = 0; i < sub->size(); ++i) {
        eachSubschema((*sub)[i], visit, childPointer(childPointer(where, key), i), depth + 1);
      }
    } else {
      eachSubschema(*sub, visit, childPointer(where, key), depth + 1);
    }
  }
}

} // namespace bambuddy::config
