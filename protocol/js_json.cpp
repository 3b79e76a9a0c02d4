#include "protocol/js_json.hpp"

#include <vector>

#include "protocol/json_number.hpp"
#include "protocol/json_text.hpp"

namespace moai::protocol {

bool append_js_json(std::string& out, const json_value& v, int max_depth) {
  if (max_depth <= 0) return false;
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
      append_js_number(out, v.GetDouble());
      return true;
    case rapidjson::kStringType:
      append_json_string(out, view_of(v));
      return true;
    case rapidjson::kArrayType: {
      out.push_back('[');
      bool first = true;
      for (const auto& e : v.GetArray()) {
        if (!first) out.push_back(',');
        first = false;
        if (!append_js_json(out, e, max_depth - 1)) return false;
      }
      out.push_back(']');
      return true;
    }
    case rapidjson::kObjectType: {
      // First position of each name, last value.
      std::vector<std::string_view> names;
      for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
        std::string_view name = view_of(it->name);
        bool seen = false;
        for (auto n : names) seen = seen || n == name;
        if (!seen) names.push_back(name);
      }
      out.push_back('{');
      bool first = true;
      for (auto name : names) {
        if (!first) out.push_back(',');
        first = false;
        append_json_string(out, name);
        out.push_back(':');
        if (!append_js_json(out, *find_member(v, name), max_depth - 1)) return false;
      }
      out.push_back('}');
      return true;
    }
  }
  return false;
}

std::optional<std::string> js_json_from_text(std::string_view json_text) {
  json_document doc;
  std::string error;
  if (!parse_json(json_text, doc, error)) return std::nullopt;
  std::string out;
  if (!append_js_json(out, doc)) return std::nullopt;
  return out;
}

}  // namespace moai::protocol
