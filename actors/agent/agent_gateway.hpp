// The agent API's gateway actor: HTTP routes that act as the server's own account
// (../shared/agent-api.md) — /on-added, /register-human, /trigger, /profile — and the
// generic CoValue routes /covalues. It validates and authorizes requests, then drives
// the agent node; it never touches the sync path directly.
#pragma once

#include <caf/fwd.hpp>
#include <optional>

#include "actors/agent/agent_node.hpp"
#include "actors/http_gateway.hpp"
#include "config/config.hpp"

namespace moai::actors {

// `node` is empty when the server has no account (PEER_ID / PEER_SECRET unset): every
// route then answers 503 naming what is missing.
http_gateway_actor spawn_agent_gateway(caf::actor_system& system, const config& cfg,
                                       std::optional<agent_node_actor> node, sync_metrics* metrics);

}  // namespace moai::actors
