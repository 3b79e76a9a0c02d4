#include "protocol/json/js_json.hpp"

#include <vector>

#include "base/json_number.hpp"
#include "base/json_text.hpp"
#include "protocol/json/json_writer.hpp"

namespace moai::protocol {

namespace {

// JSON.stringify: members in document order, a repeated name at its first position
// with its last value (as JSON.parse leaves it), numbers as JavaScript prints them.
struct js_spelling {
  static void number(std::string& out, const json_value& v) { base::append_js_number(out, v.GetDouble()); }
  static void string(std::string& out, std::string_view s) { base::append_json_string(out, s); }
  static json_writer::member_list members(const json_value& obj) {
    json_writer::member_list list;
    for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it) {
      const std::string_view name = view_of(it->name);
      bool seen = false;
      for (auto& [n, value] : list) {
        if (n == name) {
          value = &it->value;
          seen = true;
        }
      }
      if (!seen) list.emplace_back(name, &it->value);
    }
    return list;
  }
};

}  // namespace

bool append_js_json(std::string& out, const json_value& v, int max_depth) {
  return json_writer::write<js_spelling>(out, v, max_depth);
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
