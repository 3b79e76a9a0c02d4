// `Authorization: Bearer <token>` checks for the HTTP routes that require a token.
#pragma once

#include <string>
#include <string_view>

namespace moai::gateway {

// True when `header` (the Authorization value, null when absent) carries `token`: the
// scheme is case-insensitive, surrounding spaces are ignored (RFC 6750), and the token
// is compared in constant time for equal lengths.
bool bearer_matches(const std::string* header, std::string_view token);

}  // namespace moai::gateway
