// A CoValue held in memory while other moai nodes write the same database: when to read
// what they stored. Another node's commit is announced (storage::stored_change); one
// that brings something we lack starts a read of what storage holds beyond our counts,
// one at a time: what is announced while a read is in flight asks for another read
// after it (the read may have started before that commit). A feed that was lost and is
// back asks for a read whatever it heard (announcements were missed). Bookkeeping only:
// the CoValue actor reads (load_request::since) and applies (storage::catch_up_state).
#pragma once

#include <cstdint>
#include <optional>

#include "protocol/sync/known_state.hpp"
#include "storage/change_feed.hpp"

namespace moai::actors {

class storage_follower {
 public:
  // Another node committed `change`; we hold `held` (all sessions, deleted or not) and
  // `deleted`. True: start a read now (read_started).
  bool changed(const storage::stored_change& change, const protocol::known_state& held, bool deleted);
  // Announcements may have been missed: true when a read should start now.
  bool resync();

  void read_started();
  struct finished {
    bool again = false;  // read again now (read_started)
    // The earliest commit time (ms since the epoch, the writer's clock) of the
    // announcements this read answered: cross-node lag = now - this.
    std::optional<std::int64_t> oldest_commit_ms;
  };
  finished read_finished();

  bool reading() const { return reading_; }

 private:
  void want(std::optional<std::int64_t> committed_ms);

  bool reading_ = false;
  bool again_ = false;
  std::optional<std::int64_t> waiting_oldest_;  // announced, not yet covered by a read
  std::optional<std::int64_t> reading_oldest_;  // covered by the read in flight
};

}  // namespace moai::actors
