// Creating groups and adding members as cojson does (localNode.ts createGroup,
// group.ts addMemberInternal): one trusting `set` per transaction, read keys sealed to
// each member's current agent.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

// cojson's group.extend(parent, role) by a reader of the parent: `parent_<parent>` =
// `role` (reader, writer, manager, admin, or "extend" to inherit roles as they are), and
// the child's current key encrypted under the parent's current key
// (`<childKey>_for_<parentKey>`), so the parent's members read the child.
void extend_group(const local_writer& writer, covalue_state& child, const read_key& child_key,
                  std::string_view parent_id, const read_key& parent_key, std::string_view role,
                  std::uint64_t made_at);

// A member that keeps reading after a rotation: its key in the group and its agent.
struct group_reader {
  std::string member;
  std::string agent_id;
};

// cojson's removeMember by an admin: the read key rotates (rotateReadKey: the new key
// sealed to every remaining reader, the old key encrypted under the new one, `readKey`
// and `groupSealer` set, the new key revealed to every parent group), then `<member>` =
// "revoked". Returns the new key; nullopt when a reader cannot be sealed to.
std::optional<read_key> remove_member(const local_writer& writer, covalue_state& group, const read_key& current_key,
                                      std::string_view member, const std::vector<group_reader>& remaining_readers,
                                      const std::vector<std::pair<std::string, read_key>>& parents,
                                      std::uint64_t made_at);

// The `groupSealer` value for a read key: "<keyID>@sealer_z…".
std::string group_sealer_value(const read_key& key);

}  // namespace moai::protocol
