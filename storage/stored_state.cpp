#include "storage/stored_state.hpp"

#include <map>
#include <utility>

#include "protocol/covalue/header.hpp"
#include "protocol/covalue/transaction.hpp"
#include "protocol/json/json.hpp"

namespace moai::storage {

restore_report restore_state(stored_covalue&& stored, protocol::covalue_state& state) {
  restore_report report;
  protocol::json_document doc;
  std::string error;
  std::optional<protocol::covalue_header> header;
  if (protocol::parse_json(stored.header, doc, error)) header = protocol::parse_header(doc, error);
  if (!header || protocol::covalue_id_of(*header) != state.id()) {
    report.header_unreadable = true;
    report.problems.push_back(
        {"stored header is invalid or does not match its ID; treating the CoValue as absent", {}, 0, error});
    for (const auto& session : stored.sessions) report.cut_sessions.insert(session.session_id);
    return report;
  }
  state.set_header(std::move(*header));
  for (auto& s : stored.sessions) {
    std::vector<protocol::transaction> txs;
    txs.reserve(s.transactions.size());
    for (auto& text : s.transactions) {
      auto tx = protocol::parse_stored_transaction(std::move(text), error);
      if (!tx) {
        report.problems.push_back(
            {"stored transaction is invalid; session truncated there", s.session_id, txs.size(), error});
        break;
      }
      txs.push_back(std::move(*tx));
    }
    const bool complete = txs.size() == s.transactions.size();
    if (!complete) report.cut_sessions.insert(s.session_id);
    if (txs.empty()) continue;
    // A cut session has no signature for its end; keep only what the last checkpoint at
    // or before the cut covers.
    std::string signature = s.last_signature;
    if (!complete) {
      auto it = s.checkpoints.upper_bound(static_cast<std::uint32_t>(txs.size() - 1));
      if (it == s.checkpoints.begin()) continue;
      --it;
      txs.resize(it->first + 1);
      signature = it->second;
    }
    state.add_trusted(s.session_id, std::move(txs), std::move(signature));
    std::map<std::uint32_t, std::string> checkpoints;
    for (const auto& [idx, sig] : s.checkpoints) {
      if (idx < state.count(s.session_id)) checkpoints.emplace(idx, sig);
    }
    // A session cut at a checkpoint has nothing since it.
    state.session(s.session_id).restore_checkpoints(std::move(checkpoints), complete ? s.bytes_since_checkpoint : 0);
  }
  if (stored.deleted) state.mark_deleted();
  return report;
}

}  // namespace moai::storage
