#include "actors/agent/agent_node.hpp"

#include <utility>

#include "actors/agent/agent_node_state.hpp"
#include "actors/observability/metrics.hpp"
#include "config/log.hpp"
#include "protocol/content/colist.hpp"
#include "protocol/content/comap.hpp"
#include "protocol/encoding/ids.hpp"
#include "protocol/sync/codec.hpp"
#include "protocol/sync/content_ingest.hpp"

namespace moai::actors::agent_node_internal {

tracked_covalue& track(self_ptr self, const std::string& id) {
  auto [it, inserted] = self->state.covalues.try_emplace(id);
  if (inserted) {
    it->second.state = std::make_unique<protocol::covalue_state>(id);
    it->second.confirmed = it->second.sent = known_state{id, false, {}};
  }
  return it->second;
}

// ---- the link ----------------------------------------------------------------

void send_message(self_ptr self, std::string text) {
  auto& st = self->state;
  if (st.link.send_frame) {
    st.link.send_frame(std::move(text));
    return;
  }
  auto frame = protocol::decode_frame(text);
  for (auto& m : frame.messages) {
    self->send(st.link.manager, from_peer{caf::actor_cast<sync_peer>(self), 0, std::move(m)});
  }
}

void schedule_sweep(self_ptr self) {
  if (self->state.sweep_scheduled) return;
  self->state.sweep_scheduled = true;
  self->delayed_send(self, std::chrono::milliseconds(250), tick_atom::value);
}

// Sends the server what it lacks of `id`, as far as we know.
void upload(self_ptr self, tracked_covalue& t) {
  if (!t.state->has_header()) return;
  for (auto& piece : t.state->new_content_since(&t.sent)) send_message(self, std::move(piece));
  protocol::merge_into(t.sent, t.state->known());
}

void send_load(self_ptr self, tracked_covalue& t) {
  t.load_sent = true;
  send_message(self, protocol::encode_load(t.state->known()));
}

void settle(tracked_covalue& t, bool found) {
  t.settled = true;
  t.found = found;
  auto waiters = std::move(t.load_waiters);
  t.load_waiters.clear();
  node_error e = found ? node_error{} : node_error{404, "CoValue " + t.state->id() + " is unavailable", t.state->id()};
  for (auto& w : waiters) w.done(e);
}

void check_acks(tracked_covalue& t) {
  for (auto it = t.acks.begin(); it != t.acks.end();) {
    auto held = t.confirmed.sessions.find(it->session);
    const bool stored = it->count == 0 ? t.confirmed.header
                                       : held != t.confirmed.sessions.end() && held->second >= it->count;
    if (stored) {
      auto done = std::move(it->done);
      it = t.acks.erase(it);
      done(node_error{});
    } else {
      ++it;
    }
  }
}

// ---- loading ---------------------------------------------------------------

// Calls `done` once the server has answered a load of `id` (found or not).
void ensure_loaded(self_ptr self, const std::string& id, done_callback done) {
  if (!protocol::is_covalue_id(id)) {
    done(node_error{400, "not a CoValue ID: " + id});
    return;
  }
  auto& t = track(self, id);
  if (t.settled && t.found) {
    done(node_error{});
    return;
  }
  t.load_waiters.push_back({steady::now() + self->state.options.load_timeout, std::move(done)});
  // Not found before: ask again, it may exist by now.
  if (!t.load_sent || t.settled) {
    t.settled = false;
    send_load(self, t);
  }
  schedule_sweep(self);
}

// ---- receiving -------------------------------------------------------------

protocol::covalue_lookup lookup(self_ptr self) {
  return [self](const std::string& id) -> const protocol::covalue_state* {
    auto it = self->state.covalues.find(id);
    return it != self->state.covalues.end() && it->second.state->has_header() ? it->second.state.get() : nullptr;
  };
}

// An account whose sessions appear in `m` and that we do not hold yet: its header says
// which key signs them, so it is fetched first (the server normally sent it already).
std::optional<std::string> missing_account(self_ptr self, const protocol::content_message& m) {
  for (const auto& entry : m.sessions) {
    auto parts = protocol::parse_session_id(entry.session_id);
    if (!parts || !protocol::is_account_id(parts->owner) || parts->owner == m.id) continue;
    if (!lookup(self)(std::string(parts->owner))) return std::string(parts->owner);
  }
  return std::nullopt;
}

void retry_blocked(self_ptr self);

// Applies verified content; false when it must wait for an account first.
bool apply_content(self_ptr self, protocol::content_message& m) {
  auto& t = track(self, m.id);
  if (!t.state->has_header() && !m.header) {
    send_message(self, protocol::encode_known(t.state->known(), true));
    return true;
  }
  if (auto account = missing_account(self, m)) {
    auto& a = track(self, *account);
    if (!a.load_sent) send_load(self, a);
    return false;
  }
  auto result = protocol::ingest_content(*t.state, m, lookup(self));
  for (const auto& error : result.errors) {
    log::error(actor_origin(self), "content from the server does not verify; ignored",
               {{"id", m.id}, {"error", error}});
  }
  const bool gap = result.gap;
  known_state held{m.id, true, {}};
  for (const auto& entry : m.sessions) {
    held.sessions[entry.session_id] = entry.after + static_cast<std::uint32_t>(entry.transactions.size());
  }
  protocol::merge_into(t.confirmed, held);
  protocol::merge_into(t.sent, held);
  send_message(self, protocol::encode_known(t.state->known(), gap));
  if (m.expect_content_until) t.expect = m.expect_content_until;
  if (!t.settled && t.load_sent) {
    bool complete = true;
    if (t.expect) {
      for (const auto& [session, count] : *t.expect) complete = complete && t.state->count(session) >= count;
    }
    if (complete) {
      t.expect.reset();
      settle(t, true);
    }
  }
  check_acks(t);
  return true;
}

void on_content(self_ptr self, protocol::content_message&& m) {
  auto& t = track(self, m.id);
  if (!t.blocked.empty()) {
    t.blocked.push_back(std::move(m));
    return;
  }
  const bool had_header = t.state->has_header();
  if (!apply_content(self, m)) {
    t.blocked.push_back(std::move(m));
    return;
  }
  if (!had_header && t.state->has_header()) retry_blocked(self);
}

void retry_blocked(self_ptr self) {
  bool progress = true;
  while (progress) {
    progress = false;
    for (auto& [id, t] : self->state.covalues) {
      while (!t.blocked.empty()) {
        const bool had_header = t.state->has_header();
        if (!apply_content(self, t.blocked.front())) break;
        t.blocked.pop_front();
        progress = progress || (!had_header && t.state->has_header());
      }
    }
  }
}

void on_known(self_ptr self, protocol::known_message&& m) {
  auto& t = track(self, m.known.id);
  if (m.is_correction) {
    t.confirmed = t.sent = m.known;
  } else {
    protocol::merge_into(t.confirmed, m.known);
    protocol::merge_into(t.sent, m.known);
  }
  if (!t.settled && t.load_sent) {
    if (!m.known.header && !t.state->has_header()) {
      settle(t, false);
    } else if (protocol::is_covered_by(m.known, t.state->known())) {
      settle(t, true);
    } else {
      // The server holds more than we do but assumed we had it: ask from our real state.
      send_message(self, protocol::encode_load(t.state->known()));
    }
  }
  check_acks(t);
  upload(self, t);
}

void on_load(self_ptr self, protocol::load_message&& m) {
  auto& t = track(self, m.known.id);
  t.sent = m.known;
  protocol::merge_into(t.confirmed, m.known);
  if (!t.state->has_header()) {
    send_message(self, protocol::encode_known(t.state->known()));
    return;
  }
  auto pieces = t.state->new_content_since(&t.sent);
  if (pieces.empty()) send_message(self, protocol::encode_known(t.state->known()));
  for (auto& piece : pieces) send_message(self, std::move(piece));
  protocol::merge_into(t.sent, t.state->known());
}

void on_text(self_ptr self, const std::string& text) {
  auto frame = protocol::decode_frame(text);
  if (frame.dropped) {
    log::warn(actor_origin(self), "frame from the server is not JSON; dropped", {{"error", frame.drop_reason}});
    return;
  }
  for (const auto& e : frame.errors) {
    log::warn(actor_origin(self), "message from the server skipped", {{"id", e.id}, {"reason", e.reason}});
  }
  for (auto& message : frame.messages) {
    std::visit(
        [&](auto&& m) {
          using T = std::decay_t<decltype(m)>;
          if constexpr (std::is_same_v<T, protocol::content_message>) {
            on_content(self, std::move(m));
          } else if constexpr (std::is_same_v<T, protocol::known_message>) {
            on_known(self, std::move(m));
          } else if constexpr (std::is_same_v<T, protocol::load_message>) {
            on_load(self, std::move(m));
          }
        },
        message);
  }
}

// ---- reading ----------------------------------------------------------------

protocol::key_resolver resolver(self_ptr self) {
  return protocol::key_resolver(self->state.identity, lookup(self));
}

covalue_snapshot snapshot_of(self_ptr self, const protocol::covalue_state& cv) {
  covalue_snapshot s;
  s.id = cv.id();
  const auto* h = cv.header();
  s.type = h->type;
  s.meta_type = h->meta_type;
  s.meta_schema = h->meta_schema;
  s.is_group = h->is_group_or_account();
  if (h->ruleset == protocol::ruleset_kind::owned_by_group) s.owner_group = h->group;
  auto keys = resolver(self);
  protocol::decode_stats stats;
  if (h->type == "comap") {
    auto view = protocol::comap_view::read(cv, keys, &stats);
    for (const auto& key : view.keys()) s.entries[key] = *view.get(key);
    s.content_json = view.json();
  } else if (h->type == "colist") {
    auto view = protocol::colist_view::read(cv, keys, &stats);
    for (const auto& item : view.items()) s.items.push_back(item.value_json);
    s.content_json = view.json();
  } else {
    s.content_json = "null";
  }
  s.undecryptable = stats.undecryptable;
  return s;
}

// ---- timeouts -----------------------------------------------------------------

void sweep(self_ptr self) {
  auto& st = self->state;
  st.sweep_scheduled = false;
  const auto now = steady::now();
  bool pending = false;
  for (auto& [id, t] : st.covalues) {
    std::vector<done_callback> expired;
    for (auto it = t.load_waiters.begin(); it != t.load_waiters.end();) {
      if (it->deadline <= now) {
        expired.push_back(std::move(it->done));
        it = t.load_waiters.erase(it);
      } else {
        ++it;
      }
    }
    for (auto it = t.acks.begin(); it != t.acks.end();) {
      if (it->deadline <= now) {
        expired.push_back(std::move(it->done));
        it = t.acks.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& done : expired) done(node_error{504, "timed out waiting for " + id, id});
    pending = pending || !t.load_waiters.empty() || !t.acks.empty();
  }
  if (pending) schedule_sweep(self);
}

agent_node_impl::behavior_type agent_node(self_ptr self, protocol::agent_identity identity, agent_link link,
                                           agent_node_options options, sync_metrics* metrics) {
  auto& st = self->state;
  st.identity = std::move(identity);
  st.writer = std::make_unique<protocol::local_writer>(st.identity, protocol::local_writer::random_session_suffix());
  st.link = std::move(link);
  st.options = options;
  st.probe = metrics->actors.enroll(node_state::name, self->id());
  log::info(actor_origin(self), "agent node started",
            {{"account", st.identity.account_id}, {"session", st.writer->session_id()}});
  return {
      probed(self, [=](incoming_frame& f) {
        on_text(self, f.text);
      }),
      probed(self,
             [=](disconnect_request& d) {
               // In-process: nothing to close. Its writes wait for their acks (or time out).
               log::warn(actor_origin(self), "the server could not store what the account wrote",
                         {{"reason", d.reason}});
             }),
      probed(self, [=](outgoing_messages& out) {
        for (const auto& text : out.messages) on_text(self, text);
      }),
      probed(self, [=](connection_closed& c) {
        log::warn(actor_origin(self), "connection to the server lost", {{"reason", c.reason}});
      }),
      probed(self, [=](tick_atom) {
        sweep(self);
      }),
      probed(self, [=](upstream_connected) {
        // A fresh connection: the server knows nothing of us. Announce what we hold;
        // its answers tell us what to upload.
        for (auto& [id, t] : self->state.covalues) {
          t.confirmed = t.sent = known_state{id, false, {}};
          if (t.state->has_header() || t.load_sent) send_load(self, t);
        }
      }),
      probed(self, [=](read_request& req) -> caf::result<read_result> {
        auto promise = self->make_response_promise<read_result>();
        ensure_loaded(self, req.id, [=](const node_error& e) mutable {
          if (!e.ok()) {
            read_result r;
            r.error = e;
            promise.deliver(std::move(r));
            return;
          }
          read_result r;
          r.value = snapshot_of(self, *track(self, req.id).state);
          promise.deliver(std::move(r));
        });
        return promise;
      }),
      probed(self, [=](update_map_request& req) -> caf::result<write_result> {
        auto promise = self->make_response_promise<write_result>();
        update_map(self, std::move(req), [promise](write_result r) mutable { promise.deliver(std::move(r)); });
        return promise;
      }),
      probed(self, [=](append_list_request& req) -> caf::result<write_result> {
        auto promise = self->make_response_promise<write_result>();
        append_list(self, std::move(req), [promise](write_result r) mutable { promise.deliver(std::move(r)); });
        return promise;
      }),
      probed(self, [=](create_request& req) -> caf::result<write_result> {
        auto promise = self->make_response_promise<write_result>();
        create(self, std::move(req), [promise](write_result r) mutable { promise.deliver(std::move(r)); });
        return promise;
      }),
      probed(self, [=](bootstrap_request& req) -> caf::result<bootstrap_result> {
        auto promise = self->make_response_promise<bootstrap_result>();
        bootstrap(self, std::move(req), [promise](bootstrap_result r) mutable { promise.deliver(std::move(r)); });
        return promise;
      }),
  };
}

}  // namespace moai::actors::agent_node_internal

namespace moai::actors {

agent_node_actor spawn_agent_node(caf::actor_system& system, protocol::agent_identity identity, agent_link link,
                                  agent_node_options options, sync_metrics* metrics) {
  return caf::actor_cast<agent_node_actor>(
      system.spawn(agent_node_internal::agent_node, std::move(identity), std::move(link), options, metrics));
}

}  // namespace moai::actors
