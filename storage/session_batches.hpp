// How a verified session log becomes storage batches: cut at its checkpoints, so the
// signatures a later reader needs to verify each piece are stored as signatureAfter rows.
#pragma once

#include <cstdint>

#include "protocol/covalue/session_log.hpp"
#include "storage/covalue_store.hpp"

namespace moai::storage {

// Appends to `write` the batches for log transactions [from, count()); `replace` marks
// them as replacing stored rows (session_batch::replace).
void append_session_batches(covalue_write& write, const protocol::session_log& log, std::uint32_t from,
                            bool replace = false);

}  // namespace moai::storage
