// Who signs a session (guide §3.5): an agent's session "<agent>_session_z…" is signed by
// that agent, an account's session "co_…_session_z…" by the account's initialAdmin
// agent, so the account's header must be at hand to verify it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "protocol/crypto/crypto.hpp"

namespace moai::protocol {

// What a session's signer needs to know of the account that owns it.
struct account_facts {
  bool is_account = false;
  std::string initial_admin;  // the agent whose signer signs the account's sessions
};
// The facts of CoValue `id`, or nullopt when its header is not at hand.
using account_lookup = std::function<std::optional<account_facts>(const std::string& id)>;

// The Ed25519 key that signs `session_id`; nullopt with `why` set when it cannot be known
// (a malformed session ID, an account not at hand or not an account, a bad agent ID).
std::optional<key32> session_signer(std::string_view session_id, const account_lookup& accounts, std::string& why);

// session_signer with the decoded keys remembered: every message of a session names the
// same signer again, and decoding it (base58) is not free.
class session_signers {
 public:
  std::optional<key32> find(std::string_view session_id, const account_lookup& accounts, std::string& why);

 private:
  std::unordered_map<std::string, key32> keys_;  // agent ID → key
};

}  // namespace moai::protocol
