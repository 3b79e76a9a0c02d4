#include "actors/operations/operations.hpp"

#include <cstdio>
#include <map>
#include <set>

#include "actors/operations/operation_commands.hpp"

namespace moai::actors {
namespace {

struct operation {
  int (*run)(const command_args&);
  std::set<std::string> switches;
  std::set<std::string> valued;
};

const std::map<std::string, operation>& operations() {
  static const std::map<std::string, operation> table = {
      {"backup", {run_backup, {}, {}}},
      {"restore", {run_restore, {"--force"}, {}}},
      {"check", {run_check, {"--repair"}, {}}},
      {"export", {run_export, {}, {"--out"}}},
      {"import", {run_import, {}, {}}},
      {"keys", {run_keys, {}, {"--name", "--max-connections", "--tx-per-second", "--max-stored-bytes"}}},
  };
  return table;
}

}  // namespace

bool is_operation(const std::string& command) {
  return operations().count(command) > 0;
}

int run_operation(const std::string& command, const std::vector<std::string>& args) {
  const auto& op = operations().at(command);
  try {
    return op.run(parse_command_args(args, op.switches, op.valued));
  } catch (const config_error& e) {
    std::fprintf(stderr, "moai: configuration error: %s\n", e.what());
    return 2;
  }
}

const char* operations_usage() {
  return "       moai backup DEST [flags]          copy the SQLite store while a server runs\n"
         "       moai restore BACKUP [--force] [flags]\n"
         "                                         bring a backup back (server stopped)\n"
         "       moai check [--repair] [flags]     verify every stored CoValue; --repair cuts damaged\n"
         "                                         sessions back to their last verified signature\n"
         "       moai export ID... [--out FILE] [flags]\n"
         "                                         CoValues and their dependencies as JSON lines\n"
         "       moai import FILE|- [flags]        verify and store such lines (server stopped)\n"
         "       moai keys create [--name NAME] [--max-connections N] [--tx-per-second N] [--max-stored-bytes N]\n"
         "                                         make an API key for /sync (printed once; 0 = unlimited)\n"
         "       moai keys list [flags]            the API keys, their limits and usage (never a key)\n"
         "       moai keys revoke ID [flags]       revoke one; servers close its connections (4401)\n";
}

}  // namespace moai::actors
