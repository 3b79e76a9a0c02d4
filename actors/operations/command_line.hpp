// An operation's own arguments apart from the configuration flags that follow the same
// command (`moai check --repair --db-path x.db`): configuration flags always take a
// value (`--flag value` or `--flag=value`); the command's switches take none.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace moai::actors {

struct command_args {
  std::vector<std::string> positional;
  std::set<std::string> switches;            // e.g. "--repair"
  std::map<std::string, std::string> values;  // the command's own valued options, e.g. "--out"
  config cfg;
};

// Throws config_error for a bad configuration flag or value.
command_args parse_command_args(const std::vector<std::string>& args, const std::set<std::string>& switches,
                                const std::set<std::string>& valued);

// "sqlite ./local-sync.db", "postgres", "memory": which store a command works on.
std::string store_description(const config& cfg);

// Progress on stderr, when it is a terminal: each line replaces the previous one.
class progress_line {
 public:
  progress_line();
  ~progress_line();
  void show(const std::string& text);
  void done();

 private:
  bool terminal_ = false;
  bool shown_ = false;
};

}  // namespace moai::actors
