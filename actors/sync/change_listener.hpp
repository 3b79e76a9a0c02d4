// Several moai nodes on one PostgreSQL database: the change listener hears what the
// other nodes commit (storage::change_feed: LISTEN on a connection of its own) and
// tells the sync manager, which passes each change to the CoValue's actor if it is in
// memory (that actor then reads what it lacks). When the feed's connection was lost
// and is back, announcements were missed: the manager asks every CoValue in memory to
// compare itself with storage (storage_resync). Its own thread: the feed blocks in
// short waits, between which the mailbox (shutdown) is served.
#pragma once

#include <memory>

#include "actors/observability/metrics.hpp"
#include "actors/sync/messages.hpp"
#include "storage/change_feed.hpp"

namespace moai::actors {

caf::actor spawn_change_listener(caf::actor_system& system, std::unique_ptr<storage::change_feed> feed,
                                 sync_manager_actor manager, sync_metrics* metrics);

}  // namespace moai::actors
