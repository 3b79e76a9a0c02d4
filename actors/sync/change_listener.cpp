#include "actors/sync/change_listener.hpp"

#include <chrono>

#include "actors/sync/retry_backoff.hpp"
#include "config/log.hpp"

namespace moai::actors {
namespace {

using listen_atom = caf::atom_constant<caf::atom("listen")>;

// How long one wait for announcements blocks the actor's thread (and so its mailbox).
constexpr std::chrono::milliseconds kWait{200};

struct listener_state {
  std::unique_ptr<storage::change_feed> feed;
  sync_manager_actor manager;
  sync_metrics* metrics = nullptr;
  std::chrono::milliseconds backoff{0};
  bool connected_before = false;  // a reconnection after this is a resync
  bool down = false;              // logged as down (once per outage)
  std::shared_ptr<actor_probe> probe;
  static inline const char* name = "change_listener";
};

using listener_ptr = caf::stateful_actor<listener_state>*;

void listen_once(listener_ptr self) {
  auto& st = self->state;
  try {
    bool reconnected = false;
    auto changes = st.feed->wait(kWait, reconnected);
    if (reconnected) {
      st.metrics->database_link = 1;
      st.backoff = std::chrono::milliseconds(0);
      if (st.down) log::info(actor_origin(self), "change feed connected again; comparing CoValues in memory", {});
      st.down = false;
      // Before the first connection nothing was in memory either; after a loss,
      // whatever was committed meanwhile was not heard.
      if (st.connected_before) st.metrics->resyncs++;
      st.connected_before = true;
      self->send(st.manager, storage_resync{});
    }
    for (auto& change : changes) {
      st.metrics->changes_heard++;
      self->send(st.manager, storage_changed{std::move(change)});
    }
    self->send(self, listen_atom::value);
  } catch (const std::exception& e) {
    st.metrics->database_link = 0;
    if (!st.down) {
      log::warn(actor_origin(self), "change feed lost; other nodes' commits are not heard until it is back",
                {{"error", e.what()}});
    }
    st.down = true;
    st.backoff = next_retry_backoff(st.backoff);
    self->delayed_send(self, st.backoff, listen_atom::value);
  }
}

caf::behavior change_listener(listener_ptr self, std::shared_ptr<std::unique_ptr<storage::change_feed>> feed,
                              sync_manager_actor manager, sync_metrics* metrics) {
  self->state.feed = std::move(*feed);
  self->state.manager = std::move(manager);
  self->state.metrics = metrics;
  self->state.probe = metrics->actors.enroll(listener_state::name, self->id());
  metrics->database_link = 0;
  self->send(self, listen_atom::value);
  return {
      probed(self, [=](listen_atom) { listen_once(self); }),
  };
}

}  // namespace

caf::actor spawn_change_listener(caf::actor_system& system, std::unique_ptr<storage::change_feed> feed,
                                 sync_manager_actor manager, sync_metrics* metrics) {
  // CAF copies spawn arguments: the feed travels in a shared box.
  auto box = std::make_shared<std::unique_ptr<storage::change_feed>>(std::move(feed));
  return system.spawn<caf::detached>(change_listener, std::move(box), std::move(manager), metrics);
}

}  // namespace moai::actors
