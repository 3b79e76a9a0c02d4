#include "vectors.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace moai::test {

namespace {

// "\uXXXX" at i (i points at the backslash) with XXXX in [lo, hi]?
bool escape_in(const std::string& t, std::size_t i, unsigned lo, unsigned hi) {
  if (i + 6 > t.size() || t[i] != '\\' || t[i + 1] != 'u') return false;
  unsigned v = 0;
  for (std::size_t k = i + 2; k < i + 6; ++k) {
    char c = t[k];
    v = v * 16 + static_cast<unsigned>(c >= 'a' ? c - 'a' + 10 : c >= 'A' ? c - 'A' + 10 : c - '0');
  }
  return v >= lo && v <= hi;
}

}  // namespace

std::string replace_lone_surrogate_escapes(std::string t) {
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] != '\\') continue;
    if (escape_in(t, i, 0xD800, 0xDBFF)) {
      if (!escape_in(t, i + 6, 0xDC00, 0xDFFF)) t.replace(i, 6, "\\ufffd");
      i += 5;
    } else if (escape_in(t, i, 0xDC00, 0xDFFF)) {
      t.replace(i, 6, "\\ufffd");
      i += 5;
    } else {
      ++i;  // skip the escaped character (which may itself be a backslash)
    }
  }
  return t;
}

std::string to_wire(const protocol::json_value& v) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  v.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace moai::test
