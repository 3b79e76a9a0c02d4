// moai: a self-hosted sync server for cojson / Jazz.
//
//   moai [serve] [flags]   run the server (default)
//   moai agent generate [--name NAME] [flags]
//                          create the server's account, store it, print PEER_ID/PEER_SECRET
//   moai backup | restore | check | export | import …
//                          the operator's commands (actors/operations/operations.hpp)
//   moai version           print the version
//   moai help              print the configuration reference
#include <cstdio>
#include <string>
#include <vector>

#include "actors/agent/account_setup.hpp"
#include "actors/operations/operations.hpp"
#include "actors/server/server.hpp"
#include "config/config.hpp"

#ifndef MOAI_VERSION
#define MOAI_VERSION "0.0.0"
#endif

#ifdef MOAI_JEMALLOC
// jemalloc reads this at start (MALLOC_CONF in the environment still overrides it): a
// background thread returns pages freed for 5 s to the system, so a burst's memory
// (a crowd of cold loads, a large frame) does not stay resident for good.
extern "C" const char* malloc_conf = "background_thread:true,dirty_decay_ms:5000,muzzy_decay_ms:5000";
#endif

namespace {

void print_help() {
  std::printf(
      "moai %s — a sync server for cojson (Jazz)\n\n"
      "usage: moai [serve] [--config moai.toml] [flags]\n"
      "       moai agent generate [--name NAME] [--config moai.toml] [flags]\n"
      "%s"
      "       moai version\n"
      "       moai help\n\n"
      "Configuration: defaults < TOML file (--config or MOAI_CONFIG) < environment < flags.\n"
      "Every command takes the store from it as the server does.\n\n%s",
      MOAI_VERSION, moai::actors::operations_usage(), moai::config_reference().c_str());
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string command = "serve";
  if (!args.empty() && args[0].rfind("--", 0) != 0) {
    command = args[0];
    args.erase(args.begin());
  }
  if (command == "version" || (command == "serve" && !args.empty() && args[0] == "--version")) {
    std::printf("moai %s\n", MOAI_VERSION);
    return 0;
  }
  if (command == "help" || (!args.empty() && (args[0] == "--help" || args[0] == "-h"))) {
    print_help();
    return 0;
  }
  if (moai::actors::is_operation(command)) return moai::actors::run_operation(command, args);
  if (command == "agent") {
    if (args.empty() || args[0] != "generate") {
      std::fprintf(stderr, "moai: usage: moai agent generate [--name NAME] [flags]\n");
      return 2;
    }
    args.erase(args.begin());
    std::string name = "moai";
    for (std::size_t i = 0; i < args.size(); ++i) {
      if (args[i] == "--name" && i + 1 < args.size()) {
        name = args[i + 1];
        args.erase(args.begin() + static_cast<std::ptrdiff_t>(i), args.begin() + static_cast<std::ptrdiff_t>(i) + 2);
        break;
      }
      if (args[i].rfind("--name=", 0) == 0) {
        name = args[i].substr(7);
        args.erase(args.begin() + static_cast<std::ptrdiff_t>(i));
        break;
      }
    }
    try {
      return moai::actors::generate_account(moai::load_config(args, moai::process_environment()), name);
    } catch (const moai::config_error& e) {
      std::fprintf(stderr, "moai: configuration error: %s\n", e.what());
      return 2;
    }
  }
  if (command != "serve") {
    std::fprintf(stderr, "moai: unknown command \"%s\" (try moai help)\n", command.c_str());
    return 2;
  }
  try {
    moai::config cfg = moai::load_config(args, moai::process_environment());
    return moai::actors::run_server(cfg);
  } catch (const moai::config_error& e) {
    std::fprintf(stderr, "moai: configuration error: %s\n", e.what());
    return 2;
  }
}
