// JSON.stringify's spelling of a parsed value: what cojson writers put in `changes`
// (insertion order kept, unlike stable_json). Built on the project's JSON codec.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "protocol/json/json.hpp"

namespace moai::protocol {

// Compact, members in document order (a repeated name keeps its first position and its
// last value, as JSON.parse leaves it), numbers as JavaScript prints them. Returns false
// when the value nests deeper than `max_depth`.
bool append_js_json(std::string& out, const json_value& v, int max_depth = 256);

// Re-spells JSON text as JSON.stringify(JSON.parse(text)) would; nullopt when the text
// is not JSON.
std::optional<std::string> js_json_from_text(std::string_view json_text);

}  // namespace moai::protocol
