// Byte buffers and small helpers shared by the protocol code.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace moai::protocol {

using bytes = std::vector<std::uint8_t>;

inline std::string_view as_chars(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

inline bool starts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

inline bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string to_hex(const std::uint8_t* data, std::size_t size);
inline std::string to_hex(const bytes& b) { return to_hex(b.data(), b.size()); }
// Returns false on odd length or a non-hex digit.
bool from_hex(std::string_view hex, bytes& out);

}  // namespace moai::protocol
