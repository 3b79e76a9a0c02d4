// Cryptographic primitives cojson is built on: Ed25519 (signing with OpenSSL,
// verification with Crypto++'s donna), X25519, XSalsa20 and XSalsa20-Poly1305 (libsodium).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "protocol/encoding/bytes.hpp"

namespace moai::protocol {

using key32 = std::array<std::uint8_t, 32>;
using nonce24 = std::array<std::uint8_t, 24>;
using signature64 = std::array<std::uint8_t, 64>;

// Initialises libsodium once; safe to call from any thread.
void crypto_init();

// Ed25519 (RFC 8032). The secret is the 32-byte seed cojson calls signerSecret.
key32 ed25519_public_key(const key32& seed);
signature64 ed25519_sign(const key32& seed, std::string_view message);
// Accepts exactly what cojson 0.20 accepts (ed25519-dalek 2's non-strict verify): S < L,
// any key that decodes (small-order and non-canonical ones too), R as the canonical
// encoding of [S]B - [k]A, no cofactor.
bool ed25519_verify(const key32& public_key, std::string_view message, const signature64& signature);

// X25519: the raw shared secret (no HSalsa20 step; cojson uses it directly as a key).
key32 x25519_public_key(const key32& secret);
std::optional<key32> x25519_shared(const key32& secret, const key32& public_key);

// The plain XSalsa20 stream cipher (no MAC): encryption and decryption are the same.
bytes xsalsa20_xor(const key32& key, const nonce24& nonce, std::string_view data);

// XSalsa20-Poly1305 (NaCl secretbox): 16-byte tag first, then the ciphertext.
bytes secretbox_seal(const key32& key, const nonce24& nonce, std::string_view plaintext);
std::optional<bytes> secretbox_open(const key32& key, const nonce24& nonce, const bytes& box);

void random_bytes(std::uint8_t* out, std::size_t size);

}  // namespace moai::protocol
