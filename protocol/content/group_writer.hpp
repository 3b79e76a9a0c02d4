// Creating groups and adding members as cojson does (localNode.ts createGroup,
// group.ts addMemberInternal): one trusting `set` per transaction, read keys sealed to
// each member's current agent.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "protocol/content/local_writer.hpp"
#include "protocol/crypto/keys.hpp"
#include "protocol/sync/covalue_state.hpp"

namespace moai::protocol {

struct created_group {
  covalue_state state;
  read_key key;  // its first read key
};

// A group administered by the writer's account (initialAdmin = the account):
// `<me>`="admin", `<key>_for_<me>` = the key sealed to our own agent, `readKey`,
// `groupSealer` = "<keyID>@<sealer derived from the key>". `meta_json`: "null" or an
// object (cojson writes {"name":…} for named groups). nullopt on a malformed meta.
std::optional<created_group> create_group(const local_writer& writer, const creation_stamp& stamp,
                                          std::string_view meta_json = "null");

// `member` (an account ID, or an agent ID) gets `role` (reader, writer, manager, admin
// or an invite role) and the current read key sealed to `member_agent_id` (for an
// account: its initialAdmin agent). false when the role cannot be given this way
// (writeOnly members need a dedicated write key, which is not supported here).
bool add_member(const local_writer& writer, covalue_state& group, const read_key& current_key, std::string_view member,
                std::string_view member_agent_id, std::string_view role, std::uint64_t made_at);

// `everyone` becomes reader or writer and the current key is revealed in plain
// (`<key>_for_everyone`). false for other roles.
bool add_everyone(const local_writer& writer, covalue_state& group, const read_key& current_key, std::string_view role,
                  std::uint64_t made_at);

// The `groupSealer` value for a read key: "<keyID>@sealer_z…".
std::string group_sealer_value(const read_key& key);

}  // namespace moai::protocol
