// moai's configuration: built-in defaults, overridden by a TOML file, overridden by
// environment variables, overridden by command-line flags. Every key has one entry
// in the option table (config.cpp), which is also the reference printed by --help.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/log.hpp"

namespace moai {

struct config {
  // [server]
  std::string host = "0.0.0.0";
  std::uint16_t port = 4201;
  std::string mode = "sync";  // sync | agent
  std::string datacenter = "unknown";  // "dc" of pings
  // [storage]
  std::string storage = "sqlite";  // sqlite | memory | postgres (reserved)
  std::string db_path = "./local-sync.db";
  std::string sqlite_synchronous = "normal";  // off | normal | full
  // [peer]
  std::string peer_id;      // PEER_ID: the server's account (co_z…)
  std::string peer_secret;  // PEER_SECRET: its agent secret
  std::string peer_moai;    // PEER_MOAI: upstream moai (agent mode)
  // [llm]
  std::string llm_api_key;  // RED_PILL_API_KEY
  std::string llm_upstream_url = "https://api.redpill.ai/v1";
  // [runtime]
  unsigned scheduler_threads = 0;  // 0 = one per core
  unsigned io_threads = 0;         // 0 = one per core
  // [log]
  log::level log_level = log::level::info;
  log::format log_format = log::format::json;
  // [limits]
  std::uint64_t max_frame_bytes = 64ull << 20;
  std::uint32_t max_connections = 10000;
};

// A bad value or unknown key; the message names the key and where it came from.
struct config_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Where each key's effective value came from ("default", "moai.toml", "env PORT",
// "flag --port"): logged at startup.
using config_sources = std::map<std::string, std::string>;

// The environment as a map, so tests can pass their own.
using environment = std::map<std::string, std::string>;
environment process_environment();

// Parses `args` (flags only, no program name or subcommand) on top of defaults, the
// TOML file (from --config or MOAI_CONFIG) and `env`. Throws config_error.
config load_config(const std::vector<std::string>& args, const environment& env, config_sources* sources = nullptr);

// Resolved thread counts (0 → hardware concurrency, at least 1).
unsigned effective_threads(unsigned configured);

// One line per key: flag, env var, TOML key, default, description.
std::string config_reference();

// The effective configuration for the startup log, secrets redacted.
std::vector<std::pair<std::string, std::string>> describe(const config& c);

}  // namespace moai
