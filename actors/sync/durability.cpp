#include "actors/sync/durability.hpp"

#include <algorithm>
#include <utility>

#include "actors/sync/retry_backoff.hpp"

namespace moai::actors {

bool durability::write_finished(bool ok, const protocol::known_state& written) {
  --writes_in_flight_;
  if (ok) protocol::merge_into(durable_, written);
  return ok && !unstored();
}

std::optional<std::chrono::milliseconds> durability::hold(peer_key peer, bool correction, bool& first,
                                                          std::chrono::steady_clock::time_point now) {
  first = held_.empty();
  if (!unstored_since_) unstored_since_ = now;
  auto same = std::find_if(held_.begin(), held_.end(), [&](const held_ack& h) { return h.peer == peer; });
  if (same == held_.end()) {
    held_.push_back({peer, correction});
  } else {
    same->correction = same->correction || correction;
  }
  return schedule_rewrite();
}

std::optional<std::chrono::milliseconds> durability::schedule_rewrite() {
  if (persist_scheduled_ || persist_in_flight_) return std::nullopt;
  persist_scheduled_ = true;
  backoff_ = next_retry_backoff(backoff_);
  return backoff_;
}

void durability::rewrite_started() {
  persist_scheduled_ = false;
  persist_in_flight_ = true;
  ++writes_in_flight_;
}

std::vector<durability::held_ack> durability::rewrite_finished(bool ok, const protocol::known_state& written,
                                                              std::optional<std::chrono::milliseconds>& retry) {
  persist_in_flight_ = false;
  --writes_in_flight_;
  retry.reset();
  if (!ok) {
    retry = schedule_rewrite();
    return {};
  }
  backoff_ = std::chrono::milliseconds(0);
  unstored_since_.reset();
  overdue_told_ = false;
  protocol::merge_into(durable_, written);
  // Content that arrived meanwhile is acknowledged by its own write.
  return std::exchange(held_, {});
}

std::vector<peer_key> durability::overdue(std::chrono::steady_clock::time_point now, std::chrono::milliseconds grace) {
  if (!unstored_since_ || overdue_told_ || now - *unstored_since_ < grace) return {};
  overdue_told_ = true;
  std::vector<peer_key> peers;
  for (const auto& h : held_) peers.push_back(h.peer);
  return peers;
}

}  // namespace moai::actors
