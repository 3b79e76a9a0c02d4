#include "protocol/crypto/keys.hpp"

#include <algorithm>

#include "base/json_text.hpp"
#include "protocol/encoding/base58.hpp"
#include "protocol/encoding/base64url.hpp"
#include "protocol/encoding/blake3_hash.hpp"
#include "protocol/encoding/ids.hpp"

namespace moai::protocol {
namespace {

template <std::size_t N>
std::optional<std::array<std::uint8_t, N>> decode_fixed(std::string_view text, std::string_view prefix) {
  auto b = decode_prefixed(text, prefix, N);
  if (!b) return std::nullopt;
  std::array<std::uint8_t, N> out{};
  std::copy(b->begin(), b->end(), out.begin());
  return out;
}

template <std::size_t N>
std::string encode_fixed(const std::array<std::uint8_t, N>& data, std::string_view prefix) {
  return std::string(prefix) + base58_encode(data.data(), data.size());
}

key32 blake3_with_context(std::string_view context, const key32& data) {
  std::string input(context);
  input.append(as_chars(data.data(), data.size()));
  return blake3(input);
}

}  // namespace

std::optional<key32> decode_signer_id(std::string_view s) { return decode_fixed<32>(s, "signer_z"); }
std::string encode_signer_id(const key32& k) { return encode_fixed(k, "signer_z"); }
std::optional<signature64> decode_signature(std::string_view s) { return decode_fixed<64>(s, "signature_z"); }
std::string encode_signature(const signature64& s) { return encode_fixed(s, "signature_z"); }
std::optional<key32> decode_key_secret(std::string_view s) { return decode_fixed<32>(s, "keySecret_z"); }
std::string encode_key_secret(const key32& k) { return encode_fixed(k, "keySecret_z"); }
std::optional<key32> decode_sealer_id(std::string_view s) { return decode_fixed<32>(s, "sealer_z"); }
std::string encode_sealer_id(const key32& k) { return encode_fixed(k, "sealer_z"); }

std::string agent_secret::text() const {
  return encode_fixed(sealer_secret, "sealerSecret_z") + "/" + encode_fixed(signer_seed, "signerSecret_z");
}
std::string agent_secret::signer_id() const { return encode_signer_id(ed25519_public_key(signer_seed)); }
std::string agent_secret::sealer_id() const { return encode_sealer_id(x25519_public_key(sealer_secret)); }
std::string agent_secret::agent_id() const { return sealer_id() + "/" + signer_id(); }

std::optional<agent_secret> parse_agent_secret(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto sealer = decode_fixed<32>(text.substr(0, slash), "sealerSecret_z");
  auto signer = decode_fixed<32>(text.substr(slash + 1), "signerSecret_z");
  if (!sealer || !signer) return std::nullopt;
  return agent_secret{*sealer, *signer};
}

agent_secret agent_secret_from_seed(const key32& seed) {
  return agent_secret{blake3_with_context("seal", seed), blake3_with_context("sign", seed)};
}

std::string sign_hash(const key32& signer_seed, std::string_view hash_id) {
  std::string message;
  base::append_json_string(message, hash_id);
  return encode_signature(ed25519_sign(signer_seed, message));
}

bool verify_hash_signature(const key32& signer_public_key, std::string_view hash_id, const signature64& signature) {
  std::string message;
  base::append_json_string(message, hash_id);
  return ed25519_verify(signer_public_key, message, signature);
}

nonce24 nonce_from_material(std::string_view material_json) {
  auto digest = blake3(material_json);
  nonce24 nonce{};
  std::copy_n(digest.begin(), nonce.size(), nonce.begin());
  return nonce;
}

std::string transaction_nonce_material(std::string_view covalue_id, std::string_view session_id,
                                       std::uint32_t tx_index) {
  std::string m = "{\"in\":";
  base::append_json_string(m, covalue_id);
  m.append(",\"tx\":{\"sessionID\":");
  base::append_json_string(m, session_id);
  m.append(",\"txIndex\":");
  m.append(std::to_string(tx_index));
  m.append("}}");
  return m;
}

std::string encrypt_text(const key32& key_secret, std::string_view plaintext, std::string_view nonce_material) {
  auto cipher = xsalsa20_xor(key_secret, nonce_from_material(nonce_material), plaintext);
  return "encrypted_U" + base64url_encode(cipher);
}

std::optional<std::string> decrypt_text(const key32& key_secret, std::string_view encrypted,
                                        std::string_view nonce_material) {
  if (!starts_with(encrypted, "encrypted_U")) return std::nullopt;
  auto cipher = base64url_decode(encrypted.substr(11));
  if (!cipher) return std::nullopt;
  auto plain = xsalsa20_xor(key_secret, nonce_from_material(nonce_material),
                            as_chars(cipher->data(), cipher->size()));
  return std::string(as_chars(plain.data(), plain.size()));
}

std::string seal_text(const key32& from_sealer_secret, const key32& to_sealer_public, std::string_view plaintext,
                      std::string_view nonce_material) {
  auto shared = x25519_shared(from_sealer_secret, to_sealer_public);
  if (!shared) return {};
  auto box = secretbox_seal(*shared, nonce_from_material(nonce_material), plaintext);
  return "sealed_U" + base64url_encode(box);
}

std::optional<std::string> unseal_text(const key32& to_sealer_secret, const key32& from_sealer_public,
                                       std::string_view sealed, std::string_view nonce_material) {
  if (!starts_with(sealed, "sealed_U")) return std::nullopt;
  auto box = base64url_decode(sealed.substr(8));
  auto shared = x25519_shared(to_sealer_secret, from_sealer_public);
  if (!box || !shared) return std::nullopt;
  auto plain = secretbox_open(*shared, nonce_from_material(nonce_material), *box);
  if (!plain) return std::nullopt;
  return std::string(as_chars(plain->data(), plain->size()));
}

key32 group_sealer_secret(std::string_view read_key_secret_text) {
  std::string input = "groupSealer";
  input.append(read_key_secret_text);
  return blake3(input);
}

read_key new_random_read_key() {
  read_key key;
  random_bytes(key.secret.data(), key.secret.size());
  std::array<std::uint8_t, 12> id{};
  random_bytes(id.data(), id.size());
  key.id = encode_fixed(id, "key_z");
  return key;
}

bool is_key_id(std::string_view text) { return decode_prefixed(text, "key_z", 12).has_value(); }

std::string key_for_key_nonce_material(std::string_view encrypted_id, std::string_view encrypting_id) {
  // stableStringify sorts the members: "encryptedID" < "encryptingID".
  std::string m = "{\"encryptedID\":";
  base::append_json_string(m, encrypted_id);
  m.append(",\"encryptingID\":");
  base::append_json_string(m, encrypting_id);
  m.push_back('}');
  return m;
}

std::string key_secret_json(const key32& secret) {
  std::string out;
  base::append_json_string(out, encode_key_secret(secret));
  return out;
}

std::optional<key32> parse_key_secret_json(std::string_view json_text) {
  // The plaintext is a JSON string literal without escapes (base58 needs none).
  if (json_text.size() < 2 || json_text.front() != '"' || json_text.back() != '"') return std::nullopt;
  return decode_key_secret(json_text.substr(1, json_text.size() - 2));
}

std::string encrypt_key_secret(const read_key& to_encrypt, const read_key& encrypting) {
  return encrypt_text(encrypting.secret, key_secret_json(to_encrypt.secret),
                      key_for_key_nonce_material(to_encrypt.id, encrypting.id));
}

std::optional<key32> decrypt_key_secret(std::string_view encrypted, std::string_view encrypted_id,
                                        std::string_view encrypting_id, const key32& encrypting_secret) {
  auto plain = decrypt_text(encrypting_secret, encrypted, key_for_key_nonce_material(encrypted_id, encrypting_id));
  if (!plain) return std::nullopt;
  return parse_key_secret_json(*plain);
}

std::string seal_for_group_text(const key32& to_sealer_public, std::string_view plaintext,
                                std::string_view nonce_material) {
  key32 ephemeral{};
  random_bytes(ephemeral.data(), ephemeral.size());
  auto shared = x25519_shared(ephemeral, to_sealer_public);
  if (!shared) return {};
  const key32 ephemeral_public = x25519_public_key(ephemeral);
  bytes out(ephemeral_public.begin(), ephemeral_public.end());
  auto box = secretbox_seal(*shared, nonce_from_material(nonce_material), plaintext);
  out.insert(out.end(), box.begin(), box.end());
  return "sealedForGroup_U" + base64url_encode(out);
}

std::optional<std::string> unseal_for_group_text(const key32& to_sealer_secret, std::string_view sealed,
                                                 std::string_view nonce_material) {
  constexpr std::string_view prefix = "sealedForGroup_U";
  if (!starts_with(sealed, prefix)) return std::nullopt;
  auto data = base64url_decode(sealed.substr(prefix.size()));
  if (!data || data->size() < 32) return std::nullopt;
  key32 ephemeral_public{};
  std::copy_n(data->begin(), ephemeral_public.size(), ephemeral_public.begin());
  auto shared = x25519_shared(to_sealer_secret, ephemeral_public);
  if (!shared) return std::nullopt;
  bytes box(data->begin() + 32, data->end());
  auto plain = secretbox_open(*shared, nonce_from_material(nonce_material), box);
  if (!plain) return std::nullopt;
  return std::string(as_chars(plain->data(), plain->size()));
}

}  // namespace moai::protocol
