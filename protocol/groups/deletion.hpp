// Delete sessions (guide §2.9; cojson coValueCore.ts #isDeleteTransaction): a session
// "<author>_session_d…$" holds exactly one transaction, and when that one is a trusting
// transaction whose meta is {"deleted": <this CoValue's ID>}, the CoValue is deleted —
// if it is owned by a group and its author was admin of that group when it was made.
#pragma once

#include <cstdint>
#include <string>

#include "protocol/groups/group.hpp"
#include "protocol/sync/content_apply.hpp"
#include "protocol/sync/covalue_state.hpp"
#include "protocol/sync/messages.hpp"

namespace moai::protocol {

// Judges the transactions `entry` brings beyond the `held` ones of its delete session in
// `value` (which has a header). `groups` holds the owning group and its ancestors, or
// is nullptr when they could not be fetched.
delete_check check_delete_session(const covalue_state& value, const session_content& entry, std::uint32_t held,
                                  group_registry* groups);

}  // namespace moai::protocol
