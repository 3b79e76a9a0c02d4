// How a verified session log becomes storage batches: cut at its checkpoints, so the
// signatures a later reader needs to verify each piece are stored as signatureAfter rows.
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "protocol/covalue/session_log.hpp"
#include "protocol/sync/content_apply.hpp"
#include "protocol/sync/covalue_state.hpp"
#include "storage/covalue_store.hpp"

namespace moai::storage {

// Appends to `write` the batches for log transactions [from, count()); `replace` marks
// them as replacing stored rows (session_batch::replace).
void append_session_batches(covalue_write& write, const protocol::session_log& log, std::uint32_t from,
                            bool replace = false);

// Rows that could not be read back (stored_state.hpp): what is written for them
// replaces them instead of being trimmed against them.
struct unreadable_rows {
  bool header = false;
  std::set<std::string> sessions;
};

// Everything `state` holds, as one write (the store trims what it already has, so this
// fills whatever a failed write left out).
covalue_write write_of_state(const protocol::covalue_state& state, const unreadable_rows& unreadable);
// What applying a content message added to `state` (protocol::apply_content).
covalue_write write_of_applied(const protocol::covalue_state& state, const protocol::apply_outcome& applied,
                               const unreadable_rows& unreadable);

}  // namespace moai::storage
