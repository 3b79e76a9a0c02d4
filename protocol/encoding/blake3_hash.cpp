#include "protocol/encoding/blake3_hash.hpp"

#include "protocol/encoding/base58.hpp"

namespace moai::protocol {

namespace {
constexpr std::size_t kShortHashLength = 19;
}

blake3_digest blake3(std::string_view data) {
  blake3_hasher_state h;
  h.update(data);
  return h.digest();
}

blake3_hasher_state::blake3_hasher_state() { blake3_hasher_init(&hasher_); }

void blake3_hasher_state::update(std::string_view data) {
  blake3_hasher_update(&hasher_, data.data(), data.size());
}

blake3_digest blake3_hasher_state::digest() const {
  blake3_digest out{};
  blake3_hasher_finalize(&hasher_, out.data(), out.size());
  return out;
}

std::string hash_id(const blake3_digest& digest) {
  return "hash_z" + base58_encode(digest.data(), digest.size());
}

std::string covalue_id_from_digest(const blake3_digest& digest) {
  return "co_z" + base58_encode(digest.data(), kShortHashLength);
}

std::string short_hash_id(const blake3_digest& digest) {
  return "shortHash_z" + base58_encode(digest.data(), kShortHashLength);
}

}  // namespace moai::protocol
