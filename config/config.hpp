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
  std::string mode = "sync";           // sync | agent
  std::string datacenter = "unknown";  // "dc" of pings
  // [storage]
  std::string storage = "sqlite";  // sqlite | memory | postgres
  std::string storage_named;       // what PEER_STORAGE said, when it used the JavaScript moai's name
  std::string db_path = "./local-sync.db";
  std::string postgres_url;                   // storage = postgres
  std::string sqlite_synchronous = "normal";  // off | normal | full
  bool check_on_start = true;                 // SQLite quick_check before serving
  bool require_schema = false;                // refuse CoValues without header meta.$schema (MaiaOS)
  // [peer]
  std::string peer_id;      // PEER_ID: the server's account (co_z…)
  std::string peer_secret;  // PEER_SECRET: its agent secret
  std::string peer_moai;    // PEER_MOAI: upstream moai, as a URL (upstream_url)
  std::string upstream_ca_file;  // extra CA bundle (PEM) for a wss:// upstream
  // [agent]
  std::string agent_api_token;                     // AGENT_API_TOKEN: bearer token for agent routes (off when empty)
  std::uint32_t agent_load_timeout_ms = 25000;     // waiting for one CoValue
  std::uint32_t agent_request_timeout_ms = 35000;  // a whole request (then 504)
  // [llm]
  std::string llm_api_key;  // RED_PILL_API_KEY
  std::string llm_upstream_url = "https://api.redpill.ai/v1";
  std::string llm_default_model = "qwen/qwen3-30b-a3b-instruct-2507";
  std::uint32_t llm_timeout_ms = 60000;          // upstream answer deadline (then 504)
  std::string llm_proxy_token;                   // LLM_PROXY_TOKEN: bearer token for callers (off when empty)
  std::uint32_t llm_rate_limit_per_minute = 60;  // per client IP; 0 = unlimited
  std::string llm_ca_file;                       // extra trusted CA bundle (PEM) for the upstream
  // [runtime]
  unsigned scheduler_threads = 0;              // 0 = one per core
  unsigned io_threads = 0;                     // 0 = one per core
  std::string scheduler_policy = "sharing";    // sharing | stealing
  std::uint32_t shutdown_deadline_ms = 10000;  // SIGTERM → exit within this
  std::uint32_t covalue_idle_ms = 30000;       // idle CoValue actors retire after this
  // [log]
  log::level log_level = log::level::info;
  log::format log_format = log::format::json;
  std::uint32_t inspect_interval_ms = 60000;  // periodic actor inspection record; 0 = off
  bool debug_endpoints = false;               // GET /debug/actors
  // [admin]
  std::string admin_token;  // MOAI_ADMIN_TOKEN: the admin page at /admin (off when empty)
  // [access]
  bool require_key = false;             // /sync needs an API key (?key=…)
  std::uint32_t key_refresh_ms = 2000;  // the key table is read again this often
  // [limits]
  std::uint64_t max_frame_bytes = 64ull << 20;
  std::uint64_t max_buffered_frame_bytes = 256ull << 20;  // across all connections
  std::uint32_t max_messages_per_frame = 50000;
  std::uint32_t max_connections = 10000;
  std::uint32_t max_body_bytes = 1u << 20;           // HTTP request bodies
  std::uint32_t max_covalues_in_memory = 100000;     // idle ones retire early beyond this
  std::uint64_t max_peer_queue_bytes = 64ull << 20;  // beyond it content is held back
  std::uint32_t idle_timeout_ms = 60000;             // a silent connection is dropped; 0 = never
  std::uint32_t unstored_disconnect_ms = 10000;      // unstorable content: its senders get 1011
  std::uint32_t max_connections_per_ip = 0;          // connections without a key, per IP; 0 = unlimited
  std::uint32_t messages_per_second_per_ip = 0;      // messages without a key, per IP; 0 = unlimited
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

// PEER_MOAI as a URL: a URL stays; a host[:port] becomes wss://host[:port]/sync, or
// ws:// when it names localhost or 127.0.0.1 (the JavaScript moai's rule).
std::string upstream_url(const std::string& value);

// Resolved thread counts (0 → hardware concurrency, at least 1).
unsigned effective_threads(unsigned configured);

// One line per key: flag, env var, TOML key, default, description.
std::string config_reference();

// The effective configuration for the startup log, secrets redacted.
std::vector<std::pair<std::string, std::string>> describe(const config& c);

}  // namespace moai
