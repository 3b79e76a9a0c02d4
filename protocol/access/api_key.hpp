// API keys for /sync (README, Access control): their text, what is stored of them, and
// where a client puts them. Pure: no I/O apart from the CSPRNG that makes a new key.
//
// A key reads `moai_<id>_<secret>`: the id (8 hex digits) names the key in `moai keys`
// and in logs; the secret (24 random bytes, base58) is what makes it valid. Only the
// SHA-256 of the whole text is stored, so a database copy holds no usable key.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace moai::protocol {

struct api_key_text {
  std::string id;    // "3f9a2c1d"
  std::string text;  // "moai_3f9a2c1d_…": shown once, never stored
};

// A new key from the system's CSPRNG (libsodium).
api_key_text generate_api_key();

// Lower-case hex SHA-256 of the key's text: what the key table stores and is searched by.
std::string api_key_hash(std::string_view text);

// The id inside a key of moai's form; empty for any other text (a Jazz Cloud style key
// such as an e-mail address is valid text, just not one moai made).
std::string api_key_id(std::string_view text);

// The `key` parameter of a request's query string (`key=…`, percent-decoded, `+` as a
// space); nullopt when absent. An empty value counts as absent.
std::optional<std::string> api_key_from_query(std::string_view query);

}  // namespace moai::protocol
