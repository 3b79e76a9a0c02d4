// Base64url (RFC 4648 §5, '-' and '_'), as used by encrypted_U…, sealed_U… and binary_U… values.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "protocol/encoding/bytes.hpp"

namespace moai::protocol {

// With '=' padding, as cojson writes it.
std::string base64url_encode(const std::uint8_t* data, std::size_t size);
inline std::string base64url_encode(const bytes& b) { return base64url_encode(b.data(), b.size()); }

// Accepts padded and unpadded input; nullopt on any other character or a bad length.
std::optional<bytes> base64url_decode(std::string_view text);

}  // namespace moai::protocol
