// cojson's key material and the operations built from the primitives: agent
// secrets, signer/sealer IDs, hash signatures, transaction encryption, sealing.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "protocol/crypto/crypto.hpp"

namespace moai::protocol {

// "signer_z…" ↔ Ed25519 public key; "signature_z…" ↔ 64 bytes; "keySecret_z…" ↔ 32 bytes.
std::optional<key32> decode_signer_id(std::string_view signer_id);
std::string encode_signer_id(const key32& public_key);
std::optional<signature64> decode_signature(std::string_view signature);
std::string encode_signature(const signature64& signature);
std::optional<key32> decode_key_secret(std::string_view key_secret);
std::string encode_key_secret(const key32& secret);
std::optional<key32> decode_sealer_id(std::string_view sealer_id);
std::string encode_sealer_id(const key32& public_key);

// An agent's secrets: "sealerSecret_z…/signerSecret_z…".
struct agent_secret {
  key32 sealer_secret{};  // X25519 scalar
  key32 signer_seed{};    // Ed25519 seed

  std::string text() const;
  // "sealer_z…/signer_z…"
  std::string agent_id() const;
  std::string signer_id() const;
  std::string sealer_id() const;
};
std::optional<agent_secret> parse_agent_secret(std::string_view text);
// sealer = BLAKE3("seal" ‖ seed), signer = BLAKE3("sign" ‖ seed).
agent_secret agent_secret_from_seed(const key32& seed);

// The signature of a session hash: Ed25519 over the JSON string literal "\"hash_z…\"".
std::string sign_hash(const key32& signer_seed, std::string_view hash_id);
bool verify_hash_signature(const key32& signer_public_key, std::string_view hash_id, const signature64& signature);

// BLAKE3(utf8(material))[0..24], where material is already stable-stringified.
nonce24 nonce_from_material(std::string_view material_json);
// '{"in":"<coID>","tx":{"sessionID":"<sessionID>","txIndex":<n>}}'
std::string transaction_nonce_material(std::string_view covalue_id, std::string_view session_id,
                                       std::uint32_t tx_index);

// "encrypted_U" + base64url(XSalsa20(key, nonce, plaintext)); plaintext is JSON text.
std::string encrypt_text(const key32& key_secret, std::string_view plaintext, std::string_view nonce_material);
std::optional<std::string> decrypt_text(const key32& key_secret, std::string_view encrypted,
                                        std::string_view nonce_material);

// "sealed_U" + base64url(secretbox(X25519(from, to), nonce, plaintext)).
std::string seal_text(const key32& from_sealer_secret, const key32& to_sealer_public, std::string_view plaintext,
                      std::string_view nonce_material);
std::optional<std::string> unseal_text(const key32& to_sealer_secret, const key32& from_sealer_public,
                                       std::string_view sealed, std::string_view nonce_material);

// The group sealer secret derived from a read key secret: BLAKE3("groupSealer" ‖ "keySecret_z…").
key32 group_sealer_secret(std::string_view read_key_secret_text);

// A symmetric read key: "key_z<b58 12 B>" and its "keySecret_z<b58 32 B>".
struct read_key {
  std::string id;
  key32 secret{};

  std::string secret_text() const { return encode_key_secret(secret); }
};
// cojson's newRandomKeySecret (32 secret bytes drawn first, then 12 ID bytes).
read_key new_random_read_key();
// "key_z…" with a 12-byte payload.
bool is_key_id(std::string_view text);

// '{"encryptedID":"<id>","encryptingID":"<id>"}': the nonce material of a key revelation
// "<encryptedID>_for_<encryptingID>" (rotations and parent groups).
std::string key_for_key_nonce_material(std::string_view encrypted_id, std::string_view encrypting_id);
// cojson's encryptKeySecret: encrypt_text of the JSON string of `to_encrypt`'s secret.
std::string encrypt_key_secret(const read_key& to_encrypt, const read_key& encrypting);
// cojson's decryptKeySecret; nullopt unless the plaintext is the JSON string of a key secret.
std::optional<key32> decrypt_key_secret(std::string_view encrypted, std::string_view encrypted_id,
                                        std::string_view encrypting_id, const key32& encrypting_secret);

// Reads a decrypted or unsealed key revelation: the JSON text "\"keySecret_z…\"".
std::optional<key32> parse_key_secret_json(std::string_view json_text);
// The JSON string literal of a key secret, as cojson seals and encrypts it.
std::string key_secret_json(const key32& secret);

// Anonymous box to a group sealer (cojson sealForGroup): "sealedForGroup_U" +
// base64url(ephemeral X25519 public key ‖ secretbox(X25519(ephemeral, to), nonce, plaintext)).
std::string seal_for_group_text(const key32& to_sealer_public, std::string_view plaintext,
                                std::string_view nonce_material);
std::optional<std::string> unseal_for_group_text(const key32& to_sealer_secret, std::string_view sealed,
                                                 std::string_view nonce_material);

}  // namespace moai::protocol
