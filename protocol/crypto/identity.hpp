// Who reads and writes: an account (or a bare agent) and the agent secret that acts
// for it. cojson's LocalNode holds the same pair (currentSessionID's owner + agentSecret).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "protocol/crypto/keys.hpp"

namespace moai::protocol {

struct agent_identity {
  std::string account_id;  // "co_z…"; empty for a bare agent
  agent_secret secret;

  std::string agent_id() const { return secret.agent_id(); }
  // The member key groups know this identity by: the account, or the agent itself.
  std::string member_id() const { return account_id.empty() ? agent_id() : account_id; }
};

// From the PEER_ID / PEER_SECRET texts; nullopt when either is malformed.
inline std::optional<agent_identity> parse_identity(std::string_view account_id, std::string_view secret_text) {
  auto secret = parse_agent_secret(secret_text);
  if (!secret || (!account_id.empty() && account_id.substr(0, 4) != "co_z")) return std::nullopt;
  return agent_identity{std::string(account_id), *secret};
}

}  // namespace moai::protocol
