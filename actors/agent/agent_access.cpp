#include "actors/agent/agent_access.hpp"

#include "gateway/server/bearer_token.hpp"
#include "gateway/server/caller_address.hpp"

namespace moai::actors::agent_api {

access_refusal check_agent_access(const agent_access_rules& rules, const gateway::http_request& request) {
  const std::string& path = request.path;
  const bool generic = path == "/covalues" || path.rfind("/covalues/", 0) == 0;
  const bool account_write = generic && request.method != "GET" && path == "/covalues/" + rules.account_id;
  if (!rules.token.empty()) {
    if (gateway::bearer_matches(request.header("authorization"), rules.token)) return {};
    return {401, "unauthorized: send Authorization: Bearer <AGENT_API_TOKEN>"};
  }
  if (account_write) {
    return {403, "writes to the server's own account need a token: set AGENT_API_TOKEN and send it as "
                 "Authorization: Bearer <token>"};
  }
  if (generic && !gateway::is_local_caller(request)) {
    return {403, "the /covalues routes answer callers on this machine only while AGENT_API_TOKEN is unset; "
                 "set it to use them from elsewhere"};
  }
  return {};
}

}  // namespace moai::actors::agent_api
