#include "protocol/crypto/crypto.hpp"

#include <memory>
#include <mutex>
#include <stdexcept>

#include <cryptopp/donna.h>
#include <openssl/evp.h>
#include <sodium.h>

namespace moai::protocol {
namespace {

struct pkey_deleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct md_ctx_deleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_deleter>;
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, md_ctx_deleter>;

// S < L, the order of the base point: the one check of ed25519-dalek 2 (cojson's verifier)
// that donna makes only on S's top three bits; without it S + L would pass as a second
// signature of the same message.
bool scalar_below_group_order(const std::uint8_t* s) {
  static constexpr std::uint8_t L[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                                         0xa2, 0xde, 0xf9, 0xde, 0x14, 0,    0,    0,    0,    0,    0,
                                         0,    0,    0,    0,    0,    0,    0,    0,    0,    0x10};
  for (int i = 31; i >= 0; --i) {  // little-endian: compare from the top byte down
    if (s[i] != L[i]) return s[i] < L[i];
  }
  return false;
}

pkey_ptr private_key(const key32& seed) {
  pkey_ptr k(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
  if (!k) throw std::runtime_error("ed25519: bad private key");
  return k;
}

}  // namespace

void crypto_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  });
}

key32 ed25519_public_key(const key32& seed) {
  auto k = private_key(seed);
  key32 out{};
  std::size_t len = out.size();
  EVP_PKEY_get_raw_public_key(k.get(), out.data(), &len);
  return out;
}

signature64 ed25519_sign(const key32& seed, std::string_view message) {
  auto k = private_key(seed);
  md_ctx_ptr ctx(EVP_MD_CTX_new());
  signature64 sig{};
  std::size_t len = sig.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, k.get()) != 1 ||
      EVP_DigestSign(ctx.get(), sig.data(), &len, reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1) {
    throw std::runtime_error("ed25519: signing failed");
  }
  return sig;
}

// Crypto++'s donna decodes the key as dalek does (y taken mod p, small-order points
// allowed), hashes R ‖ A ‖ M as given and compares R byte for byte with the canonical
// [S]B - [k]A, without the cofactor: with S < L, exactly cojson's verdicts
// (unit.ed25519_edge), in about half of OpenSSL's time. It keeps no state.
bool ed25519_verify(const key32& public_key, std::string_view message, const signature64& signature) {
  return scalar_below_group_order(signature.data() + 32) &&
         CryptoPP::Donna::ed25519_sign_open(reinterpret_cast<const CryptoPP::byte*>(message.data()), message.size(),
                                            public_key.data(), signature.data()) == 0;
}

key32 x25519_public_key(const key32& secret) {
  crypto_init();
  key32 out{};
  crypto_scalarmult_base(out.data(), secret.data());
  return out;
}

std::optional<key32> x25519_shared(const key32& secret, const key32& public_key) {
  crypto_init();
  key32 out{};
  if (crypto_scalarmult(out.data(), secret.data(), public_key.data()) != 0) return std::nullopt;
  return out;
}

bytes xsalsa20_xor(const key32& key, const nonce24& nonce, std::string_view data) {
  crypto_init();
  bytes out(data.size());
  crypto_stream_xsalsa20_xor(out.data(), reinterpret_cast<const unsigned char*>(data.data()), data.size(),
                             nonce.data(), key.data());
  return out;
}

bytes secretbox_seal(const key32& key, const nonce24& nonce, std::string_view plaintext) {
  crypto_init();
  bytes out(plaintext.size() + crypto_secretbox_MACBYTES);
  crypto_secretbox_easy(out.data(), reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
                        nonce.data(), key.data());
  return out;
}

std::optional<bytes> secretbox_open(const key32& key, const nonce24& nonce, const bytes& box) {
  crypto_init();
  if (box.size() < crypto_secretbox_MACBYTES) return std::nullopt;
  bytes out(box.size() - crypto_secretbox_MACBYTES);
  if (crypto_secretbox_open_easy(out.data(), box.data(), box.size(), nonce.data(), key.data()) != 0) {
    return std::nullopt;
  }
  return out;
}

void random_bytes(std::uint8_t* out, std::size_t size) {
  crypto_init();
  randombytes_buf(out, size);
}

}  // namespace moai::protocol
