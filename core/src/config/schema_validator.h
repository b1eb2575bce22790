// JSON Schema (draft-07) validation with short, precise messages at exact JSON pointers.
//
// valijson does the validation; its raw results are nested and wordy ("Failed to validate
// against schema associated with property ..."), so they are reduced here to the most specific
// issues and reworded ("required", "unknown key", "expected integer, got string", ...).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace bambuddy::config {

struct SchemaIssue {
  std::string pointer; // JSON pointer of the offending value; for "required", the missing key's pointer
  std::string path;    // display form of pointer, e.g. "plugins.load[2].config.topic"
  std::string message; // e.g. "required", "unknown key", "must be >= 1"
};

class SchemaValidator {
public:
  // Throws std::invalid_argument naming the problem when `schema` is not a usable schema
  // (bad keyword values, unresolvable $ref, a regex that does not compile, ...).
  explicit SchemaValidator(const nlohmann::json& schema);
  ~SchemaValidator();
  SchemaValidator(SchemaValidator&&) noexcept;
  SchemaValidator& operator=(SchemaValidator&&) noexcept;
  SchemaValidator(const SchemaValidator&) = delete;
  SchemaValidator& operator=(const SchemaValidator&) = delete;

  // Empty when `doc` is valid. Issues come in the validator's walk order, deduplicated.
  // Safe to call from several threads at once.
  std::vector<SchemaIssue> validate(const nlohmann::json& doc) const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Fills in the "default" of every object property that is missing from `doc`, recursing into
// the objects and array items that are present. A missing property without a default whose
// schema is an object (with no "required" keys) is created when that yields any defaults, so
// the schema stays the single source of default values. Run it after validation.
void applyDefaults(const nlohmann::json& schema, nlohmann::json& doc);

} // namespace bambuddy::config
