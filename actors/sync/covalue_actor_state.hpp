// The CoValue actor's own header, shared by its three files only: covalue_actor.cpp
// (its messages and lifecycle), covalue_content.cpp (applying and storing content)
// and covalue_push.cpp (sending peers what they lack, dependencies first). The rules
// live in the plain classes included here; these files perform what they decide.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "actors/observability/inspection.hpp"
#include "actors/sync/content_encoding.hpp"
#include "actors/sync/content_queue.hpp"
#include "actors/sync/covalue_actor.hpp"
#include "actors/sync/covalue_peers.hpp"
#include "actors/sync/durability.hpp"
#include "actors/sync/request_deadlines.hpp"
#include "actors/sync/retirement.hpp"
#include "actors/sync/storage_follower.hpp"
#include "actors/sync/upstream_subscription.hpp"
#include "protocol/sync/session_signer.hpp"
#include "storage/session_batches.hpp"

namespace moai::actors {

// The actor's own turns and timers: not part of its public type.
struct upstream_wait_over {
  std::uint64_t subscription = 0;  // tells the timer of an earlier subscription apart
};

}  // namespace moai::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::upstream_wait_over)

namespace moai::actors::covalue_internal {

using idle_tick_atom = caf::atom_constant<caf::atom("idletick")>;  // idle long enough to retire?
using drain_atom = caf::atom_constant<caf::atom("drain")>;         // apply what was staged
using persist_atom = caf::atom_constant<caf::atom("persist")>;     // rewrite after a failed write

using covalue_impl =
    covalue_actor::extend<caf::reacts_to<idle_tick_atom>, caf::reacts_to<drain_atom>, caf::reacts_to<persist_atom>,
                          caf::reacts_to<upstream_wait_over>, caf::reacts_to<request_overdue>>;

struct peer_link {
  sync_peer handle;
  std::vector<caf::typed_response_promise<push_done>> push_waiters;
};

// Who sent queued content (content_queue's Sender).
struct sender {
  sync_peer handle;
  std::uint64_t peer_id = 0;
  bool operator==(const sender& other) const { return handle == other.handle; }
};

struct covalue_actor_state {
  std::string id;
  covalue_context ctx;
  // The rules, each a plain class (see their headers); the actor performs what they decide.
  struct parts {
    parts(const std::string& id, std::chrono::milliseconds idle) : cv(id), durable(id), upstream(id), retire(idle) {}
    protocol::covalue_state cv;
    peer_table<peer_link> peers;
    durability durable;
    content_queue<sender> queue;
    upstream_subscription upstream;
    retirement retire;
    storage_follower follower;  // other nodes' commits to a shared database
    content_encoding encoding;
    protocol::session_signers signers;
    std::uint64_t deps_generation = 1;  // bumped when the CoValue's dependencies change
    std::size_t deps_seen = 0;
    storage::unreadable_rows unreadable;  // stored rows that could not be read back
    std::vector<caf::typed_response_promise<availability>> header_waiters;
  };
  std::unique_ptr<parts> p;
  request_deadlines requests;  // what this actor asked others, with their timeouts
  std::shared_ptr<actor_probe> probe;
  static inline const char* name = "covalue";
};

using self_ptr = covalue_impl::stateful_pointer<covalue_actor_state>;
using peer_entry = peer_table<peer_link>::entry;


// ---- covalue_actor.cpp ----
covalue_actor_state::parts& parts_of(self_ptr self);
void send_to(self_ptr self, const sync_peer& peer, std::string message, int priority, action kind);
void send_known(self_ptr self, const sync_peer& peer, const protocol::known_state& known, bool correction = false);
bool is_upstream(self_ptr self, const sync_peer& peer);
// The state we may claim to hold: only what is stored, while a rewrite is pending.
protocol::known_state claimable(self_ptr self);
// claimable(), as told to a peer that claims `peer_claims` (claim_to).
protocol::known_state known_for(self_ptr self, const protocol::known_state& peer_claims);
peer_entry& entry_for(self_ptr self, const sync_peer& peer, std::uint64_t peer_id);
// Something happened: schedules the idle tick when the actor is idle.
void touched(self_ptr self);
void subscribe_upstream(self_ptr self);

// ---- covalue_push.cpp ----
// cojson's sendNewContent to one peer: dependencies first (each asked to push itself),
// then what it lacks of us. `visited`: the chain of dependency pushes that asked.
void push_to(self_ptr self, peer_key key, bool force_known, const std::vector<std::string>& visited);
void push_to_all(self_ptr self);
// Answers the loads that waited for the upstream with what we have now.
void answer_loads(self_ptr self, const std::vector<peer_key>& waiting);

// ---- covalue_content.cpp ----
// Moves staged content to the queue and applies what it can.
void flush_staged(self_ptr self);
// Writes everything held again after a failed write (persist_atom).
void rewrite_all(self_ptr self);
// Another node committed a change of this CoValue, or (nullptr) the change feed was
// lost and is back: reads what storage holds beyond memory, if storage_follower says so.
void storage_changed_elsewhere(self_ptr self, const storage::stored_change* change);
void note_dependency_changes(covalue_actor_state::parts& c);

}  // namespace moai::actors::covalue_internal
