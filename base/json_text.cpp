#include "base/json_text.hpp"

#include <cstdint>

namespace moai::base {

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t run = 0;  // start of the pending unescaped run
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default:
        out.append("\\u00");
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 15]);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

bool has_surrogate_code_point(std::string_view s) {
  // U+D800–U+DFFF encode as ED A0..BF xx.
  for (std::size_t i = 0; i + 1 < s.size(); ++i) {
    if (static_cast<unsigned char>(s[i]) == 0xED && static_cast<unsigned char>(s[i + 1]) >= 0xA0) {
      return true;
    }
  }
  return false;
}

std::size_t utf16_length(std::string_view s) {
  std::size_t n = 0;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if ((c & 0xC0) != 0x80) ++n;  // a code point starts here
    if (c >= 0xF0) ++n;           // four-byte sequences are surrogate pairs in UTF-16
  }
  return n;
}

namespace {

// Yields the UTF-16 code units of UTF-8 text one at a time. Invalid bytes are
// yielded as themselves, which keeps the order total without failing.
class utf16_units {
 public:
  explicit utf16_units(std::string_view s) : s_(s) {}

  bool next(std::uint32_t& unit) {
    if (pending_) {
      unit = pending_;
      pending_ = 0;
      return true;
    }
    if (i_ >= s_.size()) return false;
    auto c = static_cast<unsigned char>(s_[i_++]);
    int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
    std::uint32_t cp = extra == 3 ? (c & 0x07u) : extra == 2 ? (c & 0x0Fu) : extra == 1 ? (c & 0x1Fu) : c;
    for (; extra > 0 && i_ < s_.size(); --extra) cp = (cp << 6) | (static_cast<unsigned char>(s_[i_++]) & 0x3Fu);
    if (cp >= 0x10000) {
      cp -= 0x10000;
      pending_ = 0xDC00 + (cp & 0x3FF);
      cp = 0xD800 + (cp >> 10);
    }
    unit = cp;
    return true;
  }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
  std::uint32_t pending_ = 0;
};

}  // namespace

bool utf16_less(std::string_view a, std::string_view b) {
  utf16_units ua(a), ub(b);
  for (;;) {
    std::uint32_t x = 0, y = 0;
    bool has_a = ua.next(x), has_b = ub.next(y);
    if (!has_a || !has_b) return !has_a && has_b;
    if (x != y) return x < y;
  }
}

}  // namespace moai::base
