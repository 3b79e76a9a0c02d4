// One compact JSON writer for the three spellings the protocol needs (cojson's
// stableStringify, serde_json's and JSON.stringify's). They differ only in how numbers
// and strings are written and in which order object members come; a `Spelling` says
// that, the walk is shared. Internal to protocol/.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/json_text.hpp"
#include "protocol/json/json.hpp"

namespace moai::protocol::json_writer {

// An object's members as written: each name once, with the value JSON.parse keeps
// (the last one).
using member_list = std::vector<std::pair<std::string_view, const json_value*>>;

// Spelling requirements:
//   static void number(std::string& out, const json_value& v);
//   static void string(std::string& out, std::string_view s);
//   static member_list members(const json_value& object);
// Returns false when the value nests deeper than `depth`.
template <typename Spelling>
bool write(std::string& out, const json_value& v, int depth) {
  if (depth <= 0) return false;
  switch (v.GetType()) {
    case rapidjson::kNullType:
      out.append("null");
      return true;
    case rapidjson::kFalseType:
      out.append("false");
      return true;
    case rapidjson::kTrueType:
      out.append("true");
      return true;
    case rapidjson::kNumberType:
      Spelling::number(out, v);
      return true;
    case rapidjson::kStringType:
      Spelling::string(out, view_of(v));
      return true;
    case rapidjson::kArrayType: {
      out.push_back('[');
      bool first = true;
      for (const auto& e : v.GetArray()) {
        if (!first) out.push_back(',');
        first = false;
        if (!write<Spelling>(out, e, depth - 1)) return false;
      }
      out.push_back(']');
      return true;
    }
    case rapidjson::kObjectType: {
      out.push_back('{');
      bool first = true;
      for (const auto& [name, value] : Spelling::members(v)) {
        if (!first) out.push_back(',');
        first = false;
        base::append_json_string(out, name);
        out.push_back(':');
        if (!write<Spelling>(out, *value, depth - 1)) return false;
      }
      out.push_back('}');
      return true;
    }
  }
  return false;
}

}  // namespace moai::protocol::json_writer
