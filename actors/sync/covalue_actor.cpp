#include "actors/sync/covalue_actor.hpp"

#include <functional>
#include <set>
#include <utility>

#include "actors/observability/inspection.hpp"
#include "actors/sync/content_encoding.hpp"
#include "actors/sync/content_queue.hpp"
#include "actors/sync/covalue_peers.hpp"
#include "actors/sync/durability.hpp"
#include "actors/sync/retirement.hpp"
#include "actors/sync/upstream_subscription.hpp"
#include "config/log.hpp"
#include "protocol/groups/deletion.hpp"
#include "protocol/sync/codec.hpp"
#include "protocol/sync/content_apply.hpp"
#include "storage/session_batches.hpp"
#include "storage/stored_state.hpp"

namespace moai::actors {

// The actor's own turns and timers: not part of its public type.
struct upstream_wait_over {
  std::uint64_t subscription = 0;  // tells the timer of an earlier subscription apart
};

}  // namespace moai::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::upstream_wait_over)

namespace moai::actors {
namespace {

using namespace std::chrono;
using protocol::content_message;
using protocol::known_state;

using idle_tick_atom = caf::atom_constant<caf::atom("idletick")>;  // idle long enough to retire?
using drain_atom = caf::atom_constant<caf::atom("drain")>;         // apply what was staged
using persist_atom = caf::atom_constant<caf::atom("persist")>;     // rewrite after a failed write

using covalue_impl = covalue_actor::extend<caf::reacts_to<idle_tick_atom>, caf::reacts_to<drain_atom>,
                                           caf::reacts_to<persist_atom>, caf::reacts_to<upstream_wait_over>>;

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
    parts(const std::string& id, milliseconds idle) : cv(id), durable(id), upstream(id), retire(idle) {}
    protocol::covalue_state cv;
    peer_table<peer_link> peers;
    durability durable;
    content_queue<sender> queue;
    upstream_subscription upstream;
    retirement retire;
    content_encoding encoding;
    protocol::session_signers signers;
    std::uint64_t deps_generation = 1;  // bumped when the CoValue's dependencies change
    std::size_t deps_seen = 0;
    // Stored rows that could not be read back: content written for them replaces them.
    std::set<std::string> unreadable_sessions;
    bool unreadable_header = false;
    std::vector<caf::typed_response_promise<availability>> header_waiters;
  };
  std::unique_ptr<parts> p;
  std::shared_ptr<actor_probe> probe;
  static inline const char* name = "covalue";
};

using self_ptr = covalue_impl::stateful_pointer<covalue_actor_state>;
using peer_entry = peer_table<peer_link>::entry;

covalue_actor_state::parts& parts_of(self_ptr self) {
  return *self->state.p;
}

int content_priority(const protocol::covalue_state& cv) {
  const auto* h = cv.header();
  return static_cast<int>(h ? h->content_priority() : protocol::priority::medium);
}

void send_to(self_ptr self, const sync_peer& peer, std::string message, int priority, action kind) {
  self->state.ctx.metrics->count_out(kind);
  self->send(peer, outgoing_messages{{std::move(message)}, priority, {}, {}, false, {}});
}

void send_known(self_ptr self, const sync_peer& peer, const known_state& known, bool correction = false) {
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

bool idle(self_ptr self, bool until_upstream_has_it = true) {
  auto& c = parts_of(self);
  const auto& up = self->state.ctx.upstream;
  activity a;
  a.peers = c.peers.size() - (up && c.peers.contains(up->peer.id()) ? 1 : 0);
  a.content_waiting = !c.queue.empty() || c.queue.waiting_for_dependencies();
  a.storage_unsettled = !c.durable.settled();
  a.header_waiters = !c.header_waiters.empty();
  a.upstream_lacks_ours = !c.upstream.holds_all(c.cv.known());
  return is_idle(a, until_upstream_has_it);
}

void touched(self_ptr self) {
  if (auto delay = parts_of(self).retire.touched(steady_clock::now(), idle(self))) {
    self->delayed_send(self, *delay, idle_tick_atom::value);
  }
}

void ask_to_retire(self_ptr self) {
  self->send(self->state.ctx.manager, retire_request{self->state.id, parts_of(self).retire.received()});
}

// ---- subscriptions at the upstream (sync mode with PEER_MOAI) ----

// Subscribes at the upstream as a cojson client does at its server: a load with what we
// hold, at low priority (after a reconnection every CoValue in memory does it, guide §2.8).
void subscribe_upstream(self_ptr self) {
  auto& c = parts_of(self);
  if (!self->state.ctx.upstream) return;
  if (auto timer = c.upstream.subscribe()) {
    self->delayed_send(self, self->state.ctx.options.upstream_load_timeout, upstream_wait_over{*timer});
  }
  auto& u = entry_for(self, self->state.ctx.upstream->peer, self->state.ctx.upstream->peer_id);
  u.record.subscribed(c.cv.known(), c.cv.has_header());
  send_to(self, u.link.handle, protocol::encode_load(c.cv.known()), 6, action::load);
}

void ensure_upstream(self_ptr self) {
  if (!parts_of(self).upstream.subscribed()) subscribe_upstream(self);
}

// ---- pushing what peers lack, dependencies first ----

void push_to(self_ptr self, peer_key key, bool force_known, const std::vector<std::string>& visited);

void send_content(self_ptr self, peer_entry& e, bool force_known) {
  auto& c = parts_of(self);
  auto& p = e.record;
  const bool resend = std::exchange(p.resend_next, false);
  auto pieces = c.encoding.for_peer(c.cv, p.known, c.peers.size() > 1);
  if (!pieces.empty()) {
    for (std::size_t i = 0; i < pieces.size(); ++i) self->state.ctx.metrics->count_out(action::content);
    outgoing_messages out{std::move(pieces), content_priority(c.cv), self->state.id, p.known, resend, {}};
    if (resend) out.dependencies.assign(c.cv.dependencies().begin(), c.cv.dependencies().end());
    self->send(e.link.handle, std::move(out));
    protocol::merge_into(p.known, c.cv.known());
  } else if (force_known || !p.told_known) {
    send_known(self, e.link.handle, known_for(self, p.known));
  }
  p.told_known = true;
  for (auto& w : std::exchange(e.link.push_waiters, {})) w.deliver(push_done{self->state.id});
}

void finish_push(self_ptr self, peer_key key, std::uint64_t generation, bool force_known) {
  auto* e = parts_of(self).peers.find(key);
  if (!e) return;
  e->record.dependencies_pushed(generation);
  send_content(self, *e, force_known);
  bool again_force = false;
  if (e->record.take_push_again(again_force)) push_to(self, key, again_force, {});
}

void push_to(self_ptr self, peer_key key, bool force_known, const std::vector<std::string>& visited) {
  auto& c = parts_of(self);
  auto* e = c.peers.find(key);
  if (!e || !c.cv.has_header()) return;
  const std::uint64_t generation = c.deps_generation;
  auto plan =
      e->record.plan_push(force_known, c.cv.dependencies(), generation, visited, is_upstream(self, e->link.handle));
  if (plan.next == push_plan::step::wait) return;
  if (plan.next == push_plan::step::send) {
    send_content(self, *e, force_known);
    return;
  }
  std::vector<std::string> chain = visited;
  chain.push_back(self->state.id);
  auto remaining = std::make_shared<std::size_t>(plan.dependencies.size());
  auto done = [=] {
    if (--*remaining == 0) finish_push(self, key, generation, force_known);
  };
  for (const auto& d : plan.dependencies) {
    self->request(self->state.ctx.manager, self->state.ctx.options.push_timeout,
                  dependency_push{d, e->link.handle, e->record.peer_id, chain, std::nullopt})
        .then([=](push_done&) { done(); },
              [=](caf::error& err) {
                log::debug(actor_origin(self), "dependency push did not finish in time",
                           {{"id", self->state.id}, {"dependency", d}, {"error", self->system().render(err)}});
                done();
              });
  }
}

void push_to_all(self_ptr self) {
  auto& c = parts_of(self);
  // The upstream learns what we have once it answered our load (it may hold it all).
  const auto& up = self->state.ctx.upstream;
  const peer_key hold_back = up && !c.upstream.answered() ? up->peer.id() : 0;
  for (auto key : c.peers.push_targets(hold_back)) push_to(self, key, false, {});
}

// Answers the loads that waited for the upstream with what we have now.
void answer_loads(self_ptr self, const std::vector<peer_key>& waiting) {
  auto& c = parts_of(self);
  for (auto key : waiting) {
    auto* e = c.peers.find(key);
    if (!e) continue;
    if (c.cv.has_header()) {
      push_to(self, key, true, {});
    } else {
      send_known(self, e->link.handle, known_state{self->state.id, false, {}});
      e->record.told_known = true;
    }
  }
}

// ---- storing, and acknowledging only what is stored ----

// Everything the CoValue holds, as one write: the store trims what it already has, so
// this fills whatever a failed write left out.
storage::covalue_write full_write(self_ptr self) {
  auto& c = parts_of(self);
  storage::covalue_write write;
  write.id = self->state.id;
  if (c.cv.header()) write.header = c.cv.header()->json;
  write.replace_header = c.unreadable_header;
  write.deleted = c.cv.is_deleted();
  for (const auto& log : c.cv.sessions()) {
    storage::append_session_batches(write, log, 0, c.unreadable_sessions.count(log.id()) > 0);
  }
  return write;
}

// A write was not stored: its acknowledgement waits for a rewrite that is.
void hold_ack(self_ptr self, const sync_peer& peer, bool correction, const std::string& why) {
  bool first = false;
  auto rewrite_in = parts_of(self).durable.hold(peer.id(), correction, first);
  if (first) {
    log::warn(actor_origin(self), "content not stored; acknowledgements held until a rewrite succeeds",
              {{"id", self->state.id}, {"reason", why}});
  }
  if (rewrite_in) self->delayed_send(self, *rewrite_in, persist_atom::value);
}

void rewrite_all(self_ptr self) {
  auto& c = parts_of(self);
  c.durable.rewrite_started();
  auto done = [=, written = c.cv.known()](bool ok) {
    auto& c = parts_of(self);
    std::optional<milliseconds> retry;
    auto released = c.durable.rewrite_finished(ok, written, retry);
    if (retry) self->delayed_send(self, *retry, persist_atom::value);
    if (!ok) return;
    log::info(actor_origin(self), "content stored after a failed write; acknowledgements sent",
              {{"id", self->state.id}, {"peers", released.size()}});
    for (const auto& h : released) {
      auto* e = c.peers.find(h.peer);
      if (!e) continue;  // gone meanwhile
      send_known(self, e->link.handle, claim_to(c.cv.is_deleted(), c.durable.durable(), e->record.known),
                 h.correction);
    }
    touched(self);
  };
  self->request(self->state.ctx.storage, caf::infinite, write_request{full_write(self)})
      .then([=](write_ack& ack) { done(ack.ok); }, [=](caf::error&) { done(false); });
}

// ---- applying content ----

void note_dependency_changes(covalue_actor_state::parts& c) {
  if (c.cv.dependencies().size() != c.deps_seen) {
    c.deps_seen = c.cv.dependencies().size();
    c.deps_generation++;
  }
}

// The CoValue now has a header: answer everyone who waited for it.
void header_arrived(self_ptr self) {
  auto& c = parts_of(self);
  const auto* h = c.cv.header();
  availability a{self->state.id, true, h->is_account(), h->is_account() ? h->initial_admin : std::string()};
  for (auto& w : std::exchange(c.header_waiters, {})) w.deliver(a);
  // Loads that waited for the upstream get the content with every other peer.
  c.upstream.header_arrived();
}

rejection rejection_of(protocol::content_fault fault) {
  switch (fault) {
    case protocol::content_fault::invalid_transaction: return rejection::invalid_transaction;
    case protocol::content_fault::invalid_delete: return rejection::invalid_delete;
    case protocol::content_fault::unknown_signer: return rejection::unknown_signer;
    case protocol::content_fault::invalid_signature: break;
  }
  return rejection::invalid_signature;
}

// Verifies, applies and stores content whose dependencies are available; acknowledges
// it once stored, and pushes it to every peer.
void apply(self_ptr self, content_queue<sender>::item&& item) {
  auto& c = parts_of(self);
  const std::string& id = self->state.id;
  auto& e = entry_for(self, item.from.handle, item.from.peer_id);
  auto& p = e.record;
  if (p.errored) return;
  protocol::account_lookup accounts = [&](const std::string& account) -> std::optional<protocol::account_facts> {
    if (account == id && c.cv.header()) return protocol::account_facts{c.cv.header()->is_account(), c.cv.header()->initial_admin};
    return c.queue.facts_of(account);
  };
  auto judge = [&](const protocol::session_content& entry, std::uint32_t held) {
    return protocol::check_delete_session(c.cv, entry, held, item.groups.get());
  };
  auto out = protocol::apply_content(c.cv, item.message, c.signers, accounts, judge);
  if (out.needs_header) {
    // The sender assumed we have it: ask for everything (cojson's requestFullContent).
    send_known(self, e.link.handle, known_state{id, false, {}}, true);
    p.told_known = true;
    return;
  }
  for (const auto& f : out.faults) {
    self->state.ctx.metrics->reject(rejection_of(f.kind));
    p.errored = true;
    log::warn(actor_origin(self), "content rejected; ignoring this peer for this CoValue",
              {{"id", id}, {"peer", p.peer_id}, {"session", f.session_id}, {"reason", f.why}});
  }
  self->state.ctx.metrics->transactions_accepted += out.transactions_added;
  if (out.deleted) log::info(actor_origin(self), "CoValue deleted", {{"id", id}, {"session", out.deleted_by}});
  storage::covalue_write write;
  write.id = id;
  if (out.header_new) {
    write.header = c.cv.header()->json;
    write.replace_header = c.unreadable_header;
  }
  write.deleted = out.deleted;
  for (const auto& [session_id, from] : out.appended) {
    storage::append_session_batches(write, *c.cv.find_session(session_id), from,
                                    c.unreadable_sessions.count(session_id) > 0);
  }
  note_dependency_changes(c);
  if (out.header_new) header_arrived(self);

  p.content_applied(item.message, out.accepted, c.cv.is_deleted());
  const bool gap = out.gap;
  std::string reply = protocol::encode_known(gap ? claimable(self) : known_for(self, p.known), gap);
  auto peer = e.link.handle;
  if (out.header_new || !write.batches.empty()) {
    // Acknowledge only what is durable: the known reply waits for the commit.
    c.durable.write_started();
    known_state written = std::move(out.accepted);
    self->request(self->state.ctx.storage, caf::infinite, write_request{std::move(write)})
        .then(
            [=](write_ack& ack) {
              if (parts_of(self).durable.write_finished(ack.ok, written)) {
                send_to(self, peer, reply, 0, action::known);
              } else {
                hold_ack(self, peer, gap, ack.ok ? "an earlier write failed" : "storage failed");
              }
            },
            [=](caf::error& err) {
              parts_of(self).durable.write_finished(false, written);
              hold_ack(self, peer, gap, "storage writer unreachable: " + self->system().render(err));
            });
  } else if (c.durable.unstored()) {
    hold_ack(self, peer, gap, "a rewrite is pending");
  } else {
    send_to(self, peer, std::move(reply), 0, action::known);
  }
  push_to_all(self);
}

void drain(self_ptr self);

void request_availability(self_ptr self, const std::string& dep, const sender& via) {
  auto& st = self->state;
  auto on_missing = [=](const std::string& dependency, const std::string& why, const std::string& error) {
    auto& c = parts_of(self);
    log::warn(actor_origin(self), why, {{"id", self->state.id}, {"dependency", dependency}, {"error", error}});
    c.queue.dependency_missing(self->state.id, c.cv.header(), dependency);
    drain(self);
  };
  self->request(st.ctx.manager, st.ctx.options.dependency_timeout, availability_query{dep, via.handle, via.peer_id})
      .then(
          [=](availability& a) {
            if (!a.available) return on_missing(a.id, "dependency not found; dropping content that needs it", "");
            parts_of(self).queue.dependency_available(a.id, {a.is_account, a.initial_admin});
            drain(self);
          },
          [=](caf::error& err) {
            on_missing(dep, "dependency did not arrive in time; dropping content that needs it",
                       self->system().render(err));
          });
}

// Fetches snapshots of the owning group and its ancestors for the front of the queue
// (a delete is judged by their roles). Bounded: a few groups, never a crawl.
void fetch_groups(self_ptr self, const std::string& owner) {
  constexpr std::size_t kMaxGroups = 32;
  auto registry = std::make_shared<protocol::group_registry>();
  auto requested = std::make_shared<std::set<std::string>>();
  auto outstanding = std::make_shared<int>(0);
  auto finish = [=] {
    parts_of(self).queue.groups_fetched(registry);
    drain(self);
  };
  // The function holds itself only weakly (a strong self-reference would never be
  // freed); the replies in flight keep it alive.
  auto request = std::make_shared<std::function<void(const std::string&)>>();
  std::weak_ptr<std::function<void(const std::string&)>> weak_request = request;
  *request = [=](const std::string& id) {
    if (requested->size() >= kMaxGroups || !requested->insert(id).second) return;
    auto request = weak_request.lock();
    ++*outstanding;
    self->request(self->state.ctx.manager, self->state.ctx.options.dependency_timeout, snapshot_query{id})
        .then(
            [=](snapshot_reply& reply) {
              if (reply.state) {
                for (const auto& parent : protocol::referenced_parent_groups(*reply.state)) (*request)(parent);
                registry->add(*reply.state);
              }
              if (--*outstanding == 0) finish();
            },
            [=](caf::error&) {
              if (--*outstanding == 0) finish();
            });
  };
  (*request)(owner);
}

// Applies queued content in arrival order while what it needs is at hand.
void drain(self_ptr self) {
  auto& c = parts_of(self);
  for (;;) {
    auto step = c.queue.next(self->state.id, c.cv.header());
    using kind = content_queue<sender>::step::kind;
    if (step.next == kind::idle) break;
    if (step.next == kind::ask) {
      for (const auto& d : step.ask_for) request_availability(self, d, *step.via);
      break;
    }
    if (step.next == kind::fetch_groups) {
      fetch_groups(self, c.queue.front_owner(c.cv.header()));
      break;
    }
    apply(self, std::move(*step.ready));
  }
  // Everything received is applied (or dropped): a deferred subscription goes out.
  if (c.upstream.subscribe_due(c.queue.empty())) subscribe_upstream(self);
}

void flush_staged(self_ptr self) {
  auto& c = parts_of(self);
  if (!c.queue.has_staged()) return;
  c.queue.flush_staged();
  drain(self);
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
    if (timer) self->delayed_send(self, self->state.ctx.options.upstream_load_timeout, upstream_wait_over{*timer});
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
  c.unreadable_header = report.header_unreadable;
  c.unreadable_sessions = std::move(report.cut_sessions);
  if (c.unreadable_header) return;
  c.durable.restored(c.cv.known());
  note_dependency_changes(c);
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
  st.probe = st.ctx.metrics->actors.enroll(covalue_actor_state::name, self->id());

  self->set_down_handler([=](caf::down_msg& down) {
    parts_of(self).peers.erase(down.source.id());
    touched(self);
  });

  // Nothing else is handled until storage answers: messages wait in the mailbox.
  self->request(st.ctx.storage, caf::infinite, load_request{st.id})
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
             [=](idle_tick_atom) {
               auto out = parts_of(self).retire.tick(steady_clock::now(), idle(self));
               if (out.wait) self->delayed_send(self, *out.wait, idle_tick_atom::value);
               if (out.ask_to_retire) ask_to_retire(self);
             }),
      probed(self,
             [=](drain_atom) {
               flush_staged(self);
               touched(self);
             }),
      probed(self, [=](persist_atom) { rewrite_all(self); }),
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

covalue_actor spawn_covalue_actor(caf::actor_system& system, std::string id, covalue_context context) {
  return caf::actor_cast<covalue_actor>(system.spawn(covalue_behavior, std::move(id), std::move(context)));
}

}  // namespace moai::actors
