// The verified state of one CoValue: its header and session logs, what it depends
// on, and what to send a peer that lacks part of it (cojson's VerifiedState).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "protocol/covalue/header.hpp"
#include "protocol/covalue/session_log.hpp"
#include "protocol/sync/dependencies.hpp"
#include "protocol/sync/known_state.hpp"
#include "protocol/sync/messages.hpp"

namespace moai::protocol {

class covalue_state {
 public:
  explicit covalue_state(std::string id) : id_(std::move(id)) {}

  const std::string& id() const { return id_; }
  bool has_header() const { return header_.has_value(); }
  const covalue_header* header() const { return header_ ? &*header_ : nullptr; }
  void set_header(covalue_header header);

  bool is_deleted() const { return deleted_; }
  void mark_deleted() {
    deleted_ = true;
    ++revision_;
  }
  // Changes with every change of header, transactions or deletion: lets callers keep
  // what they derived (encoded content) until the state moves on.
  std::uint64_t revision() const { return revision_; }

  const std::vector<session_log>& sessions() const { return sessions_; }
  const session_log* find_session(std::string_view session_id) const;
  std::uint32_t count(std::string_view session_id) const;
  std::size_t transaction_count() const;

  // Verifies and appends `txs` (already trimmed to continue the session).
  bool try_add(const std::string& session_id, std::vector<transaction>&& txs, std::string_view signature,
               const key32& signer, std::string& hash);
  // Appends what `entry` brings beyond what we hold of its session, verified with
  // `signer`: the whole against its last signature or, when that fails for an entry
  // coalesced from several messages, message by message against their signatures,
  // keeping the longest prefix that verifies. Returns how many transactions were
  // added; when not all, `failed_hash` names the hash that did not verify.
  // What is added is moved out of `entry.transactions` (the vector keeps its size).
  std::uint32_t add_verified(session_content& entry, const key32& signer, std::string& failed_hash);
  // Appends without verification: content read back from our own storage.
  void add_trusted(const std::string& session_id, std::vector<transaction>&& txs, std::string signature);
  // Direct access for restoring checkpoints and for writing our own transactions.
  session_log& session(const std::string& session_id);

  known_state known() const;
  // Deleted CoValues advertise only their delete sessions.
  const covalue_id_set& dependencies() const { return dependencies_; }

  // cojson's newContentSince: the content `peer` lacks as encoded content messages,
  // dependencies not included; empty when there is nothing to send. Pieces end at
  // signatures we hold and stay near kMaxRecommendedTxSize.
  std::vector<std::string> new_content_since(const known_state* peer) const;

 private:
  void note_transactions(const session_log& log, std::size_t first);

  std::string id_;
  std::optional<covalue_header> header_;
  std::vector<session_log> sessions_;  // insertion order, as cojson sends them
  std::unordered_map<std::string, std::size_t> index_;
  covalue_id_set dependencies_;
  bool deleted_ = false;
  std::uint64_t revision_ = 0;
};

}  // namespace moai::protocol
