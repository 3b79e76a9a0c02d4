#include "protocol/content/data_schema.hpp"

#include <cmath>
#include <regex>

#include "base/json_number.hpp"

namespace moai::protocol {
namespace {

// JSON pointer escaping of one property name (RFC 6901).
std::string pointer_part(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

bool has_type(const json_value& v, std::string_view type) {
  if (type == "string") return v.IsString();
  if (type == "boolean") return v.IsBool();
  if (type == "object") return v.IsObject();
  if (type == "array") return v.IsArray();
  if (type == "null") return v.IsNull();
  if (type == "number") return v.IsNumber();
  if (type == "integer") return v.IsNumber() && std::floor(v.GetDouble()) == v.GetDouble();
  return true;  // an unknown type name constrains nothing here
}

// Characters as AJV counts them (code points: a surrogate pair is one).
std::size_t code_points(std::string_view utf8) {
  std::size_t n = 0;
  for (unsigned char c : utf8) n += (c & 0xC0) != 0x80;
  return n;
}

std::string number_text(double d) {
  std::string out;
  base::append_js_number(out, d);
  return out;
}

class checker {
 public:
  std::vector<schema_violation> found;

  void check(const json_value& schema, const json_value& data, const std::string& path) {
    if (!schema.IsObject()) return;
    if (const auto* type = find_member(schema, "type")) {
      bool ok = false;
      std::string names;
      if (type->IsString()) {
        ok = has_type(data, view_of(*type));
        names = std::string(view_of(*type));
      } else if (type->IsArray()) {
        for (const auto& t : type->GetArray()) {
          if (!t.IsString()) continue;
          ok = ok || has_type(data, view_of(t));
          names += (names.empty() ? "" : ",") + std::string(view_of(t));
        }
      } else {
        ok = true;
      }
      if (!ok) {
        add(path, "must be " + names);
        return;  // AJV stops at a wrong type: the other keywords are about that type
      }
    }
    if (const auto* values = find_member(schema, "enum"); values && values->IsArray()) {
      bool listed = false;
      for (const auto& v : values->GetArray()) listed = listed || v == data;
      if (!listed) add(path, "must be equal to one of the allowed values");
    }
    if (const auto* value = find_member(schema, "const"); value && !(*value == data)) add(path, "must be equal to constant");
    if (data.IsString()) check_string(schema, data, path);
    if (data.IsNumber()) check_number(schema, data, path);
    if (data.IsObject()) check_object(schema, data, path);
    if (data.IsArray()) check_array(schema, data, path);
  }

 private:
  void add(const std::string& path, std::string message) { found.push_back({path.empty() ? "/" : path, std::move(message)}); }

  void check_string(const json_value& schema, const json_value& data, const std::string& path) {
    const std::size_t length = code_points(view_of(data));
    if (const auto* max = find_member(schema, "maxLength"); max && max->IsNumber() && length > max->GetDouble()) {
      add(path, "must NOT have more than " + number_text(max->GetDouble()) + " characters");
    }
    if (const auto* min = find_member(schema, "minLength"); min && min->IsNumber() && length < min->GetDouble()) {
      add(path, "must NOT have fewer than " + number_text(min->GetDouble()) + " characters");
    }
    if (const auto* pattern = find_member(schema, "pattern"); pattern && pattern->IsString()) {
      const std::string source(view_of(*pattern));
      try {
        // JSON Schema patterns are ECMAScript regular expressions, unanchored (AJV: `u` flag).
        if (!std::regex_search(std::string(view_of(data)), std::regex(source, std::regex::ECMAScript))) {
          add(path, "must match pattern \"" + source + "\"");
        }
      } catch (const std::regex_error&) {
        add(path, "has a pattern that cannot be checked: \"" + source + "\"");
      }
    }
  }

  void check_number(const json_value& schema, const json_value& data, const std::string& path) {
    const double d = data.GetDouble();
    if (const auto* max = find_member(schema, "maximum"); max && max->IsNumber() && d > max->GetDouble()) {
      add(path, "must be <= " + number_text(max->GetDouble()));
    }
    if (const auto* min = find_member(schema, "minimum"); min && min->IsNumber() && d < min->GetDouble()) {
      add(path, "must be >= " + number_text(min->GetDouble()));
    }
  }

  void check_object(const json_value& schema, const json_value& data, const std::string& path) {
    if (const auto* required = find_member(schema, "required"); required && required->IsArray()) {
      for (const auto& name : required->GetArray()) {
        if (name.IsString() && !find_member(data, view_of(name))) {
          add(path, "must have required property '" + std::string(view_of(name)) + "'");
        }
      }
    }
    const auto* properties = find_member(schema, "properties");
    if (properties && properties->IsObject()) {
      for (auto it = properties->MemberBegin(); it != properties->MemberEnd(); ++it) {
        if (const auto* value = find_member(data, view_of(it->name))) {
          check(it->value, *value, path + "/" + pointer_part(view_of(it->name)));
        }
      }
    }
    const auto* additional = find_member(schema, "additionalProperties");
    if (!additional) return;
    for (auto it = data.MemberBegin(); it != data.MemberEnd(); ++it) {
      if (properties && properties->IsObject() && find_member(*properties, view_of(it->name))) continue;
      if (additional->IsBool() && !additional->GetBool()) {
        add(path, "must NOT have additional properties");
      } else if (additional->IsObject()) {
        check(*additional, it->value, path + "/" + pointer_part(view_of(it->name)));
      }
    }
  }

  void check_array(const json_value& schema, const json_value& data, const std::string& path) {
    const auto size = static_cast<double>(data.Size());
    if (const auto* max = find_member(schema, "maxItems"); max && max->IsNumber() && size > max->GetDouble()) {
      add(path, "must NOT have more than " + number_text(max->GetDouble()) + " items");
    }
    if (const auto* min = find_member(schema, "minItems"); min && min->IsNumber() && size < min->GetDouble()) {
      add(path, "must NOT have fewer than " + number_text(min->GetDouble()) + " items");
    }
    if (const auto* items = find_member(schema, "items"); items && items->IsObject()) {
      for (rapidjson::SizeType i = 0; i < data.Size(); ++i) check(*items, data[i], path + "/" + std::to_string(i));
    }
  }
};

}  // namespace

std::vector<schema_violation> check_against_schema(const json_value& schema, const json_value& data) {
  checker c;
  c.check(schema, data, "");
  return std::move(c.found);
}

std::string describe_violations(const std::string& what, const std::vector<schema_violation>& violations) {
  std::string out = "Validation failed for '" + what + "':";
  for (const auto& v : violations) out += "\n  - " + v.path + ": " + v.message;
  return out;
}

}  // namespace moai::protocol
