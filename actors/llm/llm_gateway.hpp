// The LLM proxy's gateway actor: POST /api/v0/llm/chat, forwarded to an
// OpenAI-compatible upstream with a key only the server knows (../shared/agent-api.md).
// Separate from the sync path: a slow upstream never holds up /sync. The actor owns
// the caller checks (bearer token, per-IP rate limit) and drives a pooled
// gateway::http_client; `stream:true` answers pass the upstream's events through.
#pragma once

#include <caf/fwd.hpp>

#include "actors/http_gateway.hpp"
#include "config/config.hpp"

namespace moai::actors {

// Answers POST /api/v0/llm/chat (any method reaches it; it answers 405 itself) with a
// streamed response for a streamed answer. Hidden from the actor system's await: it ends
// when the wiring stops it.
http_gateway_actor spawn_llm_gateway(caf::actor_system& system, const config& cfg);

}  // namespace moai::actors
