#include "actors/sync/covalue_actor.hpp"

#include <algorithm>
#include <list>
#include <map>
#include <set>
#include <unordered_map>
#include <utility>

#include "actors/sync/retry_backoff.hpp"
#include "config/log.hpp"
#include "protocol/crypto/keys.hpp"
#include "protocol/encoding/ids.hpp"
#include "protocol/groups/deletion.hpp"
#include "protocol/groups/group.hpp"
#include "protocol/sync/coalesce.hpp"
#include "protocol/sync/codec.hpp"
#include "protocol/sync/covalue_state.hpp"
#include "storage/session_batches.hpp"

namespace moai::actors {

using namespace std::chrono;
using protocol::content_message;
using protocol::known_state;

namespace {

// What we know of one peer that talks about this CoValue.
struct peer_entry {
  peer_actor handle;
  std::uint64_t peer_id = 0;
  known_state known;        // optimistic: what we believe the peer holds
  known_state said;         // what the peer itself told us it holds (loads, knowns, content)
  bool told_known = false;  // we have told it our state at least once
  bool errored = false;     // it sent invalid content: ignore it for this CoValue
  bool asked_for_header = false;
  bool said_not_found = false;
  std::uint64_t deps_pushed_generation = 0;
  bool push_in_flight = false;
  bool push_again = false;
  bool push_again_force_known = false;
  // The peer held content back and asked for it again: the next content is its resend.
  bool resend_next = false;
  std::vector<caf::typed_response_promise<push_done>> push_waiters;
};

struct pending_content {
  peer_actor peer;
  std::uint64_t peer_id;
  content_message message;
  // The owning group and its ancestors, fetched before a delete is judged.
  std::shared_ptr<protocol::group_registry> groups;
  bool groups_fetched = false;
};

struct dependency_info {
  bool is_account = false;
  std::string initial_admin;
};

struct covalue_actor_state {
  std::string id;
  covalue_context ctx;
  std::unique_ptr<protocol::covalue_state> cv;
  std::unordered_map<caf::actor_id, peer_entry> peers;
  std::unordered_map<std::string, dependency_info> available;
  std::set<std::string> awaiting;
  // A list: an empty std::deque holds about 600 bytes, in every CoValue in memory.
  std::list<pending_content> pending;
  // Content received since the last drain: a burst from one peer is verified as one.
  std::vector<pending_content> staged;
  bool drain_scheduled = false;
  std::vector<caf::typed_response_promise<availability>> header_waiters;
  std::unordered_map<std::string, protocol::key32> signer_keys;  // agent ID → Ed25519 key
  std::uint64_t deps_generation = 1;
  std::size_t deps_seen = 0;
  std::uint64_t received = 0;  // messages routed to us by the manager (retire handshake)
  std::uint32_t writes_in_flight = 0;
  // What the database holds, as far as its acknowledgements tell.
  known_state durable;
  // Stored rows that could not be read back (load_from_storage cut their sessions short,
  // or the header): verified content written for them replaces those rows, where an
  // ordinary write would be trimmed against them and lost on the next load.
  std::set<std::string> unreadable_sessions;
  bool unreadable_header = false;
  // With an upstream (ctx.upstream): we sent it a load (or it sent us something, so it
  // knows us), it answered since, and the peers whose load of a CoValue we lack waits
  // for that answer.
  bool upstream_subscribed = false;
  // Content the upstream pushed unasked is applied before we subscribe (the load then
  // says we have it, so the upstream does not send it again).
  bool subscribe_when_applied = false;
  bool upstream_answered = false;
  bool upstream_gave_up = false;  // it did not answer in time: loads stop waiting for it
  // What the upstream said it holds (its known states, which it sends after storing,
  // and content it sent us). Until it covers ours the actor stays in memory, so what
  // we took while the link was down is still here to push once it is back.
  known_state upstream_holds;
  bool upstream_wait_scheduled = false;
  std::uint64_t upstream_subscription = 0;  // counts subscriptions (upstream_wait_over)
  std::vector<caf::actor_id> loads_waiting;
  // After a failed write memory is ahead of the database: acknowledgements are held
  // back (one per peer) until a rewrite of everything held (persist_all) is stored.
  struct held_reply {
    peer_actor peer;
    bool correction = false;
  };
  std::vector<held_reply> held_replies;
  bool persist_scheduled = false;
  bool persist_in_flight = false;
  milliseconds persist_backoff{0};
  steady_clock::time_point last_activity = steady_clock::now();
  bool tick_scheduled = false;
  bool retire_requested = false;
  bool fetching_groups = false;
  std::shared_ptr<actor_probe> probe;
  // Subscribers mostly hold the same state, so what one lacks is encoded once per
  // change of cv (its revision), when there is more than one subscriber to share it.
  struct encoded_content {
    std::uint64_t revision = 0;
    known_state peer;
    std::vector<std::string> pieces;
  };
  std::optional<encoded_content> last_encoded;
  static inline const char* name = "covalue";
};

using self_ptr = covalue_actor::stateful_pointer<covalue_actor_state>;

int content_priority(const covalue_actor_state& st) {
  const auto* h = st.cv->header();
  return static_cast<int>(h ? h->content_priority() : protocol::priority::medium);
}

void send_to(self_ptr self, const peer_actor& peer, std::vector<std::string> messages, int priority, action kind) {
  for (std::size_t i = 0; i < messages.size(); ++i) self->state.ctx.metrics->count_out(kind);
  self->send(peer, outgoing_messages{std::move(messages), priority, {}, {}, false, {}});
}

void send_known(self_ptr self, const peer_actor& peer, const known_state& known, bool correction = false) {
  send_to(self, peer, {protocol::encode_known(known, correction)}, 0, action::known);
}

void maybe_schedule_tick(self_ptr self);

// Everything the CoValue holds, as one write: the store trims what it already has, so
// this fills whatever a failed write left out.
storage::covalue_write full_write(const covalue_actor_state& st) {
  storage::covalue_write write;
  write.id = st.id;
  if (st.cv->header()) write.header = st.cv->header()->json;
  write.replace_header = st.unreadable_header;
  write.deleted = st.cv->is_deleted();
  for (const auto& log : st.cv->sessions()) {
    storage::append_session_batches(write, log, 0, st.unreadable_sessions.count(log.id()) > 0);
  }
  return write;
}

void schedule_persist(self_ptr self) {
  auto& st = self->state;
  if (st.persist_scheduled || st.persist_in_flight) return;
  st.persist_scheduled = true;
  st.persist_backoff = next_retry_backoff(st.persist_backoff);
  self->delayed_send(self, st.persist_backoff, persist_atom::value);
}

// Memory holds content the database refused: until a rewrite stores it, peers are
// told only what is stored (to a client, our known state is an acknowledgement).
bool unstored(const covalue_actor_state& st) {
  return !st.held_replies.empty() || st.persist_scheduled || st.persist_in_flight;
}

// The state we may claim to hold.
known_state claimable(const covalue_actor_state& st) {
  return unstored(st) ? st.durable : st.cv->known();
}

// A write was not stored: its acknowledgement waits for a rewrite that is.
void hold_reply(self_ptr self, const peer_actor& peer, bool correction, const std::string& why) {
  auto& st = self->state;
  if (st.held_replies.empty()) {
    log::warn(actor_origin(self), "content not stored; acknowledgements held until a rewrite succeeds",
              {{"id", st.id}, {"reason", why}});
  }
  auto same =
      std::find_if(st.held_replies.begin(), st.held_replies.end(), [&](const auto& h) { return h.peer == peer; });
  if (same == st.held_replies.end()) {
    st.held_replies.push_back({peer, correction});
  } else {
    same->correction = same->correction || correction;
  }
  schedule_persist(self);
}

known_state claim_to(const covalue_actor_state& st, known_state base, const known_state& peer_claims);

void persist_all(self_ptr self) {
  auto& st = self->state;
  st.persist_scheduled = false;
  st.persist_in_flight = true;
  st.writes_in_flight++;
  auto done = [=, written = st.cv->known()](bool ok) {
    auto& st = self->state;
    st.persist_in_flight = false;
    st.writes_in_flight--;
    if (!ok) {
      schedule_persist(self);
      return;
    }
    st.persist_backoff = milliseconds(0);
    protocol::merge_into(st.durable, written);
    // Every held acknowledgement is answered with what is now stored; content that
    // arrived meanwhile is acknowledged by its own write.
    auto held = std::move(st.held_replies);
    st.held_replies.clear();
    log::info(actor_origin(self), "content stored after a failed write; acknowledgements sent",
              {{"id", st.id}, {"peers", held.size()}});
    for (const auto& h : held) {
      auto it = st.peers.find(h.peer.id());
      if (it == st.peers.end()) continue;  // gone meanwhile
      send_known(self, h.peer, claim_to(st, st.durable, it->second.known), h.correction);
    }
    maybe_schedule_tick(self);
  };
  self->request(st.ctx.storage, caf::infinite, write_request{full_write(st)})
      .then([=](write_ack& ack) { done(ack.ok); }, [=](caf::error&) { done(false); });
}

peer_entry& entry_for(self_ptr self, const peer_actor& peer, std::uint64_t peer_id) {
  auto& st = self->state;
  auto [it, inserted] = st.peers.try_emplace(peer.id());
  if (inserted) {
    it->second.handle = peer;
    it->second.peer_id = peer_id;
    it->second.known = known_state{st.id, false, {}};
    it->second.said = known_state{st.id, false, {}};
    self->monitor(peer);  // its down message drops the entry
  }
  return it->second;
}

bool is_upstream(const covalue_actor_state& st, const peer_actor& peer) {
  return st.ctx.upstream && st.ctx.upstream->peer == peer;
}

// Subscribes this CoValue at the upstream as a cojson client does at its server: a load
// with what we hold. The upstream answers with what we lack (or its known state, from
// which we push what it lacks) and sends what it gets later.
// Until it answers, nothing is pushed to it (push_to_all): it may hold it all already.
// Subscriptions go at low priority (guide §2.8): after a reconnection there is one per
// CoValue in memory.
void subscribe_upstream(self_ptr self) {
  auto& st = self->state;
  if (!st.ctx.upstream) return;
  st.upstream_subscribed = true;
  st.subscribe_when_applied = false;
  st.upstream_answered = false;
  st.upstream_gave_up = false;
  st.upstream_subscription++;
  if (!st.loads_waiting.empty()) {  // they wait for this subscription's answer, timer and all
    st.upstream_wait_scheduled = true;
    self->delayed_send(self, st.ctx.options.upstream_load_timeout, upstream_wait_over{st.upstream_subscription});
  } else {
    st.upstream_wait_scheduled = false;
  }
  peer_entry& u = entry_for(self, st.ctx.upstream->peer, st.ctx.upstream->peer_id);
  // Assumed to hold what we hold: a moai upstream answers a load with its known state
  // first when it lacks something of ours (on_load), and that replaces this.
  protocol::merge_into(u.known, st.cv->known());
  u.told_known = true;
  u.asked_for_header = !st.cv->has_header();
  u.said_not_found = false;
  send_to(self, u.handle, {protocol::encode_load(st.cv->known())}, 6, action::load);
}

// A new connection to the upstream: it may be a restarted server that lost what it had
// of us (or the link dropped what we sent), so what we believed it holds is forgotten.
void forget_upstream_state(self_ptr self) {
  auto& st = self->state;
  st.upstream_holds = known_state{st.id, false, {}};
  auto it = st.ctx.upstream ? st.peers.find(st.ctx.upstream->peer.id()) : st.peers.end();
  if (it == st.peers.end()) return;
  it->second.known = known_state{st.id, false, {}};
  it->second.errored = false;
  it->second.deps_pushed_generation = 0;
}

// What a message from the upstream says it holds: its known state, the state its load
// states (e.g. asked for by its reconcile), or the content it sent.
void note_upstream_holds(covalue_actor_state& st, const protocol::sync_message& message) {
  if (const auto* k = std::get_if<protocol::known_message>(&message)) {
    if (k->is_correction)
      st.upstream_holds = k->known;
    else
      protocol::merge_into(st.upstream_holds, k->known);
  } else if (const auto* l = std::get_if<protocol::load_message>(&message)) {
    protocol::merge_into(st.upstream_holds, l->known);
  } else if (const auto* c = std::get_if<protocol::content_message>(&message)) {
    if (c->header) st.upstream_holds.header = true;
    for (const auto& e : c->sessions) {
      auto& n = st.upstream_holds.sessions[e.session_id];
      n = std::max(n, e.after + static_cast<std::uint32_t>(e.transactions.size()));
    }
  }
}

void ensure_upstream(self_ptr self) {
  if (!self->state.upstream_subscribed) subscribe_upstream(self);
}

void note_dependency_changes(covalue_actor_state& st) {
  if (st.cv->dependencies().size() != st.deps_seen) {
    st.deps_seen = st.cv->dependencies().size();
    st.deps_generation++;
  }
}

void push_to(self_ptr self, caf::actor_id peer_key, bool force_known, const std::vector<std::string>& visited);

// `base` as told to a peer. A deleted CoValue also claims everything the peer has
// (cojson's stopSyncingKnownStateMessage), so old clients stop uploading.
known_state claim_to(const covalue_actor_state& st, known_state base, const known_state& peer_claims) {
  if (st.cv->is_deleted()) protocol::merge_into(base.sessions, peer_claims.sessions);
  return base;
}

known_state known_for(const covalue_actor_state& st, const known_state& peer_claims) {
  return claim_to(st, claimable(st), peer_claims);
}

// Sends `p` what it lacks of this CoValue (dependencies already handled).
// What `peer` lacks, encoded (or the same pieces as for the last peer in that state).
std::vector<std::string> content_for(covalue_actor_state& st, const known_state& peer) {
  const auto revision = st.cv->revision();
  if (st.last_encoded && st.last_encoded->revision == revision && st.last_encoded->peer == peer) {
    return st.last_encoded->pieces;
  }
  auto pieces = st.cv->new_content_since(&peer);
  if (st.peers.size() > 1) {
    st.last_encoded = covalue_actor_state::encoded_content{revision, peer, pieces};
  } else {
    st.last_encoded.reset();  // nobody to share it with: not kept in memory
  }
  return pieces;
}

void send_content(self_ptr self, peer_entry& p, bool force_known) {
  auto& st = self->state;
  const bool resend = std::exchange(p.resend_next, false);
  auto pieces = content_for(st, p.known);
  if (!pieces.empty()) {
    for (std::size_t i = 0; i < pieces.size(); ++i) st.ctx.metrics->count_out(action::content);
    outgoing_messages out{std::move(pieces), content_priority(st), st.id, p.known, resend, {}};
    if (resend) out.dependencies.assign(st.cv->dependencies().begin(), st.cv->dependencies().end());
    self->send(p.handle, std::move(out));
    protocol::merge_into(p.known, st.cv->known());
  } else if (force_known || !p.told_known) {
    send_known(self, p.handle, known_for(st, p.known));
  }
  p.told_known = true;
}

void finish_push(self_ptr self, caf::actor_id peer_key, std::uint64_t generation, bool force_known) {
  auto& st = self->state;
  auto it = st.peers.find(peer_key);
  if (it == st.peers.end()) return;
  peer_entry& p = it->second;
  p.push_in_flight = false;
  p.deps_pushed_generation = std::max(p.deps_pushed_generation, generation);
  send_content(self, p, force_known);
  auto waiters = std::move(p.push_waiters);
  p.push_waiters.clear();
  for (auto& w : waiters) w.deliver(push_done{st.id});
  if (p.push_again) {
    bool again_force = p.push_again_force_known;
    p.push_again = p.push_again_force_known = false;
    push_to(self, peer_key, again_force, {});
  }
}

// cojson's sendNewContent: dependencies first (each asked to push itself), then us.
void push_to(self_ptr self, caf::actor_id peer_key, bool force_known, const std::vector<std::string>& visited) {
  auto& st = self->state;
  auto it = st.peers.find(peer_key);
  if (it == st.peers.end() || !st.cv->has_header()) return;
  peer_entry& p = it->second;
  if (p.push_in_flight) {
    p.push_again = true;
    p.push_again_force_known = p.push_again_force_known || force_known;
    return;
  }
  std::vector<std::string> deps;
  // Not to the upstream: a server asks for what it lacks (cojson pushes dependencies
  // only to peers that are not servers).
  if (p.deps_pushed_generation != st.deps_generation && !is_upstream(st, p.handle)) {
    for (const auto& d : st.cv->dependencies()) {
      if (std::find(visited.begin(), visited.end(), d) == visited.end()) deps.push_back(d);
    }
  }
  if (deps.empty()) {
    p.deps_pushed_generation = st.deps_generation;
    send_content(self, p, force_known);
    auto waiters = std::move(p.push_waiters);
    p.push_waiters.clear();
    for (auto& w : waiters) w.deliver(push_done{st.id});
    return;
  }
  p.push_in_flight = true;
  std::vector<std::string> chain = visited;
  chain.push_back(st.id);
  auto remaining = std::make_shared<std::size_t>(deps.size());
  const std::uint64_t generation = st.deps_generation;
  for (const auto& d : deps) {
    auto done = [=]() {
      if (--*remaining == 0) finish_push(self, peer_key, generation, force_known);
    };
    self->request(st.ctx.manager, st.ctx.options.push_timeout, dependency_push{d, p.handle, p.peer_id, chain, std::nullopt})
        .then([=](push_done&) { done(); },
              [=](caf::error& err) {
                log::debug(actor_origin(self), "dependency push did not finish in time",
                           {{"id", self->state.id}, {"dependency", d}, {"error", self->system().render(err)}});
                done();
              });
  }
}

void push_to_all(self_ptr self) {
  std::vector<caf::actor_id> keys;
  const auto& st = self->state;
  for (const auto& [key, p] : st.peers) {
    // The upstream learns what we have once it answered our load (it may hold it all).
    if (!p.errored && !(is_upstream(st, p.handle) && !st.upstream_answered)) keys.push_back(key);
  }
  for (auto key : keys) push_to(self, key, false, {});
}

// The CoValue now has a header: answer everyone who waited for it.
void header_arrived(self_ptr self) {
  auto& st = self->state;
  const auto* h = st.cv->header();
  availability a{st.id, true, h->is_account(), h->is_account() ? h->initial_admin : std::string()};
  for (auto& w : st.header_waiters) w.deliver(a);
  st.header_waiters.clear();
  // Loads that waited for the upstream: their peers get the content with everyone else
  // (apply_content pushes to all peers after this).
  st.loads_waiting.clear();
}

// Answers the loads that waited for the upstream with what we have now.
void answer_waiting_loads(self_ptr self) {
  auto& st = self->state;
  auto waiting = std::move(st.loads_waiting);
  st.loads_waiting.clear();
  for (auto key : waiting) {
    auto it = st.peers.find(key);
    if (it == st.peers.end()) continue;
    if (st.cv->has_header()) {
      push_to(self, key, true, {});
    } else {
      send_known(self, it->second.handle, known_state{st.id, false, {}});
      it->second.told_known = true;
    }
  }
}

std::optional<protocol::key32> signer_for(self_ptr self, const std::string& session_id, std::string& why) {
  auto& st = self->state;
  auto parts = protocol::parse_session_id(session_id);
  if (!parts) {
    why = "invalid session ID";
    return std::nullopt;
  }
  std::string agent;
  if (protocol::is_agent_id(parts->owner)) {
    agent = std::string(parts->owner);
  } else {
    std::string account(parts->owner);
    const dependency_info* info = nullptr;
    dependency_info own;
    if (account == st.id && st.cv->header()) {
      own = {st.cv->header()->is_account(), st.cv->header()->initial_admin};
      info = &own;
    } else if (auto it = st.available.find(account); it != st.available.end()) {
      info = &it->second;
    }
    if (!info) {
      why = "account " + account + " is not available";
      return std::nullopt;
    }
    if (!info->is_account) {
      why = account + " is not an account";
      return std::nullopt;
    }
    agent = info->initial_admin;
  }
  if (!protocol::is_agent_id(agent)) {
    why = "account's initialAdmin is not an agent";
    return std::nullopt;
  }
  if (auto it = st.signer_keys.find(agent); it != st.signer_keys.end()) return it->second;
  auto key = protocol::decode_signer_id(protocol::agent_signer_id(agent));
  if (!key) {
    why = "undecodable signer ID";
    return std::nullopt;
  }
  st.signer_keys.emplace(agent, *key);
  return key;
}

protocol::covalue_id_set message_dependencies(const covalue_actor_state& st, const content_message& m) {
  protocol::covalue_id_set deps;
  if (const auto* h = st.cv->header()) protocol::add_header_dependencies(*h, deps);
  if (m.header) protocol::add_header_dependencies(*m.header, deps);
  for (const auto& s : m.sessions) protocol::add_session_dependency(s.session_id, deps);
  const auto* header = st.cv->header() ? st.cv->header() : (m.header ? &*m.header : nullptr);
  if (header && header->is_group_or_account()) {
    for (const auto& s : m.sessions) {
      for (const auto& tx : s.transactions) protocol::add_group_transaction_dependencies(tx, deps);
    }
  }
  deps.erase(st.id);
  return deps;
}

void reject(self_ptr self, peer_entry& p, rejection kind, const std::string& session_id, const std::string& why) {
  auto& st = self->state;
  st.ctx.metrics->reject(kind);
  p.errored = true;
  log::warn(actor_origin(self), "content rejected; ignoring this peer for this CoValue",
            {{"id", st.id}, {"peer", p.peer_id}, {"session", session_id}, {"reason", why}});
}

// Verifies, applies and stores one content message whose dependencies are available.
void apply_content(self_ptr self, pending_content&& item) {
  auto& st = self->state;
  auto& m = item.message;
  peer_entry& p = entry_for(self, item.peer, item.peer_id);
  if (p.errored) return;

  bool header_new = false;
  if (!st.cv->has_header()) {
    if (!m.header) {
      // The sender assumed we have it: ask for everything (cojson's requestFullContent).
      send_known(self, p.handle, known_state{st.id, false, {}}, true);
      p.told_known = true;
      return;
    }
    st.cv->set_header(std::move(*m.header));
    header_new = true;
  }

  storage::covalue_write write;
  write.id = st.id;
  if (header_new) {
    write.header = st.cv->header()->json;
    write.replace_header = st.unreadable_header;
  }
  bool gap = false;
  known_state accepted{st.id, true, {}};
  for (auto& entry : m.sessions) {
    if (st.cv->is_deleted() && !protocol::is_delete_session_id(entry.session_id)) continue;
    if (!entry.error.empty()) {
      reject(self, p, rejection::invalid_transaction, entry.session_id, entry.error);
      continue;
    }
    const std::uint32_t ours = st.cv->count(entry.session_id);
    if (entry.after > ours) {
      gap = true;
      continue;
    }
    const std::uint32_t sent_until = entry.after + static_cast<std::uint32_t>(entry.transactions.size());
    if (sent_until <= ours) continue;  // a duplicate: harmless, still acknowledged
    bool deletes = false;
    if (protocol::is_delete_session_id(entry.session_id)) {
      auto verdict = protocol::check_delete_session(*st.cv, entry, ours, item.groups.get());
      if (!verdict.valid) {
        reject(self, p, rejection::invalid_delete, entry.session_id, verdict.why);
        continue;
      }
      deletes = verdict.deletes;
    }
    std::string why;
    auto signer = signer_for(self, entry.session_id, why);
    if (!signer) {
      reject(self, p, rejection::unknown_signer, entry.session_id, why);
      continue;
    }
    std::string hash;
    const std::uint32_t added = st.cv->add_verified(entry, *signer, hash);
    if (added == 0) {
      reject(self, p, rejection::invalid_signature, entry.session_id, "signature does not match " + hash);
      continue;
    }
    st.ctx.metrics->transactions_accepted += added;
    if (deletes) {
      // From now on only delete sessions count; what else this message carried is
      // not stored (cojson drops it the same way).
      st.cv->mark_deleted();
      write.batches.clear();
      write.deleted = true;
      log::info(actor_origin(self), "CoValue deleted", {{"id", st.id}, {"session", entry.session_id}});
    }
    storage::append_session_batches(write, *st.cv->find_session(entry.session_id), ours,
                                    st.unreadable_sessions.count(entry.session_id) > 0);
    accepted.sessions[entry.session_id] = ours + added;
    if (ours + added < sent_until) {
      // Coalesced messages of which only a prefix verified: that prefix stays.
      reject(self, p, rejection::invalid_signature, entry.session_id, "signature does not match " + hash);
    }
  }
  note_dependency_changes(st);
  if (header_new) header_arrived(self);

  if (st.cv->is_deleted()) {
    // The peer is told we hold everything it sent, so old clients stop re-uploading.
    known_state claimed{st.id, true, {}};
    for (const auto& entry : m.sessions) {
      claimed.sessions[entry.session_id] = entry.after + static_cast<std::uint32_t>(entry.transactions.size());
    }
    protocol::merge_into(p.known, claimed);
  } else {
    protocol::merge_into(p.known, accepted);
  }
  protocol::merge_into(p.said, accepted);
  std::string reply = protocol::encode_known(gap ? claimable(st) : known_for(st, p.known), gap);
  p.told_known = true;

  if (header_new || !write.batches.empty()) {
    // Acknowledge only what is durable: the known reply waits for the commit.
    st.writes_in_flight++;
    auto peer = p.handle;
    known_state written = std::move(accepted);  // not needed past this point
    written.header = true;
    self->request(st.ctx.storage, caf::infinite, write_request{std::move(write)})
        .then(
            [=](write_ack& ack) {
              auto& st = self->state;
              st.writes_in_flight--;
              if (ack.ok) protocol::merge_into(st.durable, written);
              if (ack.ok && !unstored(st)) {
                send_to(self, peer, {reply}, 0, action::known);
              } else {
                hold_reply(self, peer, gap, ack.ok ? "an earlier write failed" : "storage failed");
              }
            },
            [=](caf::error& err) {
              self->state.writes_in_flight--;
              hold_reply(self, peer, gap, "storage writer unreachable: " + self->system().render(err));
            });
  } else if (unstored(st)) {
    hold_reply(self, p.handle, gap, "a rewrite is pending");
  } else {
    send_to(self, p.handle, {reply}, 0, action::known);
  }
  push_to_all(self);
}

void drain_pending(self_ptr self);

void drop_pending_needing(covalue_actor_state& st, const std::string& dependency) {
  st.pending.remove_if(
      [&](const pending_content& pc) { return message_dependencies(st, pc.message).count(dependency) > 0; });
}

void request_availability(self_ptr self, const std::string& dep, const peer_actor& ask, std::uint64_t ask_id) {
  auto& st = self->state;
  if (!st.awaiting.insert(dep).second) return;
  self->request(st.ctx.manager, st.ctx.options.dependency_timeout, availability_query{dep, ask, ask_id})
      .then(
          [=](availability& a) {
            auto& st = self->state;
            st.awaiting.erase(a.id);
            if (a.available) {
              st.available[a.id] = dependency_info{a.is_account, a.initial_admin};
            } else {
              log::warn(actor_origin(self), "dependency not found; dropping content that needs it",
                        {{"id", st.id}, {"dependency", a.id}});
              drop_pending_needing(st, a.id);
            }
            drain_pending(self);
          },
          [=](caf::error& err) {
            auto& st = self->state;
            st.awaiting.erase(dep);
            log::warn(actor_origin(self), "dependency did not arrive in time; dropping content that needs it",
                      {{"id", st.id}, {"dependency", dep}, {"error", self->system().render(err)}});
            drop_pending_needing(st, dep);
            drain_pending(self);
          });
}

// Content with a delete session needs the owning group's roles.
bool needs_groups(const covalue_actor_state& st, const pending_content& item) {
  const auto* header = st.cv->header() ? st.cv->header() : (item.message.header ? &*item.message.header : nullptr);
  if (!header || header->ruleset != protocol::ruleset_kind::owned_by_group) return false;
  for (const auto& entry : item.message.sessions) {
    if (protocol::is_delete_session_id(entry.session_id)) return true;
  }
  return false;
}

// Fetches snapshots of the owning group and its ancestors for the front of the queue.
void fetch_groups_for(self_ptr self) {
  auto& st = self->state;
  if (st.fetching_groups) return;
  st.fetching_groups = true;
  const auto* header = st.cv->header() ? st.cv->header() : &*st.pending.front().message.header;
  auto registry = std::make_shared<protocol::group_registry>();
  auto requested = std::make_shared<std::set<std::string>>();
  auto outstanding = std::make_shared<int>(0);
  auto finish = [=]() {
    auto& st = self->state;
    st.fetching_groups = false;
    if (!st.pending.empty()) {
      st.pending.front().groups = registry;
      st.pending.front().groups_fetched = true;
    }
    drain_pending(self);
  };
  // Bounded: a delete needs the owning group and a few ancestors, never a crawl.
  constexpr std::size_t kMaxGroups = 32;
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
  (*request)(header->group);
}

// Applies queued content in arrival order while its dependencies are available.
void drain_pending_queue(self_ptr self) {
  auto& st = self->state;
  while (!st.pending.empty()) {
    auto& front = st.pending.front();
    bool missing = false;
    for (const auto& d : message_dependencies(st, front.message)) {
      if (!st.available.count(d)) {
        missing = true;
        request_availability(self, d, front.peer, front.peer_id);
      }
    }
    if (missing) return;
    if (needs_groups(st, front) && !front.groups_fetched) {
      fetch_groups_for(self);
      return;
    }
    pending_content item = std::move(front);
    st.pending.pop_front();
    apply_content(self, std::move(item));
  }
}

void drain_pending(self_ptr self) {
  drain_pending_queue(self);
  auto& st = self->state;
  // Everything received is applied (or dropped): a deferred subscription goes out.
  if (st.subscribe_when_applied && st.staged.empty() && st.pending.empty()) subscribe_upstream(self);
}

// Moves staged content to the queue, merging what one peer sent in a row, and applies it.
void flush_staged(self_ptr self) {
  auto& st = self->state;
  st.drain_scheduled = false;
  if (st.staged.empty()) return;
  for (auto& item : st.staged) {
    auto* last = st.pending.empty() ? nullptr : &st.pending.back();
    if (last && last->peer == item.peer && !last->groups_fetched &&
        protocol::join_content(last->message, item.message)) {
      continue;
    }
    st.pending.push_back(std::move(item));
  }
  st.staged.clear();
  drain_pending(self);
}

// Content waits for a drain message queued behind whatever else is in the mailbox, so
// the transactions of a burst are checked with one signature (the last covers the rest).
void on_content(self_ptr self, const peer_actor& peer, std::uint64_t peer_id, content_message&& m) {
  auto& st = self->state;
  peer_entry& p = entry_for(self, peer, peer_id);
  if (p.errored) {
    log::debug(actor_origin(self), "ignoring content from a peer that sent invalid content",
               {{"id", st.id}, {"peer", peer_id}});
    return;
  }
  // expectContentUntil only counts from upstream servers; clients' is stripped.
  m.expect_content_until.reset();
  st.staged.push_back(pending_content{peer, peer_id, std::move(m), nullptr, false});
  if (!st.drain_scheduled) {
    st.drain_scheduled = true;
    self->send(self, drain_atom::value);
  }
}

void on_load(self_ptr self, const peer_actor& peer, std::uint64_t peer_id, known_state&& known) {
  auto& st = self->state;
  peer_entry& p = entry_for(self, peer, peer_id);
  p.known = std::move(known);  // replace: the peer's word is the truth
  p.said = p.known;
  if (st.cv->has_header()) {
    // The peer holds something we lack: our known state goes first, so it sends that
    // (content alone would not say what we lack; a moai edge relies on this). As a
    // correction: a cojson client that remembers more of us (e.g. we lost data) merges
    // a plain `known` away, but replaces its record with a correction and resends.
    const bool ahead = !protocol::is_covered_by(p.known, claimable(st));
    if (ahead) {
      send_known(self, peer, known_for(st, p.known), true);
      p.told_known = true;
    }
    push_to(self, peer.id(), !ahead, {});
  } else if (st.ctx.upstream && !st.upstream_answered && !st.upstream_gave_up && !is_upstream(st, peer)) {
    // The upstream may have it: the answer waits for the upstream's.
    st.loads_waiting.push_back(peer.id());
    if (!st.upstream_wait_scheduled) {
      st.upstream_wait_scheduled = true;
      self->delayed_send(self, st.ctx.options.upstream_load_timeout, upstream_wait_over{st.upstream_subscription});
    }
  } else {
    send_known(self, peer, known_state{st.id, false, {}});
    p.told_known = true;
  }
}

void on_known(self_ptr self, const peer_actor& peer, std::uint64_t peer_id, known_state&& known, bool correction) {
  auto& st = self->state;
  peer_entry& p = entry_for(self, peer, peer_id);
  if (!correction && !known.header && p.asked_for_header) p.said_not_found = true;
  if (correction || (is_upstream(st, peer) && !st.upstream_answered)) {
    // The upstream's answer to our subscription is its whole state: it replaces what we
    // assumed (that it holds what we hold). Later ones are acks, merged as usual.
    p.known = known;
    p.said = std::move(known);
  } else {
    protocol::merge_into(p.known, known);
    protocol::merge_into(p.said, known);
  }
  if (st.cv->has_header()) {
    push_to(self, peer.id(), false, {});
    return;
  }
  // Everyone we asked for our header says they do not have it: stop waiting.
  bool anyone_left = false;
  for (const auto& [key, e] : st.peers) anyone_left = anyone_left || (e.asked_for_header && !e.said_not_found);
  if (!anyone_left && !st.header_waiters.empty()) {
    for (auto& w : st.header_waiters) w.deliver(availability{st.id, false, false, {}});
    st.header_waiters.clear();
  }
}

// `until_upstream_has_it`: also wait until the upstream confirmed what we hold (the fast
// way it gets what we took while the link was down). Eviction under memory pressure
// does not wait for that: the storage reconcile on the next connection brings it up.
bool idle(const covalue_actor_state& st, bool until_upstream_has_it = true) {
  // The upstream's entry does not count: it stays subscribed and sends what changes.
  const std::size_t upstream_entries = st.ctx.upstream && st.peers.count(st.ctx.upstream->peer.id()) ? 1 : 0;
  if (until_upstream_has_it && st.upstream_subscribed && !protocol::is_covered_by(st.cv->known(), st.upstream_holds)) {
    return false;
  }
  return st.peers.size() == upstream_entries && st.pending.empty() && st.staged.empty() && st.awaiting.empty() &&
         st.writes_in_flight == 0 && st.header_waiters.empty() && st.held_replies.empty() && !st.persist_scheduled;
}

void maybe_schedule_tick(self_ptr self) {
  auto& st = self->state;
  st.last_activity = steady_clock::now();
  if (st.tick_scheduled || st.retire_requested || !idle(st)) return;
  st.tick_scheduled = true;
  self->delayed_send(self, st.ctx.options.idle_timeout, tick_atom::value);
}

void load_from_storage(self_ptr self, storage::stored_covalue&& stored) {
  auto& st = self->state;
  protocol::json_document doc;
  std::string error;
  std::optional<protocol::covalue_header> header;
  if (protocol::parse_json(stored.header, doc, error)) header = protocol::parse_header(doc, error);
  if (!header || protocol::covalue_id_of(*header) != st.id) {
    log::error(actor_origin(self), "stored header is invalid or does not match its ID; treating the CoValue as absent",
               {{"id", st.id}, {"error", error}});
    st.unreadable_header = true;
    for (const auto& session : stored.sessions) st.unreadable_sessions.insert(session.session_id);
    return;
  }
  st.cv->set_header(std::move(*header));
  for (auto& s : stored.sessions) {
    std::vector<protocol::transaction> txs;
    txs.reserve(s.transactions.size());
    for (auto& text : s.transactions) {
      auto tx = protocol::parse_stored_transaction(std::move(text), error);
      if (!tx) {
        log::error(actor_origin(self), "stored transaction is invalid; session truncated there",
                   {{"id", st.id}, {"session", s.session_id}, {"index", txs.size()}, {"error", error}});
        break;
      }
      txs.push_back(std::move(*tx));
    }
    const bool complete = txs.size() == s.transactions.size();
    if (!complete) st.unreadable_sessions.insert(s.session_id);
    if (txs.empty()) continue;
    // A truncated session has no signature for its end; keep only what the last
    // checkpoint at or before the cut covers.
    std::string signature = s.last_signature;
    if (!complete) {
      auto it = s.checkpoints.upper_bound(static_cast<std::uint32_t>(txs.size() - 1));
      if (it == s.checkpoints.begin()) continue;
      --it;
      txs.resize(it->first + 1);
      signature = it->second;
    }
    st.cv->add_trusted(s.session_id, std::move(txs), std::move(signature));
    std::map<std::uint32_t, std::string> checkpoints;
    for (const auto& [idx, sig] : s.checkpoints) {
      if (idx < st.cv->count(s.session_id)) checkpoints.emplace(idx, sig);
    }
    // A session cut at a checkpoint has nothing since it.
    st.cv->session(s.session_id).restore_checkpoints(std::move(checkpoints), complete ? s.bytes_since_checkpoint : 0);
  }
  if (stored.deleted) st.cv->mark_deleted();
  st.durable = st.cv->known();
  note_dependency_changes(st);
}

covalue_actor::behavior_type covalue_behavior(self_ptr self, std::string id, covalue_context context) {
  auto& st = self->state;
  st.id = std::move(id);
  st.ctx = std::move(context);
  st.cv = std::make_unique<protocol::covalue_state>(st.id);
  st.durable = known_state{st.id, false, {}};
  st.probe = st.ctx.metrics->actors.enroll(covalue_actor_state::name, self->id());

  self->set_down_handler([=](caf::down_msg& down) {
    self->state.peers.erase(down.source.id());
    maybe_schedule_tick(self);
  });

  // Nothing else is handled until storage answers: messages wait in the mailbox.
  self->request(st.ctx.storage, caf::infinite, load_request{st.id})
      .await(
          [=](load_reply& reply) {
            if (reply.covalue) load_from_storage(self, std::move(*reply.covalue));
            maybe_schedule_tick(self);
          },
          [=](caf::error& err) {
            // The storage writer is gone (shutdown): serving this CoValue as empty
            // would hide what is stored, so the actor stops.
            log::error(actor_origin(self), "storage load failed",
                       {{"id", self->state.id}, {"error", self->system().render(err)}});
            self->quit(err);
          });

  return {
      [=](from_peer& msg) {
        note_message(self, *self->state.probe);
        auto& st = self->state;
        st.received++;
        const bool from_upstream = is_upstream(st, msg.peer);
        // Pushed to us unasked (e.g. after this actor retired): we ask for its state
        // before pushing anything back, as cojson does when a peer's state is unknown.
        // This message is not the answer to that. Pushed content is applied first
        // (subscribe_when_applied), so the load says we have it.
        const bool asked_before = st.upstream_subscribed;
        if (from_upstream && !asked_before) {
          if (std::holds_alternative<protocol::content_message>(msg.message)) {
            st.subscribe_when_applied = true;
          } else {
            subscribe_upstream(self);
          }
        }
        if (from_upstream) {
          note_upstream_holds(st, msg.message);
        } else {
          ensure_upstream(self);
        }
        std::visit(
            [&](auto&& m) {
              using T = std::decay_t<decltype(m)>;
              // Staged content first: a peer's messages take effect in the order sent.
              if constexpr (!std::is_same_v<T, protocol::content_message>) flush_staged(self);
              if constexpr (std::is_same_v<T, protocol::load_message>) {
                on_load(self, msg.peer, msg.peer_id, std::move(m.known));
              } else if constexpr (std::is_same_v<T, protocol::known_message>) {
                on_known(self, msg.peer, msg.peer_id, std::move(m.known), m.is_correction);
              } else if constexpr (std::is_same_v<T, protocol::content_message>) {
                on_content(self, msg.peer, msg.peer_id, std::move(m));
              }
            },
            msg.message);
        const bool answer = std::holds_alternative<protocol::known_message>(msg.message) ||
                            std::holds_alternative<protocol::content_message>(msg.message);
        if (from_upstream && asked_before && answer && !st.upstream_answered) {
          st.upstream_answered = true;
          // Content answers the waiting loads once applied (header_arrived); a known
          // state (typically "not there either") answers them now.
          if (std::holds_alternative<protocol::known_message>(msg.message)) answer_waiting_loads(self);
        }
        maybe_schedule_tick(self);
      },
      [=](availability_query& q) -> caf::result<availability> {
        note_message(self, *self->state.probe);
        auto& st = self->state;
        st.received++;
        ensure_upstream(self);
        if (st.cv->has_header()) {
          const auto* h = st.cv->header();
          return availability{st.id, true, h->is_account(), h->is_account() ? h->initial_admin : std::string()};
        }
        auto promise = self->make_response_promise<availability>();
        st.header_waiters.push_back(promise);
        // Ask the peer that needs us; it is assumed to have us (cojson does the same).
        peer_entry& p = entry_for(self, q.ask, q.ask_id);
        if (!p.asked_for_header) {
          p.asked_for_header = true;
          send_to(self, p.handle, {protocol::encode_load(known_state{st.id, false, {}})}, 0, action::load);
        }
        return promise;
      },
      [=](dependency_push& q) -> caf::result<push_done> {
        note_message(self, *self->state.probe);
        auto& st = self->state;
        st.received++;
        if (!is_upstream(st, q.peer)) ensure_upstream(self);
        if (!st.cv->has_header()) return push_done{st.id};
        auto promise = self->make_response_promise<push_done>();
        peer_entry& p = entry_for(self, q.peer, q.peer_id);
        if (q.resend_from) {
          // The peer dropped content it could not queue: it holds this much, and what it
          // told us since (not echoed back). It sends held dependencies first itself.
          p.known = std::move(*q.resend_from);
          protocol::merge_into(p.known, p.said);
          p.resend_next = true;
          if (!p.push_in_flight) p.deps_pushed_generation = st.deps_generation;
        }
        p.push_waiters.push_back(promise);
        push_to(self, q.peer.id(), false, q.visited);
        return promise;
      },
      [=](known_query&) -> known_reply {
        note_message(self, *self->state.probe);
        auto& st = self->state;
        st.received++;
        if (!st.cv->has_header()) return known_reply{st.id, false, {}};
        return known_reply{st.id, true, claimable(st).sessions};
      },
      [=](snapshot_query&) -> snapshot_reply {
        note_message(self, *self->state.probe);
        auto& st = self->state;
        st.received++;
        if (!st.cv->has_header()) return snapshot_reply{st.id, nullptr};
        return snapshot_reply{st.id, std::make_shared<const protocol::covalue_state>(*st.cv)};
      },
      [=](tick_atom) {
        note_message(self, *self->state.probe);
        auto& st = self->state;
        st.tick_scheduled = false;
        if (!idle(st)) return;
        auto quiet = steady_clock::now() - st.last_activity;
        if (quiet < st.ctx.options.idle_timeout) {
          st.tick_scheduled = true;
          self->delayed_send(self, st.ctx.options.idle_timeout - duration_cast<milliseconds>(quiet), tick_atom::value);
          return;
        }
        st.retire_requested = true;
        self->send(st.ctx.manager, retire_request{st.id, st.received});
      },
      [=](drain_atom) {
        note_message(self, *self->state.probe);
        flush_staged(self);
        maybe_schedule_tick(self);
      },
      [=](persist_atom) {
        note_message(self, *self->state.probe);
        persist_all(self);
      },
      [=](upstream_link& link) {
        // Not routed by the manager as a peer's message: not counted in `received`.
        note_message(self, *self->state.probe);
        auto& st = self->state;
        st.ctx.upstream = link;  // the same peer actor for the process's lifetime
        forget_upstream_state(self);
        subscribe_upstream(self);
        maybe_schedule_tick(self);
      },
      [=](upstream_wait_over& wait) {
        note_message(self, *self->state.probe);
        auto& st = self->state;
        if (wait.subscription != st.upstream_subscription) return;  // a new subscription has its own
        st.upstream_wait_scheduled = false;
        if (st.loads_waiting.empty()) return;
        log::debug(actor_origin(self), "the upstream did not answer in time; loads answered with what we have",
                   {{"id", st.id}, {"waiting", st.loads_waiting.size()}});
        st.upstream_gave_up = true;  // until the next subscription
        answer_waiting_loads(self);
        maybe_schedule_tick(self);
      },
      [=](evict_atom) {
        note_message(self, *self->state.probe);
        auto& st = self->state;
        if (st.retire_requested || !idle(st, false)) return;
        st.retire_requested = true;
        self->send(st.ctx.manager, retire_request{st.id, st.received});
      },
      [=](retire_decision& d) {
        note_message(self, *self->state.probe);
        auto& st = self->state;
        st.retire_requested = false;
        if (d.granted) {
          self->quit();
          return;
        }
        maybe_schedule_tick(self);
      },
  };
}

}  // namespace

covalue_actor spawn_covalue_actor(caf::actor_system& system, std::string id, covalue_context context) {
  return system.spawn(covalue_behavior, std::move(id), std::move(context));
}

}  // namespace moai::actors
