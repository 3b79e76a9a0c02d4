// Ed25519 verifiers moai could use instead of its own (protocol/crypto), kept for
// comparison: moai_protocol_bench --ed25519 times them, and unit.ed25519_edge shows that
// the vectors tell a stricter or a looser one from cojson's verifier.
#pragma once

#include <string_view>
#include <vector>

#include "protocol/crypto/crypto.hpp"

namespace moai::test {

using ed25519_verifier = bool (*)(const protocol::key32& public_key, std::string_view message,
                                  const protocol::signature64& signature);

// Against cojson 0.20's verifier (ed25519-dalek 2's non-strict verify): exact, refuses
// some of what it accepts, or accepts some of what it refuses.
enum class ed25519_strictness { exact, stricter, looser };

struct ed25519_candidate {
  const char* name;
  ed25519_verifier verify;
  ed25519_strictness strictness;
};

// OpenSSL 3 EVP one-shot (what moai used before): exact.
bool ed25519_verify_openssl(const protocol::key32&, std::string_view, const protocol::signature64&);
// libsodium's crypto_sign_verify_detached: stricter (refuses small-order R and keys,
// non-canonical keys).
bool ed25519_verify_libsodium(const protocol::key32&, std::string_view, const protocol::signature64&);
// libsodium where its refusals match cojson's, OpenSSL for small-order R or keys and
// non-canonical keys: exact.
bool ed25519_verify_libsodium_openssl(const protocol::key32&, std::string_view, const protocol::signature64&);
// Crypto++'s donna without the S < L check: looser (takes S+L, a second signature).
bool ed25519_verify_donna_unchecked_s(const protocol::key32&, std::string_view, const protocol::signature64&);

// moai's own verifier first, then the ones above.
const std::vector<ed25519_candidate>& ed25519_candidates();

}  // namespace moai::test
