// The operator's commands beside `moai serve`:
//
//   moai backup DEST           a consistent copy of the SQLite store while a server runs
//   moai restore BACKUP [--force]
//                              the copy back as the configured database (server stopped)
//   moai check [--repair]      every stored CoValue verified as a client verifies content
//   moai export ID… [--out FILE]
//                              CoValues and their dependencies as sync content messages
//   moai import FILE           such messages verified and stored (server stopped)
//   moai keys create|list|revoke
//                              the API keys of /sync (README, Access control)
//
// Each takes the store from the same configuration as the server (flags, environment,
// the TOML file), prints what it did on stdout (progress on stderr when that is a
// terminal) and returns the process's exit code: 0 done, 1 problems found or refused
// content, 2 bad usage or a store that cannot be opened.
#pragma once

#include <string>
#include <vector>

namespace moai::actors {

bool is_operation(const std::string& command);
// `args`: what follows the command name.
int run_operation(const std::string& command, const std::vector<std::string>& args);
// For `moai help`.
const char* operations_usage();

}  // namespace moai::actors
