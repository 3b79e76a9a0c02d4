#include "protocol/sync/content_apply.hpp"

#include <algorithm>

#include "protocol/encoding/ids.hpp"

namespace moai::protocol {
namespace {

void note_appended(apply_outcome& out, const std::string& session_id, std::uint32_t from) {
  // A session named twice in one message is stored once, from its first new index.
  for (auto& [id, first] : out.appended) {
    if (id == session_id) {
      first = std::min(first, from);
      return;
    }
  }
  out.appended.emplace_back(session_id, from);
}

}  // namespace

apply_outcome apply_content(covalue_state& state, content_message& message, session_signers& signers,
                            const account_lookup& accounts, const delete_judge& judge_delete) {
  apply_outcome out;
  out.accepted = known_state{state.id(), true, {}};
  if (!state.has_header()) {
    if (!message.header) {
      out.needs_header = true;
      return out;
    }
    state.set_header(std::move(*message.header));
    out.header_new = true;
  }
  auto fault = [&](content_fault kind, const std::string& session_id, std::string why) {
    out.faults.push_back({kind, session_id, std::move(why)});
  };
  for (auto& entry : message.sessions) {
    if (state.is_deleted() && !is_delete_session_id(entry.session_id)) continue;
    if (!entry.error.empty()) {
      fault(content_fault::invalid_transaction, entry.session_id, entry.error);
      continue;
    }
    const std::uint32_t ours = state.count(entry.session_id);
    if (entry.after > ours) {
      out.gap = true;
      continue;
    }
    const std::uint32_t sent_until = entry.after + static_cast<std::uint32_t>(entry.transactions.size());
    if (sent_until <= ours) continue;  // a duplicate: harmless, still acknowledged
    bool deletes = false;
    if (is_delete_session_id(entry.session_id)) {
      auto verdict = judge_delete ? judge_delete(entry, ours) : delete_check{false, false, "deletes are not judged"};
      if (!verdict.valid) {
        fault(content_fault::invalid_delete, entry.session_id, verdict.why);
        continue;
      }
      deletes = verdict.deletes;
    }
    std::string why;
    auto signer = signers.find(entry.session_id, accounts, why);
    if (!signer) {
      fault(content_fault::unknown_signer, entry.session_id, why);
      continue;
    }
    std::string hash;
    const std::uint32_t added = state.add_verified(entry, *signer, hash);
    if (added == 0) {
      fault(content_fault::invalid_signature, entry.session_id, "signature does not match " + hash);
      continue;
    }
    out.transactions_added += added;
    if (deletes) {
      state.mark_deleted();
      out.appended.clear();
      out.deleted = true;
      out.deleted_by = entry.session_id;
    }
    note_appended(out, entry.session_id, ours);
    out.accepted.sessions[entry.session_id] = ours + added;
    if (ours + added < sent_until) {
      // Coalesced messages of which only a prefix verified: that prefix stays.
      fault(content_fault::invalid_signature, entry.session_id, "signature does not match " + hash);
    }
  }
  return out;
}

}  // namespace moai::protocol
