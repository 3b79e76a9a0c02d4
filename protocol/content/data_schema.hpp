// Checking data against a MaiaOS schema before it is written (the JavaScript moai's
// AJV validation of {text, done} for a todo, validation.helper.js): the JSON Schema
// keywords MaiaOS data schemas use — type, properties, required, additionalProperties,
// enum, const, minLength, maxLength, pattern, minimum, maximum, items, minItems,
// maxItems — with AJV 8's messages, so a refusal reads as the original's does.
#pragma once

#include <string>
#include <vector>

#include "protocol/json/json.hpp"

namespace moai::protocol {

struct schema_violation {
  std::string path;     // JSON pointer of the offending value; "/" for the root
  std::string message;  // AJV's wording, e.g. "must NOT have fewer than 1 characters"
};

// Every violation of `schema` by `data` (like AJV with allErrors). Keywords outside the
// list above are ignored (a schema that needs them is not checked by them).
std::vector<schema_violation> check_against_schema(const json_value& schema, const json_value& data);

// "Validation failed for '<what>':\n  - <path>: <message>…", the original's error text.
std::string describe_violations(const std::string& what, const std::vector<schema_violation>& violations);

}  // namespace moai::protocol
