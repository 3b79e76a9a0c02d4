#include "storage/session_batches.hpp"

namespace moai::storage {

void append_session_batches(covalue_write& write, const protocol::session_log& log, std::uint32_t from, bool replace) {
  auto cut = [&](std::uint32_t until, const std::string& signature, bool checkpoint, std::uint32_t bytes) {
    session_batch batch;
    batch.session_id = log.id();
    batch.after = from;
    batch.transactions.reserve(until - from);
    for (auto i = from; i < until; ++i) batch.transactions.push_back(log.transactions()[i].json);
    batch.last_signature = signature;
    batch.checkpoint = checkpoint;
    batch.bytes_since_checkpoint = bytes;
    batch.replace = replace;
    write.batches.push_back(std::move(batch));
    from = until;
  };
  const auto& checkpoints = log.checkpoints();
  for (auto it = checkpoints.lower_bound(from); it != checkpoints.end() && it->first + 1 < log.count(); ++it) {
    cut(it->first + 1, it->second, true, 0);
  }
  if (from < log.count()) {
    cut(log.count(), log.last_signature(), checkpoints.count(log.count() - 1) > 0, log.bytes_since_checkpoint());
  }
}

covalue_write write_of_state(const protocol::covalue_state& state, const unreadable_rows& unreadable) {
  covalue_write write;
  write.id = state.id();
  if (state.header()) write.header = state.header()->json;
  write.replace_header = unreadable.header;
  write.deleted = state.is_deleted();
  for (const auto& log : state.sessions()) append_session_batches(write, log, 0, unreadable.sessions.count(log.id()) > 0);
  return write;
}

covalue_write write_of_applied(const protocol::covalue_state& state, const protocol::apply_outcome& applied,
                               const unreadable_rows& unreadable) {
  covalue_write write;
  write.id = state.id();
  if (applied.header_new) {
    write.header = state.header()->json;
    write.replace_header = unreadable.header;
  }
  write.deleted = applied.deleted;
  for (const auto& [session_id, from] : applied.appended) {
    append_session_batches(write, *state.find_session(session_id), from, unreadable.sessions.count(session_id) > 0);
  }
  return write;
}

}  // namespace moai::storage
