// A CoValue's subscription at the upstream moai (PEER_MOAI), as a cojson client keeps
// one at its server peer: a load with what we hold, answered with what we lack or with
// the upstream's known state. Until it answers, loads of a CoValue we lack wait for it
// (bounded by a timer), and until it holds what we hold the CoValue stays in memory, so
// what we took while the link was down reaches it. Bookkeeping only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "actors/sync/covalue_peers.hpp"
#include "protocol/sync/known_state.hpp"
#include "protocol/sync/messages.hpp"

namespace moai::actors {

class upstream_subscription {
 public:
  explicit upstream_subscription(const std::string& id) : holds_{id, false, {}} {}

  bool subscribed() const { return subscribed_; }
  bool answered() const { return answered_; }

  // Subscribes (again). Returns the number of this subscription when loads wait for its
  // answer: the actor times them out (wait_over) with that number.
  std::optional<std::uint64_t> subscribe();
  // A new connection to the upstream: it may be a restarted server, so what it held is
  // forgotten.
  void reconnected();

  // A message from the upstream, before it is handled. True when we must subscribe now:
  // it came unasked and is not content (content is applied first, so that our load then
  // says we have it and the upstream does not send it again: subscribe_due()).
  bool came_unasked(bool is_content);
  // Everything received was applied: a subscription deferred by came_unasked is due.
  bool subscribe_due(bool nothing_queued) const { return subscribe_when_applied_ && nothing_queued; }
  // What a message from the upstream says it holds: its known states (a correction
  // replaces), the state its load states, or the content it sent.
  void note_holds(const protocol::sync_message& message);
  // After a message from the upstream was handled: the first known or content since we
  // subscribed is its answer. True when that answer is a known state (typically "not
  // there either"): the waiting loads are answered now; content answers them once applied.
  bool answered_by(bool asked_before, const protocol::sync_message& message);

  // A peer's load of a CoValue we lack. True when it waits for the upstream's answer;
  // `timer` is set when the actor must start the wait's timer.
  bool load_waits(peer_key peer, std::optional<std::uint64_t>& timer);
  // The wait's timer of `subscription` fired: the loads to answer with what we have
  // (none for the timer of an earlier subscription).
  std::vector<peer_key> wait_over(std::uint64_t subscription);
  std::vector<peer_key> take_waiting();
  // The header arrived: waiting loads get the content with every other peer.
  void header_arrived() { waiting_.clear(); }

  // The upstream holds everything we hold (or we never subscribed).
  bool holds_all(const protocol::known_state& ours) const;

 private:
  bool subscribed_ = false;
  bool subscribe_when_applied_ = false;
  bool answered_ = false;
  bool gave_up_ = false;  // it did not answer in time: loads stop waiting until the next subscription
  bool wait_scheduled_ = false;
  std::uint64_t subscription_ = 0;  // counts subscriptions, to tell their timers apart
  protocol::known_state holds_;
  std::vector<peer_key> waiting_;
};

}  // namespace moai::actors
