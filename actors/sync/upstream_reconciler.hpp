// Sync mode with an upstream (PEER_MOAI): after every (re)connection, this moai's stored
// CoValues go up in `reconcile` batches (guide §2.5), as cojson clients with storage do.
// The upstream asks (`load`) for those it lacks or holds differently, and the CoValue
// actors answer with what it lacks: content stored while the link was down reaches the
// upstream even if this moai restarted meanwhile. One batch in flight at a time.
#pragma once

#include "actors/observability/metrics.hpp"
#include "actors/sync/messages.hpp"

namespace moai::actors {

struct reconcile_acked {
  std::string batch_id;
};
using upstream_reconciler_actor = caf::typed_actor<caf::reacts_to<upstream_link>, caf::reacts_to<reconcile_acked>>;

upstream_reconciler_actor spawn_upstream_reconciler(caf::actor_system& system, storage_actor storage,
                                                    sync_metrics* metrics);

}  // namespace moai::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::reconcile_acked)
