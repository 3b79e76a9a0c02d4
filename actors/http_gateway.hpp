// The contract of moai's HTTP gateway actors (the agent API, the LLM proxy): one request
// and how to answer it. The router (actors/server/routes.cpp) sends each request for
// their paths as an http_call; the actor calls `respond` exactly once, from any thread.
#pragma once

#include <caf/all.hpp>

#include "gateway/server/http_types.hpp"

namespace moai::actors {

struct http_call {
  gateway::http_request request;
  gateway::responder respond;
};

using http_gateway_actor = caf::typed_actor<caf::reacts_to<http_call>>;

}  // namespace moai::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(moai::actors::http_call)
