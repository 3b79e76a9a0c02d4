#include "actors/sync/sync_manager.hpp"

#include <algorithm>
#include <unordered_map>
#include <vector>

#include "actors/sync/coarse_timers.hpp"
#include "config/log.hpp"

namespace moai::actors {
namespace {

// Over the memory limit: time to ask idle CoValues to leave (the manager's own timer).
using eviction_atom = caf::atom_constant<caf::atom("eviction")>;
using manager_impl = sync_manager_actor::extend<caf::reacts_to<eviction_atom>>;

struct routed_covalue {
  covalue_actor actor;
  std::uint64_t forwarded = 0;    // messages routed to it (retire handshake)
  std::uint64_t last_routed = 0;  // the manager's routing clock when last used
};

struct manager_state {
  storage_actor storage;
  sync_metrics* metrics = nullptr;
  covalue_options options;
  coarse_timers* timers = nullptr;
  std::optional<upstream_link> upstream;
  std::unordered_map<std::string, routed_covalue> covalues;
  std::unordered_map<caf::actor_id, std::string> by_actor;
  manager_stats stats;
  std::uint64_t clock = 0;
  bool eviction_scheduled = false;
  std::shared_ptr<actor_probe> probe;
  static inline const char* name = "sync_manager";
};

using self_ptr = manager_impl::stateful_pointer<manager_state>;

routed_covalue& route(self_ptr self, const std::string& id) {
  auto& st = self->state;
  auto it = st.covalues.find(id);
  if (it == st.covalues.end()) {
    covalue_context ctx{caf::actor_cast<sync_manager_actor>(self), st.storage, st.metrics, st.options, st.upstream,
                        st.timers};
    auto actor = spawn_covalue_actor(self->system(), id, ctx);
    self->monitor(actor);
    st.by_actor[actor.id()] = id;
    it = st.covalues.emplace(id, routed_covalue{actor, 0}).first;
    st.stats.covalues_spawned++;
  }
  it->second.forwarded++;
  it->second.last_routed = ++st.clock;
  st.stats.messages_routed++;
  if (st.covalues.size() > st.options.max_in_memory && !st.eviction_scheduled) {
    st.eviction_scheduled = true;
    self->send(self, eviction_atom::value);
  }
  return it->second;
}

// Over the limit: ask the least recently used CoValues, down to 90 % of it, to
// retire if idle. Busy ones stay; the check repeats every second while over.
void evict(self_ptr self) {
  auto& st = self->state;
  st.eviction_scheduled = false;
  const std::size_t limit = st.options.max_in_memory;
  if (st.covalues.size() <= limit) return;
  const std::size_t excess = st.covalues.size() - limit * 9 / 10;
  std::vector<std::pair<std::uint64_t, const routed_covalue*>> by_age;
  by_age.reserve(st.covalues.size());
  for (const auto& [id, cv] : st.covalues) by_age.emplace_back(cv.last_routed, &cv);
  std::nth_element(by_age.begin(), by_age.begin() + static_cast<std::ptrdiff_t>(excess - 1), by_age.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (std::size_t i = 0; i < excess; ++i) self->send(by_age[i].second->actor, evict_atom::value);
  st.eviction_scheduled = true;
  self->delayed_send(self, std::chrono::seconds(1), eviction_atom::value);
}

}  // namespace

sync_manager_actor spawn_sync_manager(caf::actor_system& system, storage_actor storage, sync_metrics* metrics,
                                      covalue_options options, coarse_timers& timers) {
  auto behavior = [](self_ptr self, storage_actor storage, sync_metrics* metrics, covalue_options options,
                     coarse_timers* timers) -> manager_impl::behavior_type {
    self->state.storage = std::move(storage);
    self->state.metrics = metrics;
    self->state.options = options;
    self->state.timers = timers;
    self->state.probe = metrics->actors.enroll(manager_state::name, self->id());
    // A CoValue actor that died (e.g. an unexpected exception) is forgotten, so the
    // next message about it spawns a fresh one that reloads from storage.
    self->set_down_handler([=](caf::down_msg& down) {
      auto& st = self->state;
      auto it = st.by_actor.find(down.source.id());
      if (it == st.by_actor.end()) return;
      if (down.reason) {
        log::error(actor_origin(self), "CoValue actor failed; it will be reloaded on demand",
                   {{"id", it->second}, {"reason", self->system().render(down.reason)}});
      }
      auto cv = st.covalues.find(it->second);
      if (cv != st.covalues.end() && cv->second.actor.id() == down.source.id()) st.covalues.erase(cv);
      st.by_actor.erase(it);
    });
    // On shutdown the CoValue actors stop with the manager.
    self->set_exit_handler([=](caf::exit_msg& msg) {
      for (auto& [id, cv] : self->state.covalues) caf::anon_send_exit(cv.actor, caf::exit_reason::user_shutdown);
      self->quit(msg.reason);
    });
    return {
        probed(self, [=](from_peer& msg) {
          if (std::holds_alternative<protocol::done_message>(msg.message)) return;
          auto& target = route(self, protocol::message_id(msg.message));
          self->send(target.actor, std::move(msg));
        }),
        probed(self, [=](availability_query& q) -> caf::delegated<availability> {
          return self->delegate(route(self, q.id).actor, std::move(q));
        }),
        probed(self, [=](dependency_push& q) -> caf::delegated<push_done> {
          return self->delegate(route(self, q.id).actor, std::move(q));
        }),
        probed(self, [=](known_query& q) -> caf::delegated<known_reply> {
          auto it = self->state.covalues.find(q.id);
          if (it != self->state.covalues.end()) {
            it->second.forwarded++;
            return self->delegate(it->second.actor, std::move(q));
          }
          return self->delegate(self->state.storage, std::move(q));
        }),
        probed(self, [=](snapshot_query& q) -> caf::delegated<snapshot_reply> {
          return self->delegate(route(self, q.id).actor, std::move(q));
        }),
        probed(self, [=](inspect_query& q) -> caf::delegated<inspect_reply> {
          q.in_memory = self->state.covalues.count(q.id) > 0;
          return self->delegate(route(self, q.id).actor, std::move(q));
        }),
        probed(self, [=](retire_request& r) {
          auto& st = self->state;
          auto it = st.covalues.find(r.id);
          if (it == st.covalues.end()) return;
          bool granted = it->second.forwarded == r.received;
          auto actor = it->second.actor;
          if (granted) {
            st.by_actor.erase(it->second.actor.id());
            st.covalues.erase(it);
            st.stats.covalues_retired++;
          }
          self->send(actor, retire_decision{granted});
        }),
        probed(self, [=](eviction_atom) { evict(self); }),
        probed(self, [=](upstream_link& link) {
          auto& st = self->state;
          st.upstream = link;
          for (auto& [id, cv] : st.covalues) self->send(cv.actor, link);
        }),
        // Another node's commit concerns only a CoValue in memory (a later load reads it
        // anyway). Not counted as routed: it cannot keep an idle CoValue from retiring.
        probed(self, [=](storage_changed& change) {
          auto it = self->state.covalues.find(change.change.id);
          if (it != self->state.covalues.end()) self->send(it->second.actor, std::move(change));
        }),
        probed(self, [=](storage_resync) {
          for (auto& [id, cv] : self->state.covalues) self->send(cv.actor, storage_resync{});
        }),
        probed(self, [=](stats_query) -> manager_stats {
          auto s = self->state.stats;
          s.covalues_in_memory = self->state.covalues.size();
          return s;
        }),
    };
  };
  return caf::actor_cast<sync_manager_actor>(system.spawn(behavior, std::move(storage), metrics, options, &timers));
}

}  // namespace moai::actors
