// Applying a content message to a CoValue state the way a receiving peer does (guide
// §2.3 steps 3–4): header taken when new, known transactions trimmed, the session's
// signer resolved, the signature over the hash chain verified, and all-or-nothing
// appends per session. For an agent that loads CoValues into memory to read them.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/sync/covalue_state.hpp"
#include "protocol/sync/messages.hpp"
#include "protocol/sync/session_signer.hpp"

namespace moai::protocol {

using covalue_lookup = std::function<const covalue_state*(const std::string& id)>;

// The facts session_signer needs, from the states `lookup` finds.
account_lookup account_facts_from(const covalue_lookup& lookup);

struct ingest_result {
  std::size_t accepted_sessions = 0;
  std::size_t new_transactions = 0;
  bool gap = false;                 // some session started past what we hold
  std::vector<std::string> errors;  // one per rejected session (and a bad header)
};

// `state` must be the CoValue `message.id`. Never throws.
ingest_result ingest_content(covalue_state& state, const content_message& message, const covalue_lookup& accounts);

}  // namespace moai::protocol
