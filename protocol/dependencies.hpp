// Which CoValues a CoValue depends on (guide §2.7): they are sent before it, and
// content for it waits until they are available.
#pragma once

#include <set>
#include <string>
#include <string_view>

#include "protocol/header.hpp"
#include "protocol/transaction.hpp"

namespace moai::protocol {

using covalue_id_set = std::set<std::string>;

// The owning group and the branch source.
void add_header_dependencies(const covalue_header& header, covalue_id_set& out);
// The account that owns an account session ("co_…_session_…"); agent sessions add nothing.
void add_session_dependency(std::string_view session_id, covalue_id_set& out);
// For groups and accounts only: accounts and parent groups named by `set` keys of a
// trusting transaction ("co_…" members, "parent_co_…").
void add_group_transaction_dependencies(const transaction& tx, covalue_id_set& out);

}  // namespace moai::protocol
