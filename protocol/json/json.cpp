#include "protocol/json/json.hpp"

#include <rapidjson/error/en.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "base/json_number.hpp"
#include "base/json_text.hpp"
#include "protocol/encoding/bytes.hpp"
#include "protocol/json/json_writer.hpp"

namespace moai::protocol {

namespace {

// RapidJSON 1.1.0 (Debian's) mishandles numbers far outside double's range: it looks up
// a table of powers of ten at (roughly) the decimal exponent of the number's first
// digits without checking the bounds (a crash on hostile input: fuzzing found
// "0.18446744333333363333333333990737095516869e-344"), and with huge exponents
// ("1e-2000000000") its exponent arithmetic overflows. A double's first significant
// digit sits between 10^-324 and 10^308, and JSON.stringify never writes more than 24
// characters or a 3-digit exponent, so numbers outside those bounds are refused
// before parsing.
constexpr std::size_t kMaxNumberChars = 100;
constexpr std::size_t kMaxExponentDigits = 3;
constexpr long kMinDecimalExponent = -323;  // 5e-324, the smallest double
constexpr long kMaxDecimalExponent = 309;   // 1.79e308, the largest

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The number token at `p` (JSON grammar) is within the bounds above. Returns false and
// sets `end` past the token when it is not; a token that is not a JSON number is left
// to the parser to report.
bool number_is_safe(const char* p, const char* limit, const char*& end) {
  const char* const start = p;
  if (p < limit && *p == '-') ++p;
  const char* const int_begin = p;
  while (p < limit && is_digit(*p)) ++p;
  const char* const int_end = p;
  const char* frac_begin = p;
  const char* frac_end = p;
  if (p < limit && *p == '.') {
    frac_begin = ++p;
    while (p < limit && is_digit(*p)) ++p;
    frac_end = p;
  }
  long exponent = 0;
  std::size_t exponent_digits = 0;
  if (p < limit && (*p == 'e' || *p == 'E')) {
    ++p;
    bool negative = false;
    if (p < limit && (*p == '+' || *p == '-')) negative = *p++ == '-';
    while (p < limit && is_digit(*p)) {
      if (++exponent_digits <= kMaxExponentDigits + 1) exponent = exponent * 10 + (*p - '0');
      ++p;
    }
    if (negative) exponent = -exponent;
  }
  end = p;
  if (static_cast<std::size_t>(p - start) > kMaxNumberChars || exponent_digits > kMaxExponentDigits) return false;
  // Where the first significant digit sits (RapidJSON trims leading zeros but keeps
  // one digit, so a zero counts its last digit).
  const long int_digits = int_end - int_begin;
  const long all_digits = int_digits + (frac_end - frac_begin);
  long leading_zeros = 0;
  for (long i = 0; i + 1 < all_digits; ++i) {
    const char c = i < int_digits ? int_begin[i] : frac_begin[i - int_digits];
    if (c != '0') break;
    ++leading_zeros;
  }
  if (all_digits == 0) return true;
  const char last_digit = frac_end > frac_begin ? frac_end[-1] : int_end[-1];
  if (leading_zeros + 1 == all_digits && last_digit == '0') {
    // Zero: RapidJSON's fast path takes it while its power of ten is within 10^±22;
    // beyond, its slow path normalizes a zero significand (undefined behaviour).
    const long power = exponent - (frac_end - frac_begin);
    return power >= -22 && power <= 22;
  }
  const long decimal_exponent = int_digits - leading_zeros + exponent;
  if (decimal_exponent < kMinDecimalExponent || decimal_exponent > kMaxDecimalExponent) return false;
  // RapidJSON reads up to 20 significant digits into a uint64 and rounds up on the next:
  // "18446744073709551615" (2^64 - 1) followed by a digit of 5 or more wraps to zero
  // (undefined behaviour further on). JSON.stringify writes at most 17 digits.
  static constexpr char kWrap[] = "18446744073709551615";
  if (all_digits - leading_zeros > 20) {
    auto digit = [&](long i) { return i < int_digits ? int_begin[i] : frac_begin[i - int_digits]; };
    long i = 0;
    while (i < 20 && digit(leading_zeros + i) == kWrap[i]) ++i;
    if (i == 20 && digit(leading_zeros + 20) >= '5') return false;
  }
  // In the two edge decades RapidJSON builds garbage (NaN, flipped signs; an assertion
  // in debug builds) for what rounds to infinity or to zero: refused (strtod tells).
  if (decimal_exponent == kMinDecimalExponent || decimal_exponent == kMaxDecimalExponent) {
    char text[kMaxNumberChars + 1];
    std::memcpy(text, start, static_cast<std::size_t>(p - start));
    text[p - start] = '\0';
    const double value = std::strtod(text, nullptr);
    if (std::isinf(value) || value == 0) return false;
  }
  return true;
}

// Offset of the first number token out of those bounds, or npos.
std::size_t find_unsafe_number(std::string_view text) {
  const char* const begin = text.data();
  const char* const end = begin + text.size();
  for (const char* p = begin; p < end;) {
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
          p = q + 1;
          break;
        }
        ++q;
      }
      continue;
    }
    if (c == '-' || is_digit(c)) {
      const char* token_end = p;
      if (!number_is_safe(p, end, token_end)) return static_cast<std::size_t>(p - begin);
      p = token_end > p ? token_end : p + 1;
      continue;
    }
    ++p;
  }
  return std::string_view::npos;
}

template <unsigned Flags>
bool parse_with(std::string_view text, json_document& doc, std::string& error) {
  if (auto at = find_unsafe_number(text); at != std::string_view::npos) {
    error = "number out of range (over " + std::to_string(kMaxNumberChars) + " characters, a " +
            std::to_string(kMaxExponentDigits + 1) + "+ digit exponent, or beyond a double's) at offset " +
            std::to_string(at);
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
  static void number(std::string& out, const json_value& v) { base::append_js_number(out, v.GetDouble()); }
  static void string(std::string& out, std::string_view s) {
    if (starts_with(s, "encrypted_U") || starts_with(s, "binary_U")) {
      out.push_back('"');
      out.append(s);
      out.push_back('"');
    } else {
      base::append_json_string(out, s);
    }
  }
  static json_writer::member_list members(const json_value& obj) { return sorted_members(obj, base::utf16_less); }
};

// serde_json with its default (sorted) maps, as the Rust core re-serializes.
struct serde_spelling {
  static void number(std::string& out, const json_value& v) {
    if (v.IsUint64()) {
      out.append(std::to_string(v.GetUint64()));
    } else if (v.IsInt64()) {
      out.append(std::to_string(v.GetInt64()));
    } else {
      base::append_serde_f64(out, v.GetDouble());
    }
  }
  static void string(std::string& out, std::string_view s) { base::append_json_string(out, s); }
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
