// The link to PEER_MOAI, in its two roles: in agent mode the server the agent node is a
// client of; in sync mode an upstream moai this one syncs with through a peer actor
// like any other (its CoValues subscribe there, its storage is reconciled there).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "actors/agent/agent_node.hpp"
#include "actors/sync/peer_actor.hpp"
#include "actors/sync/upstream_reconciler.hpp"
#include "gateway/sync/upstream_connection.hpp"

namespace moai::actors {

struct upstream_wiring {
  std::unique_ptr<gateway::upstream_connection> connection;
  // Sync mode: the link's reader (told "shutting down" first) and the reconciler.
  std::shared_ptr<gateway::sync_connection_handler> peer;
  std::optional<upstream_reconciler_actor> reconciler;
};

// Agent mode: the agent node as a client of `link`. Returns the node; `out` keeps the
// connection (not started). Throws std::invalid_argument for a bad URL.
agent_node_actor connect_agent_node(caf::actor_system& system, const gateway::upstream_options& link,
                                    protocol::agent_identity identity, agent_node_options options,
                                    sync_metrics* metrics, upstream_wiring& out);

// Sync mode with PEER_MOAI: a peer actor for `link`, its CoValues subscribed
// and its storage reconciled on every (re)connection. Starts the connection. Throws
// std::invalid_argument for a bad URL.
upstream_wiring connect_upstream_peer(caf::actor_system& system, const gateway::upstream_options& link,
                                      sync_manager_actor manager,
                                      storage_actor storage, sync_metrics* metrics, peer_options options);

}  // namespace moai::actors
