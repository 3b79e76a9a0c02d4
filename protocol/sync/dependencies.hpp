// Which CoValues a CoValue depends on (guide §2.7): they are sent before it, and
// content for it waits until they are available.
#pragma once

#include <set>
#include <string>
#include <string_view>

#include "protocol/covalue/header.hpp"
#include "protocol/covalue/transaction.hpp"
#include "protocol/sync/messages.hpp"

namespace moai::protocol {

using covalue_id_set = std::set<std::string>;

// The owning group and the branch source.
void add_header_dependencies(const covalue_header& header, covalue_id_set& out);
// The account that owns an account session ("co_…_session_…"); agent sessions add nothing.
void add_session_dependency(std::string_view session_id, covalue_id_set& out);
// For groups and accounts only: accounts and parent groups named by `set` keys of a
// trusting transaction ("co_…" members, "parent_co_…").
void add_group_transaction_dependencies(const transaction& tx, covalue_id_set& out);

// What content for CoValue `id` needs before it can be verified: the dependencies of its
// header (the one we hold, else the one it brings), the accounts that own its sessions
// and, for groups and accounts, the members and parents it names. `id` itself excluded.
covalue_id_set content_dependencies(const std::string& id, const covalue_header* held_header,
                                    const content_message& message);

}  // namespace moai::protocol
