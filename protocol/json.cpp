#include "protocol/json.hpp"

#include <rapidjson/error/en.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "protocol/bytes.hpp"
#include "protocol/json_number.hpp"
#include "protocol/json_text.hpp"
#include "protocol/json_writer.hpp"

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
json_writer::member_list sorted_members(const json_value& obj, Less less) {
  json_writer::member_list members;
  members.reserve(obj.MemberCount());
  for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it) members.emplace_back(view_of(it->name), &it->value);
  std::stable_sort(members.begin(), members.end(),
                   [&](const auto& a, const auto& b) { return less(a.first, b.first); });
  json_writer::member_list unique;
  unique.reserve(members.size());
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (i + 1 < members.size() && members[i].first == members[i + 1].first) continue;
    unique.push_back(members[i]);
  }
  return unique;
}

// cojson's stableStringify.
struct stable_spelling {
  // JSON.parse yields a double; print it the way JS does.
  static void number(std::string& out, const json_value& v) { append_js_number(out, v.GetDouble()); }
  static void string(std::string& out, std::string_view s) {
    if (starts_with(s, "encrypted_U") || starts_with(s, "binary_U")) {
      out.push_back('"');
      out.append(s);
      out.push_back('"');
    } else {
      append_json_string(out, s);
    }
  }
  static json_writer::member_list members(const json_value& obj) { return sorted_members(obj, utf16_less); }
};

// serde_json with its default (sorted) maps, as the Rust core re-serializes.
struct serde_spelling {
  static void number(std::string& out, const json_value& v) {
    if (v.IsUint64()) {
      out.append(std::to_string(v.GetUint64()));
    } else if (v.IsInt64()) {
      out.append(std::to_string(v.GetInt64()));
    } else {
      append_serde_f64(out, v.GetDouble());
    }
  }
  static void string(std::string& out, std::string_view s) { append_json_string(out, s); }
  static json_writer::member_list members(const json_value& obj) {
    return sorted_members(obj, std::less<std::string_view>());
  }
};

}  // namespace

bool append_stable_json(std::string& out, const json_value& v, int max_depth) {
  return json_writer::write<stable_spelling>(out, v, max_depth);
}

std::string stable_json(const json_value& v) {
  std::string out;
  append_stable_json(out, v);
  return out;
}

bool append_serde_json(std::string& out, const json_value& v, int max_depth) {
  return json_writer::write<serde_spelling>(out, v, max_depth);
}

}  // namespace moai::protocol
