// `moai agent generate`: creates the server's own account (account, profile, the
// sparks CoMap the agent API uses), stores it in the configured database and prints
// the credentials a server is then started with.
#pragma once

#include <string>

#include "config/config.hpp"

namespace moai::actors {

// Returns the process exit code; prints PEER_ID=… and PEER_SECRET=… lines on stdout.
int generate_account(const config& cfg, const std::string& name);

}  // namespace moai::actors
