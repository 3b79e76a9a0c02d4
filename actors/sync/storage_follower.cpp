#include "actors/sync/storage_follower.hpp"

#include <algorithm>

namespace moai::actors {

namespace {

// Whether `change` brings anything `held` lacks.
bool news(const storage::stored_change& change, const protocol::known_state& held, bool deleted) {
  if (!change.complete) return true;  // its sessions did not fit the announcement
  if (change.header && !held.header) return true;
  if (change.deleted && !deleted) return true;
  for (const auto& [session, count] : change.sessions) {
    auto it = held.sessions.find(session);
    if (it == held.sessions.end() ? count > 0 : count > it->second) return true;
  }
  return false;
}

}  // namespace

void storage_follower::want(std::optional<std::int64_t> committed_ms) {
  if (committed_ms) waiting_oldest_ = waiting_oldest_ ? std::min(*waiting_oldest_, *committed_ms) : *committed_ms;
  if (reading_) again_ = true;
}

bool storage_follower::changed(const storage::stored_change& change, const protocol::known_state& held, bool deleted) {
  if (!news(change, held, deleted)) return false;
  want(change.committed_ms > 0 ? std::optional<std::int64_t>(change.committed_ms) : std::nullopt);
  return !reading_;
}

bool storage_follower::resync() {
  want(std::nullopt);
  return !reading_;
}

void storage_follower::read_started() {
  reading_ = true;
  again_ = false;
  reading_oldest_ = waiting_oldest_;
  waiting_oldest_.reset();
}

storage_follower::finished storage_follower::read_finished() {
  reading_ = false;
  finished out;
  out.again = again_;
  again_ = false;
  out.oldest_commit_ms = reading_oldest_;
  reading_oldest_.reset();
  return out;
}

}  // namespace moai::actors
