// Writing as an account: this process's session, and signed transactions appended to
// CoValue states (cojson coValueCore.ts makeTransaction / verifiedState.ts
// makeNewTrustingTransaction, makeNewPrivateTransaction). Pure: the caller passes the
// time (madeAt) and stores or sends what changed (covalue_state::new_content_since).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/content/decoded_transactions.hpp"
#include "protocol/crypto/identity.hpp"
#include "protocol/crypto/keys.hpp"
#include "protocol/sync/covalue_state.hpp"

namespace moai::protocol {

// When and how uniquely a new CoValue is created (crypto.createdNowUnique).
struct creation_stamp {
  std::uint64_t made_at = 0;  // Date.now() of the first transactions
  std::string created_at;     // header createdAt: the ISO text of made_at
  std::string uniqueness;     // header uniqueness: "z" + base58(12 random bytes)

  static creation_stamp at(std::uint64_t made_at);
};

class local_writer {
 public:
  // `session_suffix`: the "z…" part after "_session_" (random_session_suffix()); keeping it
  // across restarts keeps writing into the same session.
  local_writer(agent_identity me, std::string session_suffix);

  // "z" + base58(8 random bytes), as crypto.newRandomSessionID.
  static std::string random_session_suffix();

  const agent_identity& identity() const { return me_; }
  // "<accountID>_session_z…" (the agent's when there is no account).
  const std::string& session_id() const { return session_id_; }
  // "<agentID>_session_z…": the same suffix under the agent.
  const std::string& agent_session_id() const { return agent_session_id_; }
  // makeTransaction's "ugly hack": edits to an account CoValue (meta.type "account") go
  // into the agent session, everything else into the account session.
  const std::string& session_for(const covalue_state& target) const;
  // Where the next transaction in `target` lands (the nonce material of private
  // transactions and sealed revelations).
  transaction_id next_transaction_id(const covalue_state& target) const;

  // Appends a signed trusting transaction; `changes_json` is the JSON array text
  // (cojson writes JSON.stringify(changes)), `meta_json` an object's text.
  transaction_id append_trusting(covalue_state& target, std::string_view changes_json, std::uint64_t made_at,
                                 const std::optional<std::string>& meta_json = std::nullopt) const;
  // Appends a signed private transaction: changes (and meta) encrypted with `key`
  // (XSalsa20, nonce from {"in": target, "tx": next_transaction_id}).
  transaction_id append_private(covalue_state& target, std::string_view changes_json, const read_key& key,
                                std::uint64_t made_at,
                                const std::optional<std::string>& meta_json = std::nullopt) const;

  // The state of a CoValue created now: its header, no transactions yet.
  static covalue_state new_covalue(const covalue_header& header);

 private:
  transaction_id append(covalue_state& target, transaction tx) const;

  agent_identity me_;
  std::string session_id_;
  std::string agent_session_id_;
  key32 signer_public_{};
};

}  // namespace moai::protocol
