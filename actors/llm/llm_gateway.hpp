// The LLM proxy's gateway actor: POST /api/v0/llm/chat, forwarded to an
// OpenAI-compatible upstream with a key only the server knows (../shared/agent-api.md).
// Separate from the sync path: a slow upstream never holds up /sync. The actor owns
// the caller checks (bearer token, per-IP rate limit) and drives a pooled
// gateway::http_client; `stream:true` answers pass the upstream's events through.
#pragma once

#include <memory>

#include <caf/fwd.hpp>

#include "config/config.hpp"
#include "gateway/server/http_types.hpp"

namespace moai::actors {

class llm_gateway {
 public:
  virtual ~llm_gateway() = default;
  // Answers one request to /api/v0/llm/chat (any method); `respond` is called exactly
  // once (with a streamed response for a streamed answer). Thread-safe.
  virtual void handle(gateway::http_request&& request, gateway::responder respond) = 0;
};

std::unique_ptr<llm_gateway> make_llm_gateway(caf::actor_system& system, const config& cfg);

}  // namespace moai::actors
