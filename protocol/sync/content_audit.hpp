// Verifying a CoValue that was taken on trust (read back from storage) as a client
// verifies the content it is sent: its content is cut into the pieces a peer would be
// sent (covalue_state::new_content_since: pieces end at the checkpoints and at each
// session's last signature), encoded, decoded again (the header must hash to the ID)
// and applied to an empty state with apply_content, as the server applies a client's.
// Used by `moai check`; the rules are apply_content's, not a second set.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "protocol/sync/content_apply.hpp"
#include "protocol/sync/covalue_state.hpp"
#include "protocol/sync/session_signer.hpp"

namespace moai::protocol {

struct session_audit {
  std::string session_id;
  std::uint32_t held = 0;          // transactions the trusted state holds
  std::uint32_t verified = 0;      // of them, [0, verified) verify
  std::string verified_signature;  // the signature that ends the verified prefix (empty when none)
  std::string why;                 // why the rest does not verify (empty when all of it does)
};

struct covalue_audit {
  std::string header_problem;           // set when the encoded content did not decode (header not the ID's)
  std::vector<session_audit> sessions;  // every session the trusted state holds, in its order
  std::uint64_t transactions_verified = 0;
  std::uint64_t transactions_held = 0;

  bool clean() const { return header_problem.empty() && transactions_verified == transactions_held; }
};

// Verifies `trusted`. The sessions of an account itself are resolved from its own
// header, as the server does; other accounts through `accounts`. A deleted CoValue is
// sent, and so audited, with its delete sessions only.
covalue_audit audit_content(const covalue_state& trusted, session_signers& signers, const account_lookup& accounts,
                            const delete_judge& judge_delete);

}  // namespace moai::protocol
