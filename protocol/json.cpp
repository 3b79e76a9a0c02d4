#include "protocol/json.hpp"

#include <rapidjson/error/en.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "protocol/bytes.hpp"
#include "protocol/json_number.hpp"
#include "protocol/json_text.hpp"

namespace moai::protocol {

namespace {

// RapidJSON 1.1.0 (Debian's) mishandles numbers far outside double's range: with
// hundreds of digits ("0.000…0") it reads past its table of powers of ten (a crash on
// hostile input), with huge exponents ("1e-2000000000") its exponent arithmetic
// overflows. JSON.stringify never writes more than 24 characters or a 3-digit
// exponent, so such numbers are refused before parsing.
constexpr std::size_t kMaxNumberChars = 100;
constexpr std::size_t kMaxExponentDigits = 3;

// Offset of the first number token out of those bounds, or npos.
std::size_t find_unsafe_number(std::string_view text) {
  const char* const begin = text.data();
  const char* const end = begin + text.size();
  std::size_t run = 0, exponent_digits = 0;
  bool in_exponent = false;
  for (const char* p = begin; p < end; ++p) {
    const char c = *p;
    if (c == '"') {
      // Skip the string: its closing quote is the first one preceded by an even
      // number of backslashes. memchr keeps this fast on long strings.
      for (const char* q = p + 1;;) {
        q = static_cast<const char*>(std::memchr(q, '"', static_cast<std::size_t>(end - q)));
        if (!q) return std::string_view::npos;  // unterminated: the parser reports it
        std::size_t slashes = 0;
        for (const char* b = q - 1; b > p && *b == '\\'; --b) ++slashes;
        if (slashes % 2 == 0) {
          p = q;
          break;
        }
        ++q;
      }
      run = exponent_digits = 0;
      in_exponent = false;
      continue;
    }
    const bool digit = c >= '0' && c <= '9';
    if (digit || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E') {
      if (++run > kMaxNumberChars) return static_cast<std::size_t>(p - begin) + 1 - run;
      if (c == 'e' || c == 'E') {
        in_exponent = true;
        exponent_digits = 0;
      } else if (digit && in_exponent && ++exponent_digits > kMaxExponentDigits) {
        return static_cast<std::size_t>(p - begin) + 1 - run;
      }
      continue;
    }
    run = exponent_digits = 0;
    in_exponent = false;
  }
  return std::string_view::npos;
}

template <unsigned Flags>
bool parse_with(std::string_view text, json_document& doc, std::string& error) {
  if (auto at = find_unsafe_number(text); at != std::string_view::npos) {
    error = "number out of range (over " + std::to_string(kMaxNumberChars) + " characters or a " +
            std::to_string(kMaxExponentDigits + 1) + "+ digit exponent) at offset " + std::to_string(at);
    doc.SetNull();
    return false;
  }
  doc.Parse<Flags | rapidjson::kParseFullPrecisionFlag | rapidjson::kParseIterativeFlag>(text.data(), text.size());
  if (doc.HasParseError()) {
    error = std::string(rapidjson::GetParseError_En(doc.GetParseError())) + " at offset " +
            std::to_string(doc.GetErrorOffset());
    return false;
  }
  return true;
}

}  // namespace

bool parse_json(std::string_view text, json_document& doc, std::string& error) {
  return parse_with<rapidjson::kParseValidateEncodingFlag>(text, doc, error);
}

bool parse_stored_json(std::string_view text, json_document& doc, std::string& error) {
  return parse_with<rapidjson::kParseNoFlags>(text, doc, error);
}

const json_value* find_member(const json_value& obj, std::string_view key) {
  if (!obj.IsObject()) return nullptr;
  // Last occurrence wins, as with JSON.parse and serde.
  const json_value* found = nullptr;
  for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it) {
    if (view_of(it->name) == key) found = &it->value;
  }
  return found;
}

bool get_string(const json_value& obj, std::string_view key, std::string_view& out) {
  const json_value* v = find_member(obj, key);
  if (!v || !v->IsString()) return false;
  out = view_of(*v);
  return true;
}

namespace {

// Object members with duplicates removed (last wins), sorted by `less`.
template <typename Less>
std::vector<const json_value::Member*> sorted_members(const json_value& obj, Less less) {
  std::vector<const json_value::Member*> members;
  members.reserve(obj.MemberCount());
  for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it) members.push_back(&*it);
  std::stable_sort(members.begin(), members.end(),
                   [&](auto* a, auto* b) { return less(view_of(a->name), view_of(b->name)); });
  std::vector<const json_value::Member*> unique;
  unique.reserve(members.size());
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (i + 1 < members.size() && view_of(members[i]->name) == view_of(members[i + 1]->name)) continue;
    unique.push_back(members[i]);
  }
  return unique;
}

bool stable_rec(std::string& out, const json_value& v, int depth) {
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
      // JSON.parse yields a double; print it the way JS does.
      append_js_number(out, v.GetDouble());
      return true;
    case rapidjson::kStringType: {
      std::string_view s = view_of(v);
      if (starts_with(s, "encrypted_U") || starts_with(s, "binary_U")) {
        out.push_back('"');
        out.append(s);
        out.push_back('"');
      } else {
        append_json_string(out, s);
      }
      return true;
    }
    case rapidjson::kArrayType: {
      out.push_back('[');
      bool first = true;
      for (auto& e : v.GetArray()) {
        if (!first) out.push_back(',');
        first = false;
        if (!stable_rec(out, e, depth - 1)) return false;
      }
      out.push_back(']');
      return true;
    }
    case rapidjson::kObjectType: {
      out.push_back('{');
      bool first = true;
      for (auto* m : sorted_members(v, utf16_less)) {
        if (!first) out.push_back(',');
        first = false;
        append_json_string(out, view_of(m->name));
        out.push_back(':');
        if (!stable_rec(out, m->value, depth - 1)) return false;
      }
      out.push_back('}');
      return true;
    }
  }
  return false;
}

bool serde_rec(std::string& out, const json_value& v, int depth) {
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
      if (v.IsUint64()) {
        out.append(std::to_string(v.GetUint64()));
      } else if (v.IsInt64()) {
        out.append(std::to_string(v.GetInt64()));
      } else {
        append_serde_f64(out, v.GetDouble());
      }
      return true;
    case rapidjson::kStringType:
      append_json_string(out, view_of(v));
      return true;
    case rapidjson::kArrayType: {
      out.push_back('[');
      bool first = true;
      for (auto& e : v.GetArray()) {
        if (!first) out.push_back(',');
        first = false;
        if (!serde_rec(out, e, depth - 1)) return false;
      }
      out.push_back(']');
      return true;
    }
    case rapidjson::kObjectType: {
      out.push_back('{');
      bool first = true;
      for (auto* m : sorted_members(v, std::less<std::string_view>())) {
        if (!first) out.push_back(',');
        first = false;
        append_json_string(out, view_of(m->name));
        out.push_back(':');
        if (!serde_rec(out, m->value, depth - 1)) return false;
      }
      out.push_back('}');
      return true;
    }
  }
  return false;
}

}  // namespace

bool append_stable_json(std::string& out, const json_value& v, int max_depth) {
  return stable_rec(out, v, max_depth);
}

std::string stable_json(const json_value& v) {
  std::string out;
  append_stable_json(out, v);
  return out;
}

bool append_serde_json(std::string& out, const json_value& v, int max_depth) {
  return serde_rec(out, v, max_depth);
}

}  // namespace moai::protocol
