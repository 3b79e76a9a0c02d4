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

}  // namespace moai::storage
