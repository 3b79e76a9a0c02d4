// Checking that text is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF), for inputs whose parsers assume it.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace moai::base {

// The byte offset of the first ill-formed sequence; nullopt when the text is UTF-8.
std::optional<std::size_t> first_invalid_utf8(std::string_view text);

}  // namespace moai::base
