// The agent API's gateway actor: HTTP routes that act as the server's own account
// (../shared/agent-api.md) — /on-added, /register-human, /trigger, /profile — and the
// generic CoValue routes /covalues. It validates and authorizes requests, then drives
// the agent node; it never touches the sync path directly.
#pragma once

#include <caf/fwd.hpp>
#include <memory>
#include <optional>

#include "actors/agent/agent_node.hpp"
#include "config/config.hpp"
#include "gateway/server/http_types.hpp"

namespace moai::actors {

class agent_gateway {
 public:
  virtual ~agent_gateway() = default;
  // True for the paths this gateway serves.
  static bool serves(const std::string& path);
  // Answers one request; `respond` is called exactly once.
  virtual void handle(gateway::http_request&& request, gateway::responder respond) = 0;
};

// `node` is empty when the server has no account (PEER_ID / PEER_SECRET unset): every
// route then answers 503 naming what is missing.
std::unique_ptr<agent_gateway> make_agent_gateway(caf::actor_system& system, const config& cfg,
                                                  std::optional<agent_node_actor> node, sync_metrics* metrics);

}  // namespace moai::actors
