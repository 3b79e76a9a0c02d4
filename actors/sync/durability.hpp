// What the database holds of a CoValue, and the acknowledgements that must wait for it.
// To a client our known state is an acknowledgement, so nothing is claimed before it is
// committed. After a failed write memory is ahead of the database: acknowledgements are
// held back (one per peer) and everything held is written again, with backoff, until a
// rewrite is stored; then the held acknowledgements go out. Bookkeeping only.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "actors/sync/covalue_peers.hpp"
#include "protocol/sync/known_state.hpp"

namespace moai::actors {

class durability {
 public:
  struct held_ack {
    peer_key peer = 0;
    bool correction = false;
  };

  explicit durability(const std::string& id) : durable_{id, false, {}} {}

  // What the store holds, as far as its acknowledgements tell.
  const protocol::known_state& durable() const { return durable_; }
  // The CoValue was read back from storage: all of it is durable.
  void restored(const protocol::known_state& stored) { durable_ = stored; }
  // Content another node stored (read back to catch up with it) is durable too.
  void stored_elsewhere(const protocol::known_state& stored) { protocol::merge_into(durable_, stored); }

  // Memory holds content the database refused (or a rewrite is pending).
  bool unstored() const { return !held_.empty() || persist_scheduled_ || persist_in_flight_; }
  // The state we may claim to hold, given what memory holds.
  protocol::known_state claimable(const protocol::known_state& in_memory) const {
    return unstored() ? durable_ : in_memory;
  }

  void write_started() { ++writes_in_flight_; }
  // A write of `written` finished. True when its acknowledgement may go out now;
  // otherwise hold() it.
  bool write_finished(bool ok, const protocol::known_state& written);

  // An acknowledgement to `peer` waits for a rewrite. `first`: the first one held (worth
  // a log line). Returns the delay of the rewrite to schedule, if none is scheduled.
  std::optional<std::chrono::milliseconds> hold(peer_key peer, bool correction, bool& first,
                                                std::chrono::steady_clock::time_point now);
  // Content has stayed unstored for `grace` since the first held acknowledgement: the
  // peers still waiting, once per outage (the actor disconnects them so they see it).
  std::vector<peer_key> overdue(std::chrono::steady_clock::time_point now, std::chrono::milliseconds grace);

  // The scheduled rewrite starts (of everything in memory).
  void rewrite_started();
  // It finished. On success the held acknowledgements are released (answered with what
  // is now durable) and `retry` is empty; on failure it is the delay of the next try.
  std::vector<held_ack> rewrite_finished(bool ok, const protocol::known_state& written,
                                         std::optional<std::chrono::milliseconds>& retry);

  // Nothing in flight, held or scheduled.
  bool settled() const { return writes_in_flight_ == 0 && held_.empty() && !persist_scheduled_; }

 private:
  std::optional<std::chrono::milliseconds> schedule_rewrite();

  protocol::known_state durable_;
  std::uint32_t writes_in_flight_ = 0;
  std::vector<held_ack> held_;
  std::optional<std::chrono::steady_clock::time_point> unstored_since_;
  bool overdue_told_ = false;
  bool persist_scheduled_ = false;
  bool persist_in_flight_ = false;
  std::chrono::milliseconds backoff_{0};
};

}  // namespace moai::actors
