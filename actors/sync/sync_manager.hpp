// The supervisor of CoValue actors: routes every message about a CoValue to its
// actor, spawns actors on demand and retires idle ones.
#pragma once

#include "actors/sync/covalue_actor.hpp"
#include "actors/sync/messages.hpp"

namespace moai::actors {

// `timers` must outlive the actor system's CoValue actors.
sync_manager_actor spawn_sync_manager(caf::actor_system& system, storage_actor storage, sync_metrics* metrics,
                                      covalue_options options, coarse_timers& timers);

}  // namespace moai::actors
