// The grammar of cojson identifiers (guide §3.3).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "protocol/encoding/bytes.hpp"

namespace moai::protocol {

// "co_z…": what cojson's isRawCoID accepts.
bool is_covalue_id(std::string_view id);
// An account ID is a CoValue ID; cojson only checks the "co_" prefix.
bool is_account_id(std::string_view id);
// "sealer_z…/signer_z…".
bool is_agent_id(std::string_view id);

// The `signer_z…` half of an agent ID (empty if `agent_id` is not one).
std::string_view agent_signer_id(std::string_view agent_id);
// The `sealer_z…` half of an agent ID (empty if `agent_id` is not one).
std::string_view agent_sealer_id(std::string_view agent_id);

// A session ID split into its owner (account or agent) and kind.
struct session_id_parts {
  std::string_view owner;  // everything before the first "_session"
  bool is_delete = false;  // "…_session_d…$": a delete session
};
// nullopt when there is no "_session" or the owner is neither an account nor an agent.
std::optional<session_id_parts> parse_session_id(std::string_view session_id);
// cojson's isDeleteSessionID: the last character is '$'.
inline bool is_delete_session_id(std::string_view session_id) {
  return !session_id.empty() && session_id.back() == '$';
}

// Decodes "<prefix><base58>" into exactly `size` bytes; nullopt on a wrong prefix,
// bad base58 or wrong length.
std::optional<bytes> decode_prefixed(std::string_view text, std::string_view prefix, std::size_t size);

}  // namespace moai::protocol
