#include "storage/stored_state.hpp"

#include <algorithm>
#include <iterator>
#include <map>
#include <utility>

#include "protocol/covalue/header.hpp"
#include "protocol/covalue/transaction.hpp"
#include "protocol/json/json.hpp"

namespace moai::storage {

namespace {

// The stored header, if it parses and hashes to the ID.
std::optional<protocol::covalue_header> stored_header(const stored_covalue& stored, const std::string& id,
                                                      std::string& error) {
  protocol::json_document doc;
  std::optional<protocol::covalue_header> header;
  if (protocol::parse_json(stored.header, doc, error)) header = protocol::parse_header(doc, error);
  if (header && protocol::covalue_id_of(*header) != id) header.reset();
  return header;
}

}  // namespace

restore_report restore_state(stored_covalue&& stored, protocol::covalue_state& state) {
  restore_report report;
  std::string error;
  auto header = stored_header(stored, state.id(), error);
  if (!header) {
    report.header_unreadable = true;
    report.problems.push_back(
        {"stored header is invalid or does not match its ID; treating the CoValue as absent", {}, 0, error});
    for (const auto& session : stored.sessions) report.cut_sessions.insert(session.session_id);
    return report;
  }
  state.set_header(std::move(*header));
  for (auto& s : stored.sessions) {
    // Rows past a gap, or past the count the session row records, are not the content
    // its last signature signs.
    std::size_t usable = s.transactions.size();
    if (s.gap) {
      usable = s.gap->position;
      report.problems.push_back({"stored transactions skip from index " + std::to_string(s.gap->position) + " to " +
                                     std::to_string(s.gap->next_index) + "; session truncated there",
                                 s.session_id, s.gap->position, {}});
    }
    if (s.recorded_count && *s.recorded_count != s.transactions.size()) {
      report.problems.push_back({"the session row records " + std::to_string(*s.recorded_count) +
                                     " transactions but " + std::to_string(s.transactions.size()) + " rows are stored",
                                 s.session_id, std::min<std::size_t>(*s.recorded_count, s.transactions.size()), {}});
      usable = std::min<std::size_t>(usable, *s.recorded_count);
    }
    std::vector<protocol::transaction> txs;
    txs.reserve(usable);
    for (std::size_t i = 0; i < usable; ++i) {
      auto tx = protocol::parse_stored_transaction(std::move(s.transactions[i]), error);
      if (!tx) {
        report.problems.push_back(
            {"stored transaction is invalid; session truncated there", s.session_id, txs.size(), error});
        break;
      }
      txs.push_back(std::move(*tx));
    }
    // The last signature covers the rows when they hold exactly the recorded count
    // (more rows than recorded: the recorded ones), with no gap or damage among them.
    const bool signed_end =
        txs.size() == usable && usable == (s.recorded_count ? *s.recorded_count : s.transactions.size());
    const bool complete = signed_end && usable == s.transactions.size();
    if (!complete) report.cut_sessions.insert(s.session_id);
    if (txs.empty()) continue;
    // A cut session has no signature for its end; keep only what the last checkpoint at
    // or before the cut covers.
    std::string signature = s.last_signature;
    if (!signed_end) {
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
    state.session(s.session_id).restore_checkpoints(std::move(checkpoints), signed_end ? s.bytes_since_checkpoint : 0);
  }
  if (stored.deleted) state.mark_deleted();
  return report;
}

catch_up_report catch_up_state(stored_covalue&& newer, protocol::covalue_state& state) {
  catch_up_report report;
  std::string error;
  if (!state.has_header()) {
    auto header = stored_header(newer, state.id(), error);
    if (!header) {
      report.problems.push_back({"stored header is invalid or does not match its ID; not taken", {}, 0, error});
      return report;
    }
    state.set_header(std::move(*header));
    report.header_new = true;
  }
  for (auto& s : newer.sessions) {
    const std::uint32_t held = state.count(s.session_id);
    // As restore_state: the last signature signs the recorded count; rows past a gap or
    // past that count are not taken.
    std::uint32_t end = s.first + static_cast<std::uint32_t>(s.transactions.size());
    const std::uint32_t signed_count = s.recorded_count ? *s.recorded_count : end;
    if (s.gap) {
      end = std::min(end, s.first + s.gap->position);
      report.problems.push_back({"stored transactions skip from index " + std::to_string(s.first + s.gap->position) +
                                     " to " + std::to_string(s.gap->next_index) + "; session truncated there",
                                 s.session_id, s.first + s.gap->position, {}});
    }
    end = std::min(end, signed_count);
    if (s.first > held) {
      report.problems.push_back({"stored rows do not continue the session held; not taken", s.session_id, s.first, ""});
      continue;
    }
    if (end <= held) continue;  // gained meanwhile
    std::vector<protocol::transaction> txs;
    txs.reserve(end - held);
    for (std::uint32_t i = held; i < end; ++i) {
      auto tx = protocol::parse_stored_transaction(std::move(s.transactions[i - s.first]), error);
      if (!tx) {
        report.problems.push_back({"stored transaction is invalid; session truncated there", s.session_id, i, error});
        break;
      }
      txs.push_back(std::move(*tx));
    }
    const bool complete = held + txs.size() == signed_count;
    std::string signature = s.last_signature;
    if (txs.empty()) continue;
    if (!complete) {
      // Only up to the last checkpoint before the cut (and past what is held).
      auto it = s.checkpoints.upper_bound(held + static_cast<std::uint32_t>(txs.size()) - 1);
      if (it == s.checkpoints.begin() || std::prev(it)->first < held) continue;
      --it;
      txs.resize(it->first + 1 - held);
      signature = it->second;
    }
    const std::uint32_t new_count = held + static_cast<std::uint32_t>(txs.size());
    std::map<std::uint32_t, std::string> checkpoints;
    if (const auto* log = state.find_session(s.session_id)) checkpoints = log->checkpoints();
    for (const auto& [idx, sig] : s.checkpoints) {
      if (idx >= held && idx < new_count) checkpoints[idx] = sig;
    }
    report.appended.emplace(s.session_id, held);
    report.transactions += txs.size();
    state.add_trusted(s.session_id, std::move(txs), std::move(signature));
    state.session(s.session_id).restore_checkpoints(std::move(checkpoints), complete ? s.bytes_since_checkpoint : 0);
  }
  if (newer.deleted && !state.is_deleted()) {
    state.mark_deleted();
    report.deleted_new = true;
  }
  return report;
}

}  // namespace moai::storage
