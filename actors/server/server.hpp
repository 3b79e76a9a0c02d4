// The assembled server: configuration → storage, actor system, sync manager and the
// HTTP/WebSocket gateway; runs until SIGINT or SIGTERM.
#pragma once

#include "config/config.hpp"

namespace moai::actors {

// Returns the process exit code.
int run_server(const config& cfg);

}  // namespace moai::actors
