// The admin page's data routes (on only when admin.token is set), behind
// `Authorization: Bearer <admin.token>`:
//   GET /admin/api/stats           the counters /metrics exposes, as one JSON snapshot
//   GET /admin/api/covalues/{id}   a CoValue as its actor holds it (inspect_query)
// The page itself (static files, no data) is served by the route table.
#pragma once

#include <caf/fwd.hpp>
#include <chrono>
#include <functional>
#include <string>

#include "actors/http_gateway.hpp"
#include "actors/observability/metrics.hpp"
#include "actors/sync/messages.hpp"
#include "gateway/server/server_counters.hpp"

namespace moai::actors {

struct admin_targets {
  std::string token;
  sync_manager_actor manager;
  sync_metrics* metrics = nullptr;
  std::function<const gateway::server_counters&()> server_counters;
  std::chrono::steady_clock::time_point started;
  std::chrono::milliseconds lookup_timeout{10000};
};

// Hidden from the actor system's await: it ends when the wiring stops it.
http_gateway_actor spawn_admin_gateway(caf::actor_system& system, admin_targets targets);

}  // namespace moai::actors
