// BLAKE3 over the official C implementation (built from Debian's librust-blake3-dev sources).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include <blake3.h>

namespace moai::protocol {

using blake3_digest = std::array<std::uint8_t, 32>;

blake3_digest blake3(std::string_view data);

// Incremental hasher. Copyable: a session's chain state is copied to verify a batch
// before committing it.
class blake3_hasher_state {
 public:
  blake3_hasher_state();
  void update(std::string_view data);
  // Does not consume the state; more data may follow.
  blake3_digest digest() const;

 private:
  ::blake3_hasher hasher_;
};

// "hash_z" + base58(32-byte digest): cojson's secureHash / session hash spelling.
std::string hash_id(const blake3_digest& digest);
// "co_z" + base58(first 19 bytes): a CoValue ID.
std::string covalue_id_from_digest(const blake3_digest& digest);
// "shortHash_z" + base58(first 19 bytes).
std::string short_hash_id(const blake3_digest& digest);

}  // namespace moai::protocol
