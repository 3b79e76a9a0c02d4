// What a CoValue actor knows of each peer that talks about its CoValue, and the rules for
// what to tell it: what we believe it holds (to send only what it lacks), what it said
// it holds, and the push of its dependencies before our content (guide §2.7).
// Bookkeeping only: the actor sends what these rules decide.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "protocol/sync/dependencies.hpp"
#include "protocol/sync/known_state.hpp"
#include "protocol/sync/messages.hpp"

namespace moai::actors {

using peer_key = std::uint64_t;  // the peer actor's id

// `base` as told to a peer. A deleted CoValue also claims everything the peer has
// (cojson's stopSyncingKnownStateMessage), so old clients stop uploading.
protocol::known_state claim_to(bool deleted, protocol::known_state base, const protocol::known_state& peer_claims);

// What to do about a push of our content to a peer.
struct push_plan {
  enum class step {
    wait,                  // a push is in flight: this one runs after it
    send,                  // dependencies are done: send our content now
    push_dependencies,     // ask these dependencies to push themselves first, then send
  } next = step::send;
  std::vector<std::string> dependencies;
};

struct peer_record {
  std::uint64_t peer_id = 0;        // the connection's number, for logs
  protocol::known_state known;      // optimistic: what we believe the peer holds
  protocol::known_state said;       // what the peer itself told us it holds (loads, knowns, content)
  bool told_known = false;          // we have told it our state at least once
  bool errored = false;             // it sent invalid content: ignore it for this CoValue
  bool asked_for_header = false;    // we asked it for the header (it sent content that needs us)
  bool said_not_found = false;      // … and it answered that it has none
  std::uint64_t deps_pushed_generation = 0;  // our dependencies as of this generation are pushed
  bool push_in_flight = false;
  bool push_again = false;          // a push came while one was in flight
  bool push_again_force_known = false;
  bool resend_next = false;         // it held content back and asked again: the next content is its resend

  peer_record(const std::string& id, std::uint64_t peer);

  // A load: the peer's word replaces what we believed.
  void loaded(protocol::known_state known);
  // A known message. `replace`: its state replaces ours (a correction, or an upstream's
  // first answer to our subscription); otherwise it is merged as an acknowledgement.
  void told(protocol::known_state known, bool correction, bool replace);
  // It held content back and holds `from` (plus what it told us since): the next
  // content goes as a resend. Dependencies count as pushed unless a push is in flight.
  void resend_from(protocol::known_state from, std::uint64_t deps_generation);
  // Content from it was applied: it holds what it sent (all of it, for a deleted CoValue).
  void content_applied(const protocol::content_message& message, const protocol::known_state& accepted,
                       bool deleted);
  // We subscribed at it (it is our upstream): assumed to hold what we hold until it answers.
  void subscribed(const protocol::known_state& ours, bool have_header);
  // A new connection to it: what we believed it holds is forgotten.
  void reconnected(const std::string& id);

  // cojson's sendNewContent: dependencies first, then us. `dependencies` are our
  // current ones, of `generation`; those in `visited` (the chain that asked) are cut
  // to break cycles; an upstream gets none (a server asks for what it lacks).
  push_plan plan_push(bool force_known, const protocol::covalue_id_set& dependencies, std::uint64_t generation,
                      const std::vector<std::string>& visited, bool to_upstream);
  // The dependencies of `generation` were pushed (or timed out).
  void dependencies_pushed(std::uint64_t generation);
  // A push that came while one was in flight is due now; `force_known` is set for it.
  bool take_push_again(bool& force_known);
};

// Peer records by peer actor, with what the actor keeps beside each (`Link`: the
// handle and the replies waiting for a push).
template <class Link>
class peer_table {
 public:
  struct entry {
    Link link;
    peer_record record;
  };

  // The entry of `key` for CoValue `id`; `made` tells whether it is new (then `link`
  // is kept).
  entry& enter(const std::string& id, peer_key key, std::uint64_t peer_id, const Link& link, bool& made) {
    auto it = entries_.find(key);
    made = it == entries_.end();
    if (made) it = entries_.emplace(key, entry{link, peer_record(id, peer_id)}).first;
    return it->second;
  }
  entry* find(peer_key key) {
    auto it = entries_.find(key);
    return it == entries_.end() ? nullptr : &it->second;
  }
  void erase(peer_key key) { entries_.erase(key); }
  bool contains(peer_key key) const { return entries_.count(key) > 0; }
  std::size_t size() const { return entries_.size(); }
  template <class F>
  void for_each(F f) const {
    for (const auto& [key, e] : entries_) f(key, e);
  }

  // Someone we asked for our header may still send it.
  bool header_may_come() const {
    for (const auto& [key, e] : entries_) {
      if (e.record.asked_for_header && !e.record.said_not_found) return true;
    }
    return false;
  }
  // Peers to push new content to: not those that sent invalid content, nor `except`.
  std::vector<peer_key> push_targets(peer_key except) const {
    std::vector<peer_key> keys;
    for (const auto& [key, e] : entries_) {
      if (!e.record.errored && key != except) keys.push_back(key);
    }
    return keys;
  }

 private:
  std::unordered_map<peer_key, entry> entries_;
};

}  // namespace moai::actors
