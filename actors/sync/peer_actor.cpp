#include "actors/sync/peer_actor.hpp"

#include <array>
#include <map>
#include <set>
#include <utility>

#include "actors/sync/coarse_timers.hpp"
#include "actors/sync/held_content.hpp"
#include "actors/sync/request_deadlines.hpp"
#include "base/fifo.hpp"
#include "config/log.hpp"
#include "protocol/sync/coalesce.hpp"
#include "protocol/sync/codec.hpp"

namespace moai::actors {
namespace {

// The actor's own turns: send what queued up; check whether a full queue drains.
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using stall_check_atom = caf::atom_constant<caf::atom("stallcheck")>;
using peer_impl = connection_peer::extend<caf::reacts_to<flush_atom>, caf::reacts_to<stall_check_atom>,
                                          caf::reacts_to<request_overdue>>;

struct reconcile_batch {
  std::size_t unanswered = 0;       // known queries still out
  std::set<std::string> unsettled;  // CoValues we sent a load for
};

struct peer_state {
  std::shared_ptr<gateway::sync_connection> connection;
  sync_manager_actor manager;
  sync_metrics* metrics = nullptr;
  peer_options options;
  std::uint64_t id = 0;
  // cojson receivers split every frame on '\n', so queued messages are always coalesced
  // (jazz-run sends one per frame; fewer frames mean fewer syscalls under load).
  bool batching = true;
  bool flush_scheduled = false;
  std::size_t queued_bytes = 0;
  std::size_t overflow_bytes = 0;  // other messages queued while the queue was over the limit
  std::uint64_t sent_bytes = 0;  // handed to the socket, which takes them only as it drains
  std::uint64_t sent_when_armed = 0;
  bool stall_check_armed = false;
  std::array<base::fifo<std::string>, 3> queues;  // high, medium, low
  // Content held back while the queue was over its limit, asked for again one CoValue at
  // a time once the queue has drained to half the limit. `held_epoch` tells answers to
  // requests made before the notes were cleared. A resend whose dependency is still held
  // is dropped (`resend_deferred`) and the dependency goes first.
  held_content held;
  bool resend_in_flight = false;
  std::string resend_id;  // the CoValue whose resend is in flight
  bool resend_deferred = false;
  std::uint64_t held_epoch = 0;
  std::map<std::string, reconcile_batch> reconciles;
  request_deadlines requests;  // what this peer asked the manager, with their timeouts
  bool closing = false;
  bool over_quota = false;  // its key's stored-bytes quota closed it
  std::shared_ptr<actor_probe> probe;
  static inline const char* name = "peer";
};

using self_ptr = peer_impl::stateful_pointer<peer_state>;

std::size_t queue_index(int priority) {
  return priority <= 0 ? 0 : priority >= 6 ? 2 : 1;
}

base::fifo<std::string>* next_queue(peer_state& st) {
  for (auto& q : st.queues) {
    if (!q.empty()) return &q;
  }
  return nullptr;
}

// Moves queued messages to the socket while it is not backed up; when it is, asks the
// connection to say when it caught up.
void send_queued(self_ptr self) {
  auto& st = self->state;
  if (!st.connection) return;
  for (;;) {
    auto* q = next_queue(st);
    if (!q) return;
    if (st.connection->unsent_bytes() > st.options.send_immediately_below) {
      st.connection->notify_when_unsent_below(st.options.send_immediately_below);
      return;
    }
    std::string frame = std::move(q->front());
    q->pop_front();
    st.queued_bytes -= frame.size();
    if (st.queued_bytes <= st.options.max_queued_bytes) st.overflow_bytes = 0;
    if (st.batching) {
      // Coalesce what is queued, highest priority first, up to the batch size.
      while (auto* next = next_queue(st)) {
        if (frame.size() + 1 + next->front().size() > st.options.max_batch_bytes) break;
        st.queued_bytes -= next->front().size();
        frame.push_back('\n');
        frame.append(next->front());
        next->pop_front();
      }
    }
    st.sent_bytes += frame.size();
    st.connection->send_frame(std::move(frame));
  }
}

void forget_held(peer_state& st) {
  st.held.clear();
  st.held_epoch++;
  st.resend_in_flight = false;
  st.resend_deferred = false;
}

// Ends the connection with nothing more queued. A cojson client reconnects and syncs
// anew; the upstream link reconnects, subscribes again and reconciles.
void disconnect(self_ptr self, std::uint16_t code, const char* reason) {
  auto& st = self->state;
  st.closing = true;
  for (auto& q : st.queues) q.clear();
  st.queued_bytes = 0;
  st.overflow_bytes = 0;
  forget_held(st);
  st.connection->close(code, reason);
}

void flush(self_ptr self);

// A resend failed (the CoValue actor did not answer): the others go first. After a few
// tries the peer is disconnected, since it would otherwise never get that content (a
// client does not load again what it already has while it stays connected).
constexpr int kMaxResendFailures = 3;

void finish_resend(self_ptr self, const std::string& id, const protocol::known_state& sent_from, bool ok) {
  auto& st = self->state;
  st.resend_in_flight = false;
  // Dropped for a held dependency (now at the front): it stays held, to follow it.
  if (std::exchange(st.resend_deferred, false)) return flush(self);
  if (ok) {
    st.held.resent(id, sent_from);
  } else if (!st.held.failed(id, kMaxResendFailures)) {
    log::warn(actor_origin(self), "held-back content could not be resent; disconnecting so the peer syncs anew",
              {{"peer", st.id}, {"id", id}});
    return disconnect(self, 1011, "held-back content could not be resent");
  }
  flush(self);
}

void request_resend(self_ptr self, const std::string& id) {
  auto& st = self->state;
  const auto epoch = st.held_epoch;
  const protocol::known_state sent_from = st.held.from(id);
  st.requests.request<push_done>(
      self, st.manager, std::chrono::seconds(60),
      dependency_push{id, caf::actor_cast<sync_peer>(self), st.id, {}, sent_from},
      [=](push_done&) {
        if (epoch == self->state.held_epoch) finish_resend(self, id, sent_from, true);
      },
      [=](caf::error& err) {
        if (epoch != self->state.held_epoch) return;
        log::warn(actor_origin(self), "held-back content could not be resent",
                  {{"peer", self->state.id}, {"id", id}, {"error", self->system().render(err)}});
        finish_resend(self, id, sent_from, false);
      });
}

// Asks for the oldest held-back content again once the queue has room for it, one
// CoValue at a time (each answer is queued before the next is asked for).
void resend_held(self_ptr self) {
  auto& st = self->state;
  if (st.resend_in_flight || st.held.empty() || st.closing || st.queued_bytes > st.options.max_queued_bytes / 2) {
    return;
  }
  st.resend_in_flight = true;
  st.resend_id = st.held.front();
  request_resend(self, st.resend_id);
}

// A resend whose dependency is still held back (its content changed after this was
// held, even while the resend was on its way) is dropped, and the dependency is resent
// first: checked here, where the content is queued, nothing can slip in between. Only
// the answer to the resend in flight; a late answer to an older one is queued as it is.
bool defer_for_held_dependency(self_ptr self, const outgoing_messages& out) {
  auto& st = self->state;
  if (!st.resend_in_flight || out.content_of != st.resend_id) return false;
  for (const auto& d : out.dependencies) {
    if (st.held.defer_for(out.content_of, d)) {
      st.resend_deferred = true;
      return true;
    }
  }
  return false;
}

void flush(self_ptr self) {
  send_queued(self);
  resend_held(self);
}

void close_slow_consumer(self_ptr self, const char* why) {
  auto& st = self->state;
  if (st.closing) return;
  st.metrics->slow_consumers_closed++;
  log::warn(actor_origin(self), "disconnecting a peer that does not read fast enough",
            {{"peer", st.id}, {"why", why}, {"queued_bytes", st.queued_bytes}, {"limit", st.options.max_queued_bytes}});
  disconnect(self, 1008, "outgoing queue limit exceeded");
}

// Content for a peer whose queue is over its limit is not queued: only where the peer's
// copy stopped is noted, and the content is asked for again once the queue drains
// (everything since comes with it, so later content of that CoValue is dropped until
// then). Nothing overtakes held content, so dependencies stay first. Memory stays
// bounded however much a peer asks for at once.
bool hold_back(self_ptr self, outgoing_messages& out) {
  auto& st = self->state;
  if (out.content_of.empty() || out.resend) return false;
  if (st.closing) return true;
  if (st.held.empty() && st.queued_bytes <= st.options.max_queued_bytes) return false;
  if (st.held.hold(out.content_of, out.known_before)) st.metrics->content_held_back++;
  // A peer that asks for everything and reads nothing (the upstream link has no limit).
  if (st.held.bytes() > st.options.max_held_bytes) close_slow_consumer(self, "too much content held back");
  return true;
}

void enqueue(self_ptr self, std::string message, int priority) {
  auto& st = self->state;
  if (st.closing) return;
  st.queued_bytes += message.size();
  st.queues[queue_index(priority)].push_back(std::move(message));
}

// The limits, once a group of messages (one CoValue's content, one message of our own)
// is queued on top of `before` bytes. Content comes only while the queue is within the
// limit (else it is held back) and is taken whole, however large (a big CoValue for a
// peer that reads). The overflow limit stops a peer whose other messages (acks of what
// it keeps sending) pile up while the queue is over the limit; the stall check one
// whose socket (barely) drains.
void check_queue(self_ptr self, std::size_t before, bool is_content) {
  auto& st = self->state;
  if (st.closing) return;
  if (!is_content && before > st.options.max_queued_bytes) st.overflow_bytes += st.queued_bytes - before;
  if (st.overflow_bytes > st.options.max_overflow_bytes) {
    close_slow_consumer(self, "acks pile up over the queue limit");
  } else if (st.queued_bytes > st.options.max_queued_bytes && !st.stall_check_armed) {
    st.stall_check_armed = true;
    st.sent_when_armed = st.sent_bytes;
    st.options.timers->send_later(st.options.stall_timeout, self, stall_check_atom::value);
  }
}

void check_stall(self_ptr self) {
  auto& st = self->state;
  st.stall_check_armed = false;
  if (st.closing || st.queued_bytes <= st.options.max_queued_bytes) return;
  if (st.sent_bytes - st.sent_when_armed < st.options.stall_min_progress_bytes) {
    close_slow_consumer(self, "queue over the limit and the socket barely drains");
    return;
  }
  st.stall_check_armed = true;
  st.sent_when_armed = st.sent_bytes;
  st.options.timers->send_later(st.options.stall_timeout, self, stall_check_atom::value);
}

// A message of the peer actor's own (reconcile): queued and sent at once.
void send_own(self_ptr self, std::string message) {
  const auto before = self->state.queued_bytes;
  enqueue(self, std::move(message), 0);
  check_queue(self, before, false);
  flush(self);
}

void settle_reconcile(self_ptr self, const std::string& covalue_id) {
  auto& st = self->state;
  for (auto it = st.reconciles.begin(); it != st.reconciles.end();) {
    it->second.unsettled.erase(covalue_id);
    if (it->second.unanswered == 0 && it->second.unsettled.empty()) {
      send_own(self, protocol::encode_reconcile_ack(it->first));
      it = st.reconciles.erase(it);
    } else {
      ++it;
    }
  }
}

void on_reconcile(self_ptr self, protocol::reconcile_message&& m) {
  auto& st = self->state;
  if (m.values.empty()) {
    send_own(self, protocol::encode_reconcile_ack(m.batch_id));
    return;
  }
  auto& batch = st.reconciles[m.batch_id];
  batch.unanswered += m.values.size();
  const std::string batch_id = m.batch_id;
  for (auto& [covalue_id, their_hash] : m.values) {
    const std::string asked = covalue_id;
    const auto hash = their_hash;  // a copy: lambdas cannot capture structured bindings in C++17
    st.requests.request<known_reply>(
        self, st.manager, std::chrono::seconds(60), known_query{covalue_id},
        [=](known_reply& r) {
          auto& st = self->state;
          auto it = st.reconciles.find(batch_id);
          if (it == st.reconciles.end()) return;
          if (!r.found) {
            it->second.unsettled.insert(r.id);
            send_own(self, protocol::encode_load(protocol::known_state{r.id, false, {}}));
          } else if (protocol::sessions_short_hash(r.sessions) != hash) {
            it->second.unsettled.insert(r.id);
            send_own(self, protocol::encode_load(protocol::known_state{r.id, true, std::move(r.sessions)}));
          }
          it->second.unanswered--;
          settle_reconcile(self, "");
        },
        [=](caf::error&) {
          // Our state is unknown (e.g. a failed read): ask for everything rather
          // than let the ack tell the client nothing was needed.
          auto it = self->state.reconciles.find(batch_id);
          if (it == self->state.reconciles.end()) return;
          it->second.unsettled.insert(asked);
          send_own(self, protocol::encode_load(protocol::known_state{asked, false, {}}));
          it->second.unanswered--;
          settle_reconcile(self, "");
        });
  }
}

// Charges a decoded frame to the connection's key: its transactions beyond what was
// paced as it was read, and its bytes against the key's stored-bytes quota. False when
// the frame must not be taken (over the quota): the connection is closed with 4507 and
// nothing of the frame goes on, so nothing of it is stored or acknowledged.
bool charge_access(self_ptr self, const std::vector<protocol::sync_message>& messages, std::uint64_t paced) {
  auto& st = self->state;
  auto& grant = *st.options.access;
  if (st.over_quota) return false;  // closing: what still comes is not taken either
  auto charge = charge_of(messages);
  if (!grant.store(charge.transaction_bytes)) {
    log::warn(actor_origin(self), "API key over its stored-bytes quota; closing the connection with 4507",
              {{"peer", st.id}, {"key", grant.key_id()}, {"frame_bytes", charge.transaction_bytes}});
    st.over_quota = true;
    disconnect(self, kCloseStorageQuota, "storage quota of this API key exceeded");
    return false;
  }
  if (charge.transactions > paced) {
    const auto pause = grant.pace(frame_charge{0, charge.transactions - paced, 0});
    if (pause > access_clock::duration::zero()) st.connection->delay_reads(pause);
  }
  return true;
}

void on_frame(self_ptr self, std::string&& text, std::uint64_t paced_transactions) {
  auto& st = self->state;
  // However this frame ends, the connection may read on once it is done.
  struct processed {
    gateway::sync_connection& connection;
    std::size_t bytes;
    ~processed() { connection.frame_processed(bytes); }
  } done{*st.connection, text.size()};
  if (st.closing) return;
  auto frame = protocol::decode_frame(text, st.options.max_messages_per_frame);
  if (frame.too_many_messages) {
    st.closing = true;
    st.metrics->reject(rejection::too_many_messages);
    log::warn(actor_origin(self), "frame with too many messages; closing with 1009",
              {{"peer", st.id}, {"messages", frame.pieces}, {"limit", st.options.max_messages_per_frame}});
    st.connection->close(1009, "too many messages in one frame");
    return;
  }
  if (frame.dropped) {
    st.metrics->reject(rejection::invalid_json);
    log::warn(actor_origin(self), "frame is not JSON; dropped",
              {{"peer", st.id}, {"error", frame.drop_reason}, {"bytes", text.size()}});
    return;
  }
  for (const auto& e : frame.errors) {
    st.metrics->reject(e.invalid_header ? rejection::invalid_header : rejection::invalid_message);
    log::warn(actor_origin(self), "message skipped",
              {{"peer", st.id}, {"action", e.action}, {"id", e.id}, {"reason", e.reason}});
  }
  for (const auto& message : frame.messages) st.metrics->count_in(static_cast<action>(message.index()));
  if (st.options.access && st.options.access->counts_bytes() &&
      !charge_access(self, frame.messages, paced_transactions)) {
    return;
  }
  // A burst of transactions for one CoValue is verified with one signature check.
  protocol::coalesce_content(frame.messages);
  for (auto& message : frame.messages) {
    if (auto* r = std::get_if<protocol::reconcile_message>(&message)) {
      on_reconcile(self, std::move(*r));
      continue;
    }
    if (auto* ack = std::get_if<protocol::reconcile_ack_message>(&message)) {
      if (st.options.on_reconcile_ack) st.options.on_reconcile_ack(ack->batch_id);
      continue;
    }
    if (!st.reconciles.empty() && (std::holds_alternative<protocol::known_message>(message) ||
                                   std::holds_alternative<protocol::content_message>(message))) {
      settle_reconcile(self, protocol::message_id(message));
    }
    self->send(st.manager, from_peer{caf::actor_cast<sync_peer>(self), st.id, std::move(message)});
  }
}

peer_impl::behavior_type peer_behavior(self_ptr self, std::shared_ptr<gateway::sync_connection> connection,
                                        sync_manager_actor manager, sync_metrics* metrics, peer_options options) {
  auto& st = self->state;
  st.connection = std::move(connection);
  st.manager = std::move(manager);
  st.metrics = metrics;
  st.options = options;
  st.requests = request_deadlines(options.timers);
  st.id = st.connection->id();
  st.probe = metrics->actors.enroll(peer_state::name, self->id());
  log::info(actor_origin(self), "connected", {{"peer", st.id}, {"remote", st.connection->remote_address()}});
  return {
      probed(self, [=](incoming_frame& f) {
        on_frame(self, std::move(f.text), f.paced_transactions);
      }),
      probed(self, [=](frame_sent&) {
        flush(self);
      }),
      probed(self, [=](stall_check_atom) {
        check_stall(self);
      }),
      probed(self, [=](request_overdue& r) { self->state.requests.overdue(r.token); }),
      probed(self,
             [=](disconnect_request& d) {
               if (self->state.closing || !self->state.connection) return;
               log::warn(actor_origin(self), "disconnecting the peer",
                         {{"peer", self->state.id}, {"code", static_cast<unsigned>(d.code)}, {"reason", d.reason}});
               disconnect(self, d.code, d.reason.c_str());
             }),
      probed(self, [=](outgoing_messages& out) {
        auto& st = self->state;
        if (hold_back(self, out)) return;
        if (out.resend && defer_for_held_dependency(self, out)) return;
        const auto before = st.queued_bytes;
        for (auto& m : out.messages) enqueue(self, std::move(m), out.priority);
        check_queue(self, before, !out.content_of.empty());
        // With more messages waiting, send once they are in: they share frames.
        if (st.probe->mailbox.load(std::memory_order_relaxed) == 0) {
          flush(self);
        } else if (!st.flush_scheduled) {
          st.flush_scheduled = true;
          self->send(self, flush_atom::value);
        }
      }),
      probed(self, [=](flush_atom) {
        self->state.flush_scheduled = false;
        flush(self);
      }),
      probed(self, [=](upstream_connected) {
        // An upstream link closed as a slow consumer has connected again: queue anew.
        // Its subscriptions and reconcile bring what was held back for the old one.
        self->state.closing = false;
        forget_held(self->state);
        if (self->state.options.on_upstream_connected) self->state.options.on_upstream_connected();
      }),
      probed(self, [=](connection_closed& c) {
        log::info(actor_origin(self), "disconnected", {{"peer", self->state.id}, {"reason", c.reason}});
        self->state.connection.reset();
        self->quit();
      }),
  };
}

// The gateway's view of a peer actor: every callback becomes a message. A rate limit
// (access control) is paced here, on the connection's strand, before the next read.
class peer_bridge final : public gateway::sync_connection_handler {
 public:
  peer_bridge(connection_peer peer, std::weak_ptr<gateway::sync_connection> connection,
              std::shared_ptr<access_grant> access)
      : peer_(std::move(peer)), connection_(std::move(connection)), access_(std::move(access)) {}
  void on_frame(std::string frame) override {
    std::uint64_t paced = 0;
    if (access_ && access_->paces()) {
      const auto count = count_frame(frame);
      paced = count.transactions;
      const auto pause = access_->pace(count);
      if (pause > access_clock::duration::zero()) {
        if (auto c = connection_.lock()) c->delay_reads(pause);
      }
    }
    caf::anon_send(peer_, incoming_frame{std::move(frame), paced});
  }
  void on_frame_sent(std::size_t bytes) override { caf::anon_send(peer_, frame_sent{bytes}); }
  void on_closed(const std::string& reason) override { caf::anon_send(peer_, connection_closed{reason}); }

 private:
  connection_peer peer_;
  std::weak_ptr<gateway::sync_connection> connection_;
  std::shared_ptr<access_grant> access_;
};

}  // namespace

peer_handles spawn_peer(caf::actor_system& system, std::shared_ptr<gateway::sync_connection> connection,
                        sync_manager_actor manager, sync_metrics* metrics, peer_options options) {
  std::weak_ptr<gateway::sync_connection> weak = connection;
  auto access = options.access;
  auto peer = caf::actor_cast<connection_peer>(
      system.spawn(peer_behavior, std::move(connection), std::move(manager), metrics, options));
  return {peer, std::make_shared<peer_bridge>(peer, std::move(weak), std::move(access))};
}

std::shared_ptr<gateway::sync_connection_handler> accept_peer(caf::actor_system& system,
                                                              std::shared_ptr<gateway::sync_connection> connection,
                                                              sync_manager_actor manager, sync_metrics* metrics,
                                                              peer_options options) {
  return spawn_peer(system, std::move(connection), std::move(manager), metrics, options).handler;
}

}  // namespace moai::actors
