// The project's JSON codec: RapidJSON for parsing, and two writers for the two
// canonical spellings that hashes are computed over.
#pragma once

#include <rapidjson/document.h>

#include <string>
#include <string_view>

namespace moai::protocol {

using json_document = rapidjson::Document;
using json_value = rapidjson::Value;

// Parses one JSON text (UTF-8 validated, full-precision numbers, no recursion in
// the parser). On failure returns false and describes the problem in `error`.
bool parse_json(std::string_view text, json_document& doc, std::string& error);

// The same for text read back from this server's own storage, which was validated
// when it arrived: UTF-8 validation (a fifth of a cold load's parsing) is skipped.
bool parse_stored_json(std::string_view text, json_document& doc, std::string& error);

// cojson's stableStringify (jsonStringify.ts): object keys sorted by UTF-16 code units,
// JS number spelling, strings starting with "encrypted_U" / "binary_U" written raw.
// Returns false if the value nests deeper than `max_depth`.
bool append_stable_json(std::string& out, const json_value& v, int max_depth = 512);
std::string stable_json(const json_value& v);

// serde_json's spelling of a parsed value, as the Rust core re-serializes header
// members: object keys in UTF-8 byte order (last duplicate wins), integers exact,
// floats via ryu. Returns false if the value nests deeper than `max_depth`.
bool append_serde_json(std::string& out, const json_value& v, int max_depth);

// Member lookup that never throws or asserts; nullptr when absent or `obj` is not an object.
const json_value* find_member(const json_value& obj, std::string_view key);
// String member as a view; nullopt-like empty result reported through `ok`.
bool get_string(const json_value& obj, std::string_view key, std::string_view& out);

inline std::string_view view_of(const json_value& s) {
  return {s.GetString(), s.GetStringLength()};
}

}  // namespace moai::protocol
