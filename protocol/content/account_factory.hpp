// Creating the server's own account as the JavaScript moai (MaiaOS) does:
// LocalNode.withNewlyCreatedAccount with MaiaOS's schema migration (a profile with a
// $schema) and its minimal agent bootstrap (an empty `sparks` registry the agent API
// fills with /on-added).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocol/crypto/crypto.hpp"
#include "protocol/crypto/identity.hpp"
#include "protocol/sync/covalue_state.hpp"

namespace moai::protocol {

struct account_options {
  std::string name;           // profile name
  std::uint64_t made_at = 0;  // Date.now() for every transaction and createdAt
  // The agent's 32-byte secret seed (sealer = BLAKE3("seal"‖seed), signer =
  // BLAKE3("sign"‖seed)); random when absent (and `secret` is not given).
  std::optional<key32> seed;
  // The "z…" session suffix; random when empty.
  std::string session_suffix;
  // The agent's secret itself (PEER_SECRET), instead of a seed.
  std::optional<agent_secret> secret;
};

struct created_account {
  agent_identity identity;
  std::string account_id;    // PEER_ID
  std::string agent_secret;  // PEER_SECRET: "sealerSecret_z…/signerSecret_z…"
  std::string session_id;    // "<accountID>_session_z…" (the account CoValue itself is
                             // written from "<agentID>_session_z…")
  std::string profile_group_id, profile_id, guardian_id, sparks_group_id, sparks_id;
  // account, profile group, profile, guardian, sparks group, sparks: dependencies first.
  std::vector<covalue_state> covalues;

  // Content messages for all of it, in that order (each CoValue whole, header included).
  std::vector<std::string> content_messages() const;
  const covalue_state* find(const std::string& id) const;
};

// The account CoValue (header {type:comap, ruleset:{group, initialAdmin:<agent>},
// meta:{type:account}, createdAt:null, uniqueness:null}, so its ID follows from the
// secret) with, in the agent session: tx0 `<agent>`="admin", tx1 `<key>_for_<agent>`
// sealed to itself, tx2 `readKey`, tx3 `profile`, tx4 `sparks` (both private, as
// MaiaOS sets them). A profile group (`everyone`: reader) owns the profile CoMap
// {name}, meta {"$schema":"ProfileSchema"}. A guardian group the account administers;
// a sparks group that extends it as admin, owns the sparks CoMap (meta
// {"$schema":"@metaSchema"}, one private transaction without changes, as createMap({}))
// and that the account then leaves (key rotation, then "revoked"), so the guardian
// holds the sparks. nullopt only on internal failure.
std::optional<created_account> create_account(const account_options& options);

}  // namespace moai::protocol
