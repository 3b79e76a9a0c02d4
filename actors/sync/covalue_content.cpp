// The CoValue actor (covalue_actor.cpp), its content: what peers send waits for its
// dependencies (content_queue), is verified and applied (protocol::apply_content),
// stored, and acknowledged once it is stored (durability).

#include <algorithm>
#include <functional>
#include <memory>
#include <set>
#include <utility>

#include "actors/sync/covalue_actor_state.hpp"
#include "config/log.hpp"
#include "protocol/groups/deletion.hpp"
#include "protocol/sync/codec.hpp"
#include "protocol/sync/content_apply.hpp"
#include "protocol/sync/schema_rule.hpp"
#include "storage/stored_state.hpp"

namespace moai::actors::covalue_internal {

using namespace std::chrono;
using protocol::content_message;
using protocol::known_state;

namespace {

// ---- storing, and acknowledging only what is stored ----

// A write was not stored: its acknowledgement waits for a rewrite that is.
void hold_ack(self_ptr self, const sync_peer& peer, bool correction, const std::string& why) {
  bool first = false;
  auto rewrite_in = parts_of(self).durable.hold(peer.id(), correction, first, steady_clock::now());
  std::uint64_t suppressed = 0;
  if (first && log::sample("acknowledgements held", std::chrono::seconds(5), suppressed)) {
    log::warn(actor_origin(self), "content not stored; acknowledgements held until a rewrite succeeds",
              {{"id", self->state.id}, {"reason", why}, {"covalues_not_logged", suppressed}});
  }
  if (rewrite_in) self->state.ctx.timers->send_later(*rewrite_in, self, persist_atom::value);
}

}  // namespace

void rewrite_all(self_ptr self) {
  auto& c = parts_of(self);
  c.durable.rewrite_started();
  auto done = [=, written = c.cv.known()](bool ok) {
    auto& c = parts_of(self);
    std::optional<milliseconds> retry;
    auto released = c.durable.rewrite_finished(ok, written, retry);
    if (retry) self->state.ctx.timers->send_later(*retry, self, persist_atom::value);
    if (!ok) {
      // Unstored for too long: the senders waiting for an acknowledgement are told with a
      // close (1011), rather than waiting without a word; they reconnect and, as the
      // content is kept and written again, need not send it twice.
      for (auto peer : c.durable.overdue(steady_clock::now(), self->state.ctx.options.unstored_grace)) {
        if (auto* e = c.peers.find(peer)) {
          self->send(e->link.handle, disconnect_request{1011, "storage unavailable; retry later"});
        }
      }
      return;
    }
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
  self->request(self->state.ctx.storage, caf::infinite, write_request{storage::write_of_state(c.cv, c.unreadable)})
      .then([=](write_ack& ack) { done(ack.ok); }, [=](caf::error&) { done(false); });
}

// ---- applying content ----

void note_dependency_changes(covalue_actor_state::parts& c) {
  if (c.cv.dependencies().size() != c.deps_seen) {
    c.deps_seen = c.cv.dependencies().size();
    c.deps_generation++;
  }
}

namespace {

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
  if (const auto& o = self->state.ctx.options; o.require_schema && !c.cv.has_header() && item.message.header) {
    if (auto why = protocol::missing_schema(id, *item.message.header, o.server_account)) {
      // Refused as the JavaScript moai refuses it: not stored, never acknowledged.
      self->state.ctx.metrics->reject(rejection::missing_schema);
      p.errored = true;
      log::warn(actor_origin(self), "content refused: storage.require_schema",
                {{"id", id}, {"peer", p.peer_id}, {"reason", *why}});
      return;
    }
  }
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
  auto write = storage::write_of_applied(c.cv, out, c.unreadable);
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
  st.requests.request<availability>(
      self, st.ctx.manager, st.ctx.options.dependency_timeout, availability_query{dep, via.handle, via.peer_id},
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
    self->state.requests.request<snapshot_reply>(
        self, self->state.ctx.manager, self->state.ctx.options.dependency_timeout, snapshot_query{id},
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

}  // namespace

// ---- what other nodes stored (several nodes on one database) ----

namespace {

// Every session held, deleted CoValue or not (known() shows a deleted one's delete
// sessions only): where a read of what others stored starts.
protocol::session_counts held_counts(const protocol::covalue_state& cv) {
  protocol::session_counts out;
  for (const auto& log : cv.sessions()) out.emplace(log.id(), log.count());
  return out;
}

// Takes what another node stored into memory (it verified it) and sends it on to our
// subscribers; it is durable already.
void take_stored(self_ptr self, storage::stored_covalue&& stored) {
  auto& c = parts_of(self);
  auto report = storage::catch_up_state(std::move(stored), c.cv);
  for (const auto& problem : report.problems) {
    log::error(
        actor_origin(self), problem.what,
        {{"id", self->state.id}, {"session", problem.session_id}, {"index", problem.index}, {"error", problem.error}});
  }
  if (!report.header_new && report.transactions == 0 && !report.deleted_new) return;
  self->state.ctx.metrics->catch_up_transactions += report.transactions;
  protocol::known_state stored_now{self->state.id, true, {}};
  for (const auto& [session, from] : report.appended) stored_now.sessions.emplace(session, c.cv.count(session));
  c.durable.stored_elsewhere(stored_now);
  note_dependency_changes(c);
  if (report.header_new) header_arrived(self);
  if (report.deleted_new) log::info(actor_origin(self), "CoValue deleted (by another node)", {{"id", self->state.id}});
  push_to_all(self);
}

void read_stored(self_ptr self) {
  auto& c = parts_of(self);
  c.follower.read_started();
  self->state.ctx.metrics->catch_up_reads++;
  self->request(self->state.ctx.storage, caf::infinite, load_request{self->state.id, held_counts(c.cv)})
      .then(
          [=](load_reply& reply) {
            if (reply.covalue) take_stored(self, std::move(*reply.covalue));
            auto done = parts_of(self).follower.read_finished();
            if (done.oldest_commit_ms) {
              const auto now = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
              const auto lag = std::max<std::int64_t>(0, now - *done.oldest_commit_ms);
              self->state.ctx.metrics->cross_node_lag.observe(static_cast<std::uint64_t>(lag) * 1000000u);
            }
            if (done.again) read_stored(self);
            touched(self);
          },
          [=](caf::error& err) {
            log::debug(actor_origin(self), "reading what other nodes stored failed",
                       {{"id", self->state.id}, {"error", self->system().render(err)}});
            parts_of(self).follower.read_finished();
          });
}

}  // namespace

void storage_changed_elsewhere(self_ptr self, const storage::stored_change* change) {
  auto& c = parts_of(self);
  const bool read =
      change ? c.follower.changed(*change, protocol::known_state{self->state.id, c.cv.has_header(), held_counts(c.cv)},
                                  c.cv.is_deleted())
             : c.follower.resync();
  if (read) read_stored(self);
}

void flush_staged(self_ptr self) {
  auto& c = parts_of(self);
  if (!c.queue.has_staged()) return;
  c.queue.flush_staged();
  drain(self);
}

}  // namespace moai::actors::covalue_internal
