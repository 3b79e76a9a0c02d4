#include "actors/operations/command_line.hpp"

#include <unistd.h>

#include <cstdio>

namespace moai::actors {

command_args parse_command_args(const std::vector<std::string>& args, const std::set<std::string>& switches,
                                const std::set<std::string>& valued) {
  command_args out;
  std::vector<std::string> config_args;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0 || arg == "--") {
      out.positional.push_back(arg);
    } else if (switches.count(arg)) {
      out.switches.insert(arg);
    } else if (const auto eq = arg.find('='); eq != std::string::npos && valued.count(arg.substr(0, eq))) {
      out.values[arg.substr(0, eq)] = arg.substr(eq + 1);
    } else if (valued.count(arg)) {
      if (i + 1 >= args.size()) throw config_error(arg + " needs a value");
      out.values[arg] = args[++i];
    } else {
      config_args.push_back(arg);
      if (arg.find('=') == std::string::npos && i + 1 < args.size()) config_args.push_back(args[++i]);
    }
  }
  out.cfg = load_config(config_args, process_environment());
  return out;
}

std::string store_description(const config& cfg) {
  if (cfg.storage == "sqlite") return "sqlite " + cfg.db_path;
  return cfg.storage;
}

progress_line::progress_line() : terminal_(::isatty(STDERR_FILENO) == 1) {}

progress_line::~progress_line() {
  done();
}

void progress_line::show(const std::string& text) {
  if (!terminal_) return;
  std::fprintf(stderr, "\r\033[K%s", text.c_str());
  std::fflush(stderr);
  shown_ = true;
}

void progress_line::done() {
  if (!shown_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  shown_ = false;
}

}  // namespace moai::actors
