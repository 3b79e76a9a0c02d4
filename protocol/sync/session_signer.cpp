#include "protocol/sync/session_signer.hpp"

#include "protocol/crypto/keys.hpp"
#include "protocol/encoding/ids.hpp"

namespace moai::protocol {
namespace {

// The agent that signs `session_id`, or empty with `why` set.
std::string signing_agent(std::string_view session_id, const account_lookup& accounts, std::string& why) {
  auto parts = parse_session_id(session_id);
  if (!parts) {
    why = "invalid session ID";
    return {};
  }
  if (is_agent_id(parts->owner)) return std::string(parts->owner);
  std::string account(parts->owner);
  auto facts = accounts ? accounts(account) : std::nullopt;
  if (!facts) {
    why = "account " + account + " is not available";
    return {};
  }
  if (!facts->is_account) {
    why = account + " is not an account";
    return {};
  }
  if (!is_agent_id(facts->initial_admin)) {
    why = "account's initialAdmin is not an agent";
    return {};
  }
  return facts->initial_admin;
}

std::optional<key32> decode_agent_signer(std::string_view agent, std::string& why) {
  auto key = decode_signer_id(agent_signer_id(agent));
  if (!key) why = "undecodable signer ID";
  return key;
}

}  // namespace

std::optional<key32> session_signer(std::string_view session_id, const account_lookup& accounts, std::string& why) {
  std::string agent = signing_agent(session_id, accounts, why);
  if (agent.empty()) return std::nullopt;
  return decode_agent_signer(agent, why);
}

std::optional<key32> session_signers::find(std::string_view session_id, const account_lookup& accounts,
                                           std::string& why) {
  std::string agent = signing_agent(session_id, accounts, why);
  if (agent.empty()) return std::nullopt;
  if (auto it = keys_.find(agent); it != keys_.end()) return it->second;
  auto key = decode_agent_signer(agent, why);
  if (key) keys_.emplace(std::move(agent), *key);
  return key;
}

}  // namespace moai::protocol
