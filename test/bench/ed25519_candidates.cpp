#include "ed25519_candidates.hpp"

#include <cryptopp/donna.h>
#include <openssl/evp.h>
#include <sodium.h>

#include <algorithm>
#include <cstdint>
#include <memory>

namespace moai::test {
namespace {

using protocol::key32;
using protocol::signature64;

const unsigned char* bytes_of(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// The 7 y-encodings (sign bit aside) of the 8 small-order points, as libsodium 1.0.18's
// ge25519_has_small_order lists them: y = 0, 1, the two of order 8, p-1, p, p+1.
constexpr std::uint8_t kSmallOrderY[7][32] = {
    {0},
    {1},
    {0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
     0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05},
    {0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
     0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a},
    {0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
    {0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
    {0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
};

bool small_order_encoding(const std::uint8_t* point) {
  return std::any_of(std::begin(kSmallOrderY), std::end(kSmallOrderY), [&](const std::uint8_t* y) {
    return std::equal(y, y + 31, point) && (point[31] & 0x7f) == y[31];
  });
}

bool y_at_least_p(const std::uint8_t* point) {  // p = 2^255 - 19
  if ((point[31] & 0x7f) != 0x7f) return false;
  return std::all_of(point + 1, point + 31, [](std::uint8_t b) { return b == 0xff; }) && point[0] >= 0xed;
}

}  // namespace

bool ed25519_verify_openssl(const key32& public_key, std::string_view message, const signature64& signature) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, public_key.data(), public_key.size()), EVP_PKEY_free);
  if (!key) return false;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), bytes_of(message), message.size()) == 1;
}

bool ed25519_verify_libsodium(const key32& public_key, std::string_view message, const signature64& signature) {
  protocol::crypto_init();
  return crypto_sign_verify_detached(signature.data(), bytes_of(message), message.size(), public_key.data()) == 0;
}

bool ed25519_verify_libsodium_openssl(const key32& public_key, std::string_view message,
                                      const signature64& signature) {
  // libsodium refuses these before its equation, which is otherwise the same as cojson's.
  if (small_order_encoding(signature.data()) || small_order_encoding(public_key.data()) ||
      y_at_least_p(public_key.data())) {
    return ed25519_verify_openssl(public_key, message, signature);
  }
  return ed25519_verify_libsodium(public_key, message, signature);
}

bool ed25519_verify_donna_unchecked_s(const key32& public_key, std::string_view message,
                                      const signature64& signature) {
  return CryptoPP::Donna::ed25519_sign_open(bytes_of(message), message.size(), public_key.data(), signature.data()) ==
         0;
}

const std::vector<ed25519_candidate>& ed25519_candidates() {
  static const std::vector<ed25519_candidate> all = {
      {"moai (S < L + Crypto++ donna)", protocol::ed25519_verify, ed25519_strictness::exact},
      {"OpenSSL 3 EVP one-shot", ed25519_verify_openssl, ed25519_strictness::exact},
      {"libsodium + OpenSSL for small-order/non-canonical", ed25519_verify_libsodium_openssl,
       ed25519_strictness::exact},
      {"libsodium alone", ed25519_verify_libsodium, ed25519_strictness::stricter},
      {"Crypto++ donna without S < L", ed25519_verify_donna_unchecked_s, ed25519_strictness::looser},
  };
  return all;
}

}  // namespace moai::test
