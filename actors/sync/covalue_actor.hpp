// One actor per CoValue in memory: its verified state, what each peer holds of it,
// and the rules for accepting content and sending what peers lack (guide §2).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "actors/observability/metrics.hpp"
#include "actors/sync/messages.hpp"

namespace moai::actors {

class coarse_timers;

struct covalue_options {
  // An actor with no subscribed peer and nothing in flight retires after this long;
  // the CoValue is reloaded from storage when needed again.
  std::chrono::milliseconds idle_timeout{30000};
  // Beyond this many CoValues in memory the manager asks the least recently used idle
  // ones to retire at once instead of after idle_timeout.
  std::size_t max_in_memory = 100000;
  // How long content may wait for a dependency to arrive.
  std::chrono::milliseconds dependency_timeout{60000};
  // How long a dependency push may take before content is sent without it.
  std::chrono::milliseconds push_timeout{10000};
  // With an upstream: how long a load of a CoValue we lack waits for the upstream's
  // answer before the peer is told we do not have it.
  std::chrono::milliseconds upstream_load_timeout{5000};
  // storage.require_schema: CoValues without header meta.$schema are refused (MaiaOS),
  // the server's own account excepted.
  bool require_schema = false;
  // Content the database keeps refusing this long disconnects its senders (1011).
  std::chrono::milliseconds unstored_grace{10000};
  std::string server_account;
};

struct covalue_context {
  sync_manager_actor manager;
  storage_actor storage;
  sync_metrics* metrics = nullptr;
  covalue_options options;
  std::optional<upstream_link> upstream;  // sync mode with PEER_MOAI
  coarse_timers* timers = nullptr;         // request timeouts and the actor's own timers
};

covalue_actor spawn_covalue_actor(caf::actor_system& system, std::string id, covalue_context context);

}  // namespace moai::actors
