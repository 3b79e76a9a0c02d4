#include "protocol/sync/covalue_state.hpp"

#include "protocol/encoding/ids.hpp"
#include "protocol/sync/codec.hpp"

namespace moai::protocol {

void covalue_state::set_header(covalue_header header) {
  ++revision_;
  header_ = std::move(header);
  add_header_dependencies(*header_, dependencies_);
  for (const auto& log : sessions_) note_transactions(log, 0);
  dependencies_.erase(id_);
}

const session_log* covalue_state::find_session(std::string_view session_id) const {
  auto it = index_.find(std::string(session_id));
  return it == index_.end() ? nullptr : &sessions_[it->second];
}

std::uint32_t covalue_state::count(std::string_view session_id) const {
  const session_log* log = find_session(session_id);
  return log ? log->count() : 0;
}

std::size_t covalue_state::transaction_count() const {
  std::size_t n = 0;
  for (const auto& log : sessions_) n += log.count();
  return n;
}

session_log& covalue_state::session(const std::string& session_id) {
  auto [it, inserted] = index_.emplace(session_id, sessions_.size());
  if (inserted) {
    sessions_.emplace_back(session_id);
    add_session_dependency(session_id, dependencies_);
    dependencies_.erase(id_);
  }
  return sessions_[it->second];
}

void covalue_state::note_transactions(const session_log& log, std::size_t first) {
  ++revision_;  // every path that adds transactions comes through here
  if (!header_ || !header_->is_group_or_account()) return;
  const auto& txs = log.transactions();
  for (std::size_t i = first; i < txs.size(); ++i) add_group_transaction_dependencies(txs[i], dependencies_);
  dependencies_.erase(id_);
}

bool covalue_state::try_add(const std::string& session_id, std::vector<transaction>&& txs, std::string_view signature,
                            const key32& signer, std::string& hash) {
  session_log& log = session(session_id);
  std::size_t first = log.count();
  if (!log.try_append(std::move(txs), signature, signer, hash)) return false;
  note_transactions(log, first);
  return true;
}

std::uint32_t covalue_state::add_verified(session_content& entry, const key32& signer, std::string& failed_hash) {
  const std::uint32_t ours = count(entry.session_id);
  const auto n = static_cast<std::uint32_t>(entry.transactions.size());
  if (entry.after > ours || entry.after + n <= ours) return 0;
  // Verifies entry.transactions[from, to) against `signature`; moves them in on success.
  auto add_range = [&](std::uint32_t from, std::uint32_t to, std::string_view signature) {
    session_log& log = session(entry.session_id);
    const std::size_t first = log.count();
    if (!log.try_append(entry.transactions, from, to, signature, signer, failed_hash)) return false;
    note_transactions(log, first);
    return true;
  };
  const std::uint32_t skip = ours - entry.after;
  if (add_range(skip, n, entry.last_signature)) return n - skip;
  if (entry.earlier_signatures.empty()) return 0;
  std::uint32_t from = skip;
  auto step = [&](std::uint32_t end, const std::string& signature) {
    if (end <= from) return true;
    if (!add_range(from, end, signature)) return false;
    from = end;
    return true;
  };
  for (const auto& [end, signature] : entry.earlier_signatures) {
    if (!step(end, signature)) return from - skip;
  }
  step(n, entry.last_signature);
  return from - skip;
}

void covalue_state::add_trusted(const std::string& session_id, std::vector<transaction>&& txs, std::string signature) {
  session_log& log = session(session_id);
  std::size_t first = log.count();
  log.append_trusted(std::move(txs), std::move(signature));
  note_transactions(log, first);
}

known_state covalue_state::known() const {
  known_state k;
  k.id = id_;
  k.header = header_.has_value();
  for (const auto& log : sessions_) {
    if (deleted_ && !is_delete_session_id(log.id())) continue;
    k.sessions.emplace(log.id(), log.count());
  }
  return k;
}

namespace {

// A run of one session's transactions inside a content piece: [from, to).
struct piece_part {
  std::size_t log;
  std::uint32_t from, to;
  const std::string* signature;
};
using piece = std::vector<piece_part>;

}  // namespace

std::vector<std::string> covalue_state::new_content_since(const known_state* peer) const {
  // Mirrors verifiedState.ts newContentSince, including its piece order: content cut
  // at a checkpoint goes into its own piece, inserted before the piece being filled.
  std::vector<piece> pieces(1);
  std::uint32_t piece_size = 0;

  auto add = [&](std::size_t log, std::uint32_t idx, const std::string* signature) {
    piece& current = pieces.back();
    if (!current.empty() && current.back().log == log) {
      current.back().to = idx + 1;
      current.back().signature = signature;
    } else {
      current.push_back({log, idx, idx + 1, signature});
    }
  };
  auto move_session_to_own_piece = [&](std::size_t log) {
    piece& current = pieces.back();
    piece own;
    if (!current.empty() && current.back().log == log) {
      own.push_back(current.back());
      current.pop_back();
    }
    pieces.insert(pieces.end() - 1, std::move(own));
  };

  for (std::size_t i = 0; i < sessions_.size(); ++i) {
    const session_log& log = sessions_[i];
    if (deleted_ && !is_delete_session_id(log.id())) continue;
    std::uint32_t start = 0;
    if (peer) {
      auto it = peer->sessions.find(log.id());
      if (it != peer->sessions.end()) start = it->second;
    }
    const std::uint32_t n = log.count();
    const auto& checkpoints = log.checkpoints();
    std::uint32_t session_size = 0;
    for (std::uint32_t idx = start; idx < n; ++idx) {
      session_size += log.transactions()[idx].size;
      auto checkpoint = checkpoints.find(idx);
      if (checkpoint != checkpoints.end()) {
        add(i, idx, &checkpoint->second);
        move_session_to_own_piece(i);
        session_size = 0;
      } else if (idx == n - 1) {
        add(i, idx, &log.last_signature());
        if (session_size > kMaxRecommendedTxSize) {
          move_session_to_own_piece(i);
        } else if (piece_size + session_size > kMaxRecommendedTxSize) {
          pieces.emplace_back();
          piece_size = 0;
        } else {
          piece_size += session_size;
        }
      } else {
        add(i, idx, nullptr);
      }
    }
  }

  const bool include_header = header_ && (!peer || !peer->header);
  std::size_t with_content = 0;
  for (std::size_t p = 0; p < pieces.size(); ++p) {
    if (!pieces[p].empty() || (p == 0 && include_header)) ++with_content;
  }
  if (with_content == 0) return {};

  std::optional<session_counts> expect;
  if (with_content > 1) {
    session_counts ours = known().sessions;
    expect = peer ? counts_ahead_of(ours, peer->sessions) : ours;
  }

  std::vector<std::string> out;
  out.reserve(with_content);
  const priority prio = header_ ? header_->content_priority() : priority::medium;
  for (std::size_t p = 0; p < pieces.size(); ++p) {
    const bool header_here = p == 0 && include_header;
    if (pieces[p].empty() && !header_here) continue;
    content_writer w(id_, header_here ? std::string_view(header_->json) : std::string_view(), prio);
    for (const auto& part : pieces[p]) {
      const session_log& log = sessions_[part.log];
      w.begin_session(log.id(), part.from);
      for (std::uint32_t idx = part.from; idx < part.to; ++idx) w.add_transaction(log.transactions()[idx].json);
      w.end_session(part.signature ? *part.signature : log.last_signature());
    }
    out.push_back(w.finish(p == 0 && expect ? &*expect : nullptr));
  }
  return out;
}

}  // namespace moai::protocol
