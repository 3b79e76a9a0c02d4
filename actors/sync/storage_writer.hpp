// The storage writer: the only actor that touches the database. It runs on its own
// thread (SQLite calls block) and commits every write that queued up during one
// turn in a single transaction, replying to each writer once it is durable.
#pragma once

#include <memory>

#include "actors/observability/metrics.hpp"
#include "actors/sync/messages.hpp"

namespace moai::actors {

storage_actor spawn_storage_writer(caf::actor_system& system, std::shared_ptr<storage::covalue_store> store,
                                   sync_metrics* metrics);

}  // namespace moai::actors
