// Base58 with the Bitcoin alphabet, as cojson uses for every `_z…` identifier.
// No checksum; each leading zero byte becomes a leading '1'.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "protocol/encoding/bytes.hpp"

namespace moai::protocol {

std::string base58_encode(const std::uint8_t* data, std::size_t size);
inline std::string base58_encode(const bytes& b) { return base58_encode(b.data(), b.size()); }

// nullopt when the text holds a character outside the alphabet.
std::optional<bytes> base58_decode(std::string_view text);

}  // namespace moai::protocol
