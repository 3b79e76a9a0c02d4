// JSON text output with JavaScript's JSON.stringify spelling, and the UTF-16 views
// that JavaScript semantics (string length, key order) are defined in.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace moai::base {

// Appends "…" with JSON.stringify escaping: `"` `\` and U+0000–U+001F escaped
// (\b \f \n \r \t short forms, others \u00xx lowercase); everything else raw UTF-8.
// serde_json spells strings the same way, so this is also the canonical form.
void append_json_string(std::string& out, std::string_view utf8);

// True when the UTF-8 holds an encoded surrogate code point (U+D800–U+DFFF), which
// RapidJSON lets through for a lone "\udc00" escape but serde_json rejects.
bool has_surrogate_code_point(std::string_view utf8);

// Length in UTF-16 code units: what JavaScript's `string.length` reports.
std::size_t utf16_length(std::string_view utf8);

// JavaScript's default sort order for strings: by UTF-16 code units.
bool utf16_less(std::string_view a, std::string_view b);

}  // namespace moai::base
