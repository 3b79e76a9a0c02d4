// Verifying and applying one content message to a CoValue the way the server does
// (guide §2.3): the header taken when new, a session that starts past what we hold is a
// gap, what we hold already is skipped, each session's signer resolved and its hash
// chain verified. A session coalesced from several messages keeps the longest prefix
// that verifies. After a valid delete only delete sessions count.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "protocol/sync/covalue_state.hpp"
#include "protocol/sync/messages.hpp"
#include "protocol/sync/session_signer.hpp"

namespace moai::protocol {

// The verdict on a delete session's new transactions (groups/deletion.hpp judges it by
// the owning group's roles).
struct delete_check {
  bool valid = true;     // false: the session is rejected
  bool deletes = false;  // a valid delete marker: from now on the CoValue is deleted
  std::string why;       // why it is not valid
};
using delete_judge = std::function<delete_check(const session_content& entry, std::uint32_t held)>;

enum class content_fault { invalid_transaction, invalid_delete, unknown_signer, invalid_signature };

struct session_fault {
  content_fault kind;
  std::string session_id;
  std::string why;
};

struct apply_outcome {
  bool needs_header = false;  // we lack the CoValue and the message has no header: nothing applied
  bool header_new = false;
  bool gap = false;      // some session started past what we hold
  bool deleted = false;  // a valid delete took effect: what else the message carried is not kept
  std::string deleted_by;  // the delete session
  // What we hold now of each session the message added to (header true).
  known_state accepted;
  // Sessions that grew, with the index of their first new transaction: what to store.
  // Cleared when a delete took effect (only the delete session is stored then).
  std::vector<std::pair<std::string, std::uint32_t>> appended;
  std::uint64_t transactions_added = 0;
  std::vector<session_fault> faults;  // one per rejected session (or rejected rest)
};

// Applies `message` (for `state.id()`) to `state`. What is added is moved out of the
// message's transactions (their count stays). `judge_delete` is asked about delete
// sessions only. Never throws on bad input.
apply_outcome apply_content(covalue_state& state, content_message& message, session_signers& signers,
                            const account_lookup& accounts, const delete_judge& judge_delete);

}  // namespace moai::protocol
