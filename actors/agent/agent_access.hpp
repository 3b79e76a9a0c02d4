// Who may call the agent routes. With AGENT_API_TOKEN set, every agent route needs it.
// Without it:
//  - MaiaOS's routes (/on-added, /register-human, /trigger, /profile) answer anyone, as
//    the JavaScript moai's do: MaiaOS's browser app calls them directly, so closing them
//    would break a drop-in deployment (the start-up log warns instead);
//  - the generic /covalues routes (moai's own) answer callers on this machine only;
//  - a write to the server's own account through /covalues is refused: the account's
//    keys (sparks, profile) are what the MaiaOS routes build on, and rewiring them takes
//    a token even from this machine.
#pragma once

#include <string>

#include "gateway/server/http_types.hpp"

namespace moai::actors::agent_api {

struct agent_access_rules {
  std::string token;       // AGENT_API_TOKEN; empty: no token configured
  std::string account_id;  // PEER_ID
};

struct access_refusal {
  unsigned status = 0;  // 0: allowed; else 401 or 403
  std::string error;
};

access_refusal check_agent_access(const agent_access_rules& rules, const gateway::http_request& request);

}  // namespace moai::actors::agent_api
