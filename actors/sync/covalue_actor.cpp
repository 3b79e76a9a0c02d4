#include "actors/sync/covalue_actor.hpp"

#include <utility>

#include "actors/sync/covalue_actor_state.hpp"
#include "config/log.hpp"
#include "protocol/sync/codec.hpp"
#include "storage/stored_state.hpp"

namespace moai::actors::covalue_internal {

using namespace std::chrono;
using protocol::content_message;
using protocol::known_state;

covalue_actor_state::parts& parts_of(self_ptr self) {
  return *self->state.p;
}

void send_to(self_ptr self, const sync_peer& peer, std::string message, int priority, action kind) {
  self->state.ctx.metrics->count_out(kind);
  self->send(peer, outgoing_messages{{std::move(message)}, priority, {}, {}, false, {}});
}

void send_known(self_ptr self, const sync_peer& peer, const known_state& known, bool correction) {
  send_to(self, peer, protocol::encode_known(known, correction), 0, action::known);
}

bool is_upstream(self_ptr self, const sync_peer& peer) {
  return self->state.ctx.upstream && self->state.ctx.upstream->peer == peer;
}

// The state we may claim to hold: only what is stored, while a rewrite is pending.
known_state claimable(self_ptr self) {
  auto& c = parts_of(self);
  return c.durable.claimable(c.cv.known());
}

known_state known_for(self_ptr self, const known_state& peer_claims) {
  return claim_to(parts_of(self).cv.is_deleted(), claimable(self), peer_claims);
}

peer_entry& entry_for(self_ptr self, const sync_peer& peer, std::uint64_t peer_id) {
  bool made = false;
  auto& e = parts_of(self).peers.enter(self->state.id, peer.id(), peer_id, peer_link{peer, {}}, made);
  if (made) self->monitor(peer);  // its down message drops the entry
  return e;
}

namespace {

bool idle(self_ptr self, bool until_upstream_has_it = true) {
  auto& c = parts_of(self);
  const auto& up = self->state.ctx.upstream;
  activity a;
  a.peers = c.peers.size() - (up && c.peers.contains(up->peer.id()) ? 1 : 0);
  a.content_waiting = !c.queue.empty() || c.queue.waiting_for_dependencies();
  a.storage_unsettled = !c.durable.settled();
  a.header_waiters = !c.header_waiters.empty();
  if (!is_idle(a, false)) return false;
  // Only now: the CoValue's known state is a map built afresh, and this runs on every message.
  a.upstream_lacks_ours = !c.upstream.holds_all(c.cv.known());
  return is_idle(a, until_upstream_has_it);
}

}  // namespace

void touched(self_ptr self) {
  if (auto delay = parts_of(self).retire.touched(steady_clock::now(), idle(self))) {
    self->state.ctx.timers->send_later(*delay, self, idle_tick_atom::value);
  }
}

namespace {

void ask_to_retire(self_ptr self) {
  self->send(self->state.ctx.manager, retire_request{self->state.id, parts_of(self).retire.received()});
}

}  // namespace

// ---- subscriptions at the upstream (sync mode with PEER_MOAI) ----

// Subscribes at the upstream as a cojson client does at its server: a load with what we
// hold, at low priority (after a reconnection every CoValue in memory does it, guide §2.8).
void subscribe_upstream(self_ptr self) {
  auto& c = parts_of(self);
  if (!self->state.ctx.upstream) return;
  if (auto timer = c.upstream.subscribe()) {
    self->state.ctx.timers->send_later(self->state.ctx.options.upstream_load_timeout, self, upstream_wait_over{*timer});
  }
  auto& u = entry_for(self, self->state.ctx.upstream->peer, self->state.ctx.upstream->peer_id);
  u.record.subscribed(c.cv.known(), c.cv.has_header());
  send_to(self, u.link.handle, protocol::encode_load(c.cv.known()), 6, action::load);
}

namespace {

void ensure_upstream(self_ptr self) {
  if (!parts_of(self).upstream.subscribed()) subscribe_upstream(self);
}

// ---- what peers send ----

void on_load(self_ptr self, const sync_peer& peer, std::uint64_t peer_id, known_state&& known) {
  auto& c = parts_of(self);
  auto& e = entry_for(self, peer, peer_id);
  e.record.loaded(std::move(known));  // the peer's word is the truth
  if (c.cv.has_header()) {
    // The peer holds something we lack: our known state goes first, so it sends that
    // (content alone would not say what we lack; a moai edge relies on this). As a
    // correction: a cojson client that remembers more of us (e.g. we lost data) merges
    // a plain `known` away, but replaces its record with a correction and resends.
    const bool ahead = !protocol::is_covered_by(e.record.known, claimable(self));
    if (ahead) {
      send_known(self, peer, known_for(self, e.record.known), true);
      e.record.told_known = true;
    }
    push_to(self, peer.id(), !ahead, {});
    return;
  }
  std::optional<std::uint64_t> timer;
  if (self->state.ctx.upstream && !is_upstream(self, peer) && c.upstream.load_waits(peer.id(), timer)) {
    // The upstream may have it: the answer waits for the upstream's.
    if (timer) {
      self->state.ctx.timers->send_later(self->state.ctx.options.upstream_load_timeout, self,
                                         upstream_wait_over{*timer});
    }
    return;
  }
  send_known(self, peer, known_state{self->state.id, false, {}});
  e.record.told_known = true;
}

void on_known(self_ptr self, const sync_peer& peer, std::uint64_t peer_id, known_state&& known, bool correction) {
  auto& c = parts_of(self);
  auto& e = entry_for(self, peer, peer_id);
  // The upstream's answer to our subscription is its whole state: it replaces what we
  // assumed (that it holds what we hold). Later ones are acks, merged as usual.
  e.record.told(std::move(known), correction, correction || (is_upstream(self, peer) && !c.upstream.answered()));
  if (c.cv.has_header()) {
    push_to(self, peer.id(), false, {});
    return;
  }
  // Everyone we asked for our header says they do not have it: stop waiting.
  if (!c.peers.header_may_come()) {
    for (auto& w : std::exchange(c.header_waiters, {})) w.deliver(availability{self->state.id, false, false, {}});
  }
}

// Content is staged behind whatever else is in the mailbox, so the transactions of a
// burst are checked with one signature (the last covers the rest).
void on_content(self_ptr self, const sync_peer& peer, std::uint64_t peer_id, content_message&& m) {
  auto& e = entry_for(self, peer, peer_id);
  if (e.record.errored) {
    log::debug(actor_origin(self), "ignoring content from a peer that sent invalid content",
               {{"id", self->state.id}, {"peer", peer_id}});
    return;
  }
  m.expect_content_until.reset();  // expectContentUntil only counts from upstream servers
  if (parts_of(self).queue.stage(sender{peer, peer_id}, std::move(m))) self->send(self, drain_atom::value);
}

void on_message(self_ptr self, from_peer& msg) {
  auto& c = parts_of(self);
  c.retire.routed();
  const bool from_upstream = is_upstream(self, msg.peer);
  const bool is_content = std::holds_alternative<content_message>(msg.message);
  // Pushed to us unasked (e.g. after this actor retired): we ask for its state before
  // pushing anything back, as cojson does when a peer's state is unknown. Pushed content
  // is applied first, so that our load says we have it.
  const bool asked_before = c.upstream.subscribed();
  if (from_upstream) {
    if (c.upstream.came_unasked(is_content)) subscribe_upstream(self);
    c.upstream.note_holds(msg.message);
  } else {
    ensure_upstream(self);
  }
  if (!is_content) flush_staged(self);  // a peer's messages take effect in the order sent
  if (auto* l = std::get_if<protocol::load_message>(&msg.message)) {
    on_load(self, msg.peer, msg.peer_id, std::move(l->known));
  } else if (auto* k = std::get_if<protocol::known_message>(&msg.message)) {
    on_known(self, msg.peer, msg.peer_id, std::move(k->known), k->is_correction);
  } else if (auto* m = std::get_if<content_message>(&msg.message)) {
    on_content(self, msg.peer, msg.peer_id, std::move(*m));
  }
  // Content answers the waiting loads once applied (header_arrived); a known state
  // (typically "not there either") answers them now.
  if (from_upstream && c.upstream.answered_by(asked_before, msg.message)) answer_loads(self, c.upstream.take_waiting());
  touched(self);
}

void restore(self_ptr self, storage::stored_covalue&& stored) {
  auto& c = parts_of(self);
  auto report = storage::restore_state(std::move(stored), c.cv);
  for (const auto& problem : report.problems) {
    log::error(actor_origin(self), problem.what,
               {{"id", self->state.id}, {"session", problem.session_id}, {"index", problem.index}, {"error", problem.error}});
  }
  c.unreadable = {report.header_unreadable, std::move(report.cut_sessions)};
  if (c.unreadable.header) return;
  c.durable.restored(c.cv.known());
  note_dependency_changes(c);
}

// The admin page's view of the CoValue: its header, its sessions, and the peers that
// said they hold it.
inspect_reply inspect(self_ptr self, bool in_memory) {
  auto& c = parts_of(self);
  inspect_reply r;
  r.id = self->state.id;
  r.in_memory = in_memory;
  if (!c.cv.has_header()) return r;
  r.found = true;
  r.deleted = c.cv.is_deleted();
  r.header = c.cv.header()->json;
  for (const auto& log : c.cv.sessions()) {
    inspected_session s;
    s.session_id = log.id();
    s.transactions = log.count();
    for (const auto& tx : log.transactions()) {
      s.size += tx.size;
      s.private_transactions += tx.is_private ? 1 : 0;
    }
    s.last_signature = log.last_signature();
    if (log.count() > 0) s.last_made_at = log.transactions().back().made_at;
    r.sessions.push_back(std::move(s));
  }
  c.peers.for_each([&](peer_key key, const peer_entry& e) {
    inspected_peer p;
    p.peer_id = e.record.peer_id;
    p.upstream = self->state.ctx.upstream && self->state.ctx.upstream->peer.id() == key;
    p.has_header = e.record.said.header;
    for (const auto& [session, count] : e.record.said.sessions) p.transactions += count;
    r.peers.push_back(p);
  });
  return r;
}

availability available_now(self_ptr self) {
  const auto* h = parts_of(self).cv.header();
  return availability{self->state.id, true, h->is_account(), h->is_account() ? h->initial_admin : std::string()};
}

covalue_impl::behavior_type covalue_behavior(self_ptr self, std::string id, covalue_context context) {
  auto& st = self->state;
  st.id = std::move(id);
  st.ctx = std::move(context);
  st.p = std::make_unique<covalue_actor_state::parts>(st.id, st.ctx.options.idle_timeout);
  st.requests = request_deadlines(st.ctx.timers);
  st.probe = st.ctx.metrics->actors.enroll(covalue_actor_state::name, self->id());

  self->set_down_handler([=](caf::down_msg& down) {
    parts_of(self).peers.erase(down.source.id());
    touched(self);
  });

  // Nothing else is handled until storage answers: messages wait in the mailbox.
  self->request(st.ctx.storage, caf::infinite, load_request{st.id, std::nullopt})
      .await(
          [=](load_reply& reply) {
            if (reply.covalue) restore(self, std::move(*reply.covalue));
            touched(self);
          },
          [=](caf::error& err) {
            // The storage writer is gone (shutdown): serving this CoValue as empty
            // would hide what is stored, so the actor stops.
            log::error(actor_origin(self), "storage load failed",
                       {{"id", self->state.id}, {"error", self->system().render(err)}});
            self->quit(err);
          });

  return {
      probed(self, [=](from_peer& msg) { on_message(self, msg); }),
      probed(self,
             [=](availability_query& q) -> caf::result<availability> {
               auto& c = parts_of(self);
               c.retire.routed();
               ensure_upstream(self);
               if (c.cv.has_header()) return available_now(self);
               auto promise = self->make_response_promise<availability>();
               c.header_waiters.push_back(promise);
               // Ask the peer that needs us; it is assumed to have us (cojson does the same).
               auto& p = entry_for(self, q.ask, q.ask_id).record;
               if (!p.asked_for_header) {
                 p.asked_for_header = true;
                 send_to(self, q.ask, protocol::encode_load(known_state{self->state.id, false, {}}), 0, action::load);
               }
               return promise;
             }),
      probed(self,
             [=](dependency_push& q) -> caf::result<push_done> {
               auto& c = parts_of(self);
               c.retire.routed();
               if (!is_upstream(self, q.peer)) ensure_upstream(self);
               if (!c.cv.has_header()) return push_done{self->state.id};
               auto promise = self->make_response_promise<push_done>();
               auto& e = entry_for(self, q.peer, q.peer_id);
               // A peer that dropped content it could not queue holds this much, and
               // what it told us since. It sends held dependencies first itself.
               if (q.resend_from) e.record.resend_from(std::move(*q.resend_from), c.deps_generation);
               e.link.push_waiters.push_back(promise);
               push_to(self, q.peer.id(), false, q.visited);
               return promise;
             }),
      probed(self,
             [=](known_query&) -> known_reply {
               auto& c = parts_of(self);
               c.retire.routed();
               if (!c.cv.has_header()) return known_reply{self->state.id, false, {}};
               return known_reply{self->state.id, true, claimable(self).sessions};
             }),
      probed(self,
             [=](snapshot_query&) -> snapshot_reply {
               auto& c = parts_of(self);
               c.retire.routed();
               if (!c.cv.has_header()) return snapshot_reply{self->state.id, nullptr};
               return snapshot_reply{self->state.id, std::make_shared<const protocol::covalue_state>(c.cv)};
             }),
      probed(self,
             [=](inspect_query& q) -> inspect_reply {
               parts_of(self).retire.routed();
               touched(self);
               return inspect(self, q.in_memory);
             }),
      probed(self,
             [=](idle_tick_atom) {
               auto out = parts_of(self).retire.tick(steady_clock::now(), idle(self));
               if (out.wait) self->state.ctx.timers->send_later(*out.wait, self, idle_tick_atom::value);
               if (out.ask_to_retire) ask_to_retire(self);
             }),
      probed(self,
             [=](drain_atom) {
               flush_staged(self);
               touched(self);
             }),
      probed(self, [=](persist_atom) { rewrite_all(self); }),
      probed(self, [=](request_overdue& r) { self->state.requests.overdue(r.token); }),
      probed(self, [=](storage_changed& change) { storage_changed_elsewhere(self, &change.change); }),
      probed(self, [=](storage_resync) { storage_changed_elsewhere(self, nullptr); }),
      probed(self,
             [=](upstream_link& link) {
               // Not routed by the manager as a peer's message: not counted as received.
               auto& c = parts_of(self);
               self->state.ctx.upstream = link;  // the same peer actor for the process's lifetime
               c.upstream.reconnected();
               if (auto* e = c.peers.find(link.peer.id())) e->record.reconnected(self->state.id);
               subscribe_upstream(self);
               touched(self);
             }),
      probed(self,
             [=](upstream_wait_over& wait) {
               auto waiting = parts_of(self).upstream.wait_over(wait.subscription);
               if (waiting.empty()) return;
               log::debug(actor_origin(self), "the upstream did not answer in time; loads answered with what we have",
                          {{"id", self->state.id}, {"waiting", waiting.size()}});
               answer_loads(self, waiting);
               touched(self);
             }),
      probed(self,
             [=](evict_atom) {
               if (parts_of(self).retire.evict(idle(self, false))) ask_to_retire(self);
             }),
      probed(self,
             [=](retire_decision& d) {
               if (parts_of(self).retire.decided(d.granted)) {
                 self->quit();
                 return;
               }
               touched(self);
             }),
  };
}

}  // namespace
}  // namespace moai::actors::covalue_internal

namespace moai::actors {

covalue_actor spawn_covalue_actor(caf::actor_system& system, std::string id, covalue_context context) {
  return caf::actor_cast<covalue_actor>(system.spawn(covalue_internal::covalue_behavior, std::move(id), std::move(context)));
}

}  // namespace moai::actors
