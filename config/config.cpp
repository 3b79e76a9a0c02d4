#include "config/config.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <sstream>
#include <thread>
#include <toml.hpp>

#include "base/utf8.hpp"

extern char** environ;

namespace moai {
namespace {

using setter = std::function<bool(config&, const std::string& value, std::string& why)>;

struct option {
  const char* key;   // TOML "table.key"
  const char* env;   // environment variable, or nullptr
  const char* flag;  // command-line flag without "--"
  const char* help;
  setter set;
  std::function<std::string(const config&)> get;
  bool secret = false;
  // The name the JavaScript moai (MaiaOS services/moai) reads for the same setting, so
  // its deployments switch by changing only the image. `env` wins when both are set.
  const char* original_env = nullptr;
};

template <typename T>
bool parse_unsigned(const std::string& v, T& out, std::uint64_t min, std::uint64_t max, std::string& why) {
  std::uint64_t n = 0;
  auto res = std::from_chars(v.data(), v.data() + v.size(), n);
  if (res.ec != std::errc() || res.ptr != v.data() + v.size() || v.empty()) {
    why = "expected a non-negative integer, got \"" + v + "\"";
    return false;
  }
  if (n < min || n > max) {
    why = "must be between " + std::to_string(min) + " and " + std::to_string(max);
    return false;
  }
  out = static_cast<T>(n);
  return true;
}

bool one_of(const std::string& v, std::initializer_list<const char*> allowed, std::string& why) {
  for (const char* a : allowed) {
    if (v == a) return true;
  }
  why = "expected one of";
  for (const char* a : allowed) why += std::string(" ") + a;
  why += ", got \"" + v + "\"";
  return false;
}

setter text(std::string config::*member) {
  return [member](config& c, const std::string& v, std::string&) {
    c.*member = v;
    return true;
  };
}

setter choice(std::string config::*member, std::initializer_list<const char*> allowed) {
  std::vector<const char*> values(allowed);
  return [member, values](config& c, const std::string& v, std::string& why) {
    for (const char* a : values) {
      if (v == a) {
        c.*member = v;
        return true;
      }
    }
    why = "expected one of";
    for (const char* a : values) why += std::string(" ") + a;
    why += ", got \"" + v + "\"";
    return false;
  };
}

template <typename T>
setter number(T config::*member, std::uint64_t min, std::uint64_t max) {
  return [member, min, max](config& c, const std::string& v, std::string& why) {
    return parse_unsigned(v, c.*member, min, max, why);
  };
}

setter flag_value(bool config::*member) {
  return [member](config& c, const std::string& v, std::string& why) {
    if (v == "true" || v == "1" || v == "yes" || v == "on") {
      c.*member = true;
    } else if (v == "false" || v == "0" || v == "no" || v == "off") {
      c.*member = false;
    } else {
      why = "expected true or false, got \"" + v + "\"";
      return false;
    }
    return true;
  };
}

template <typename T>
std::function<std::string(const config&)> show(T config::*member) {
  return [member](const config& c) {
    if constexpr (std::is_same_v<T, std::string>) {
      return c.*member;
    } else if constexpr (std::is_same_v<T, bool>) {
      return std::string(c.*member ? "true" : "false");
    } else {
      return std::to_string(c.*member);
    }
  };
}

const std::vector<option>& options() {
  static const std::vector<option> table = {
      {"server.host", "MOAI_HOST", "host", "address to listen on", text(&config::host), show(&config::host)},
      {"server.port", "PORT", "port", "port for HTTP and WebSocket /sync", number(&config::port, 0, 65535),
       show(&config::port)},
      {"server.mode", "PEER_MODE", "mode", "sync (host /sync) or agent (connect to PEER_MOAI as a client)",
       choice(&config::mode, {"sync", "agent"}), show(&config::mode)},
      {"server.datacenter", "MOAI_DATACENTER", "datacenter", "name sent as \"dc\" in pings", text(&config::datacenter),
       show(&config::datacenter)},
      {"storage.kind", "PEER_STORAGE", "storage",
       "sqlite, memory (nothing persisted) or postgres; the JavaScript moai's pglite means sqlite (moai's "
       "embedded store, a SQLite file at DB_PATH) and in-memory means memory",
       [](config& c, const std::string& v, std::string& why) {
         static const std::map<std::string, std::string> original = {{"pglite", "sqlite"}, {"in-memory", "memory"}};
         auto it = original.find(v);
         const std::string kind = it == original.end() ? v : it->second;
         if (!one_of(kind, {"sqlite", "memory", "postgres"}, why)) {
           why = "expected one of sqlite memory postgres (or the JavaScript moai's pglite, in-memory), got \"" + v + "\"";
           return false;
         }
         c.storage = kind;
         c.storage_named = v;
         return true;
       },
       show(&config::storage)},
      {"storage.db_path", "DB_PATH", "db-path", "SQLite database file", text(&config::db_path), show(&config::db_path),
       false, "PEER_DB_PATH"},
      {"storage.postgres_url", "MOAI_POSTGRES_URL", "postgres-url",
       "PostgreSQL connection URI for storage.kind = postgres (postgresql://user:password@host:5432/db)",
       text(&config::postgres_url), show(&config::postgres_url), true, "PEER_DB_URL"},
      {"storage.require_schema", "MOAI_REQUIRE_SCHEMA", "require-schema",
       "refuse CoValues whose header has no meta.$schema (groups, accounts and the server's own profile "
       "excepted), as the JavaScript moai does for MaiaOS; off serves any cojson app",
       flag_value(&config::require_schema), show(&config::require_schema)},
      {"storage.sqlite_synchronous", "MOAI_SQLITE_SYNCHRONOUS", "sqlite-synchronous",
       "SQLite synchronous mode: full survives power loss, normal survives a process crash",
       choice(&config::sqlite_synchronous, {"off", "normal", "full"}), show(&config::sqlite_synchronous)},
      {"storage.check_on_start", "MOAI_CHECK_ON_START", "check-on-start",
       "check the SQLite file's structure (PRAGMA quick_check) before serving and refuse a damaged one; "
       "reads the whole file once (about 1.5 s per GB cached, 25 s per GB from a cold disk)",
       flag_value(&config::check_on_start), show(&config::check_on_start)},
      {"peer.id", "PEER_ID", "peer-id", "the server's own account ID (co_z…)", text(&config::peer_id),
       show(&config::peer_id)},
      {"peer.secret", "PEER_SECRET", "peer-secret", "the server account's agent secret", text(&config::peer_secret),
       show(&config::peer_secret), true},
      {"peer.upstream", "PEER_MOAI", "peer-moai",
       "upstream moai: agent mode's server; in sync mode a moai to sync with. A URL (ws://…/sync, "
       "wss://…/sync) or, as the JavaScript moai takes it, a host[:port] (wss://host/sync; ws:// for "
       "localhost and 127.0.0.1)",
       [](config& c, const std::string& v, std::string&) {
         c.peer_moai = upstream_url(v);
         return true;
       },
       show(&config::peer_moai)},
      {"peer.ca_file", "MOAI_UPSTREAM_CA_FILE", "upstream-ca-file",
       "extra trusted CA certificates (PEM) for a wss:// upstream, beside the system's", text(&config::upstream_ca_file),
       show(&config::upstream_ca_file)},
      {"agent.api_token", "AGENT_API_TOKEN", "agent-api-token",
       "bearer token required by the agent routes (off when empty)", text(&config::agent_api_token),
       show(&config::agent_api_token), true},
      {"agent.load_timeout_ms", "MOAI_AGENT_LOAD_TIMEOUT_MS", "agent-load-timeout-ms",
       "how long an agent request waits for one CoValue", number(&config::agent_load_timeout_ms, 100, 3600000),
       show(&config::agent_load_timeout_ms)},
      {"agent.request_timeout_ms", "MOAI_AGENT_REQUEST_TIMEOUT_MS", "agent-request-timeout-ms",
       "deadline of a whole agent request (then 504)", number(&config::agent_request_timeout_ms, 100, 3600000),
       show(&config::agent_request_timeout_ms)},
      {"llm.api_key", "RED_PILL_API_KEY", "llm-api-key", "API key of the LLM upstream", text(&config::llm_api_key),
       show(&config::llm_api_key), true},
      {"llm.upstream_url", "LLM_UPSTREAM_URL", "llm-upstream-url", "OpenAI-compatible API base URL",
       text(&config::llm_upstream_url), show(&config::llm_upstream_url)},
      {"llm.default_model", "LLM_DEFAULT_MODEL", "llm-default-model", "model used when a request names none",
       text(&config::llm_default_model), show(&config::llm_default_model)},
      {"llm.timeout_ms", "LLM_TIMEOUT_MS", "llm-timeout-ms", "upstream deadline (then 504)",
       number(&config::llm_timeout_ms, 100, 3600000), show(&config::llm_timeout_ms)},
      {"llm.proxy_token", "LLM_PROXY_TOKEN", "llm-proxy-token", "bearer token required from callers (off when empty)",
       text(&config::llm_proxy_token), show(&config::llm_proxy_token), true},
      {"llm.rate_limit_per_minute", "LLM_RATE_LIMIT_PER_MINUTE", "llm-rate-limit-per-minute",
       "LLM requests per client IP per minute (0 = unlimited)", number(&config::llm_rate_limit_per_minute, 0, 1000000),
       show(&config::llm_rate_limit_per_minute)},
      {"llm.ca_file", "LLM_CA_FILE", "llm-ca-file", "extra trusted CA certificates (PEM) for the upstream",
       text(&config::llm_ca_file), show(&config::llm_ca_file)},
      {"runtime.scheduler_threads", "MOAI_SCHEDULER_THREADS", "scheduler-threads",
       "actor scheduler threads (0 = one per core)", number(&config::scheduler_threads, 0, 1024),
       show(&config::scheduler_threads)},
      {"runtime.io_threads", "MOAI_IO_THREADS", "io-threads", "network I/O threads (0 = one per core)",
       number(&config::io_threads, 0, 1024), show(&config::io_threads)},
      {"runtime.scheduler_policy", "MOAI_SCHEDULER_POLICY", "scheduler-policy",
       "how actor threads find work: sharing (one queue, threads sleep until work comes) or stealing "
       "(a queue per thread, idle threads steal)",
       choice(&config::scheduler_policy, {"sharing", "stealing"}), show(&config::scheduler_policy)},
      {"runtime.shutdown_deadline_ms", "MOAI_SHUTDOWN_DEADLINE_MS", "shutdown-deadline-ms",
       "on SIGTERM/SIGINT: flush and exit within this", number(&config::shutdown_deadline_ms, 100, 600000),
       show(&config::shutdown_deadline_ms)},
      {"runtime.covalue_idle_ms", "MOAI_COVALUE_IDLE_MS", "covalue-idle-ms",
       "a CoValue nobody uses leaves memory after this (reloaded from storage on demand)",
       number(&config::covalue_idle_ms, 10, 86400000), show(&config::covalue_idle_ms)},
      {"log.level", "MOAI_LOG_LEVEL", "log-level", "trace, debug, info, warn, error or off",
       [](config& c, const std::string& v, std::string& why) {
         if (log::parse_level(v, c.log_level)) return true;
         return one_of(v, {"trace", "debug", "info", "warn", "error", "off"}, why);
       },
       [](const config& c) {
         static const char* names[] = {"trace", "debug", "info", "warn", "error", "off"};
         return std::string(names[static_cast<int>(c.log_level)]);
       }},
      {"log.format", "MOAI_LOG_FORMAT", "log-format", "json, logfmt or text",
       [](config& c, const std::string& v, std::string& why) {
         if (log::parse_format(v, c.log_format)) return true;
         return one_of(v, {"json", "logfmt", "text"}, why);
       },
       [](const config& c) {
         static const char* names[] = {"json", "logfmt", "text"};
         return std::string(names[static_cast<int>(c.log_format)]);
       }},
      {"log.inspect_interval_ms", "MOAI_INSPECT_INTERVAL_MS", "inspect-interval-ms",
       "period of the actor inspection log record (0 = off)", number(&config::inspect_interval_ms, 0, 86400000),
       show(&config::inspect_interval_ms)},
      {"log.debug_endpoints", "MOAI_DEBUG_ENDPOINTS", "debug-endpoints", "serve GET /debug/actors (true/false)",
       flag_value(&config::debug_endpoints), show(&config::debug_endpoints)},
      {"admin.token", "MOAI_ADMIN_TOKEN", "admin-token",
       "bearer token of the admin page at /admin and its data (the page is off when empty)",
       text(&config::admin_token), show(&config::admin_token), true},
      {"access.require_key", "MOAI_REQUIRE_KEY", "require-key",
       "/sync needs an API key (?key=… on the sync URL, made with moai keys create); off: anyone may sync, and a "
       "valid key still gets its limits",
       flag_value(&config::require_key), show(&config::require_key)},
      {"access.key_refresh_ms", "MOAI_KEY_REFRESH_MS", "key-refresh-ms",
       "how often the server reads the key table (keys made or revoked by moai keys take effect within this) and "
       "stores its counts of the keys' stored bytes",
       number(&config::key_refresh_ms, 100, 600000), show(&config::key_refresh_ms)},
      {"limits.max_frame_bytes", "MOAI_MAX_FRAME_BYTES", "max-frame-bytes",
       "largest WebSocket message accepted; bigger ones close the connection with 1009",
       number(&config::max_frame_bytes, 1024, 1ull << 32), show(&config::max_frame_bytes)},
      {"limits.max_buffered_frame_bytes", "MOAI_MAX_BUFFERED_FRAME_BYTES", "max-buffered-frame-bytes",
       "bytes of WebSocket messages still arriving, across all connections; a connection whose message "
       "would go beyond it is closed with 1013 (try again later)",
       number(&config::max_buffered_frame_bytes, 1024, 1ull << 40), show(&config::max_buffered_frame_bytes)},
      {"limits.max_messages_per_frame", "MOAI_MAX_MESSAGES_PER_FRAME", "max-messages-per-frame",
       "sync messages in one WebSocket message; more closes the connection with 1009. cojson-transport-ws "
       "closes a batch when its count of messages plus the next one's length passes 25,000, so a client "
       "that queued many small messages (while its socket opened) sends up to about 25,000 in one frame",
       number(&config::max_messages_per_frame, 1, 100000000), show(&config::max_messages_per_frame)},
      {"limits.max_connections", "MOAI_MAX_CONNECTIONS", "max-connections", "concurrent connections accepted",
       number(&config::max_connections, 1, 1000000), show(&config::max_connections)},
      {"limits.max_body_bytes", "MOAI_MAX_BODY_BYTES", "max-body-bytes", "largest HTTP request body (then 413)",
       number(&config::max_body_bytes, 1024, 1u << 30), show(&config::max_body_bytes)},
      {"limits.max_covalues_in_memory", "MOAI_MAX_COVALUES_IN_MEMORY", "max-covalues-in-memory",
       "CoValues kept in memory; beyond this idle ones retire at once",
       number(&config::max_covalues_in_memory, 16, 100000000), show(&config::max_covalues_in_memory)},
      {"limits.max_peer_queue_bytes", "MOAI_MAX_PEER_QUEUE_BYTES", "max-peer-queue-bytes",
       "unsent bytes a peer may hold; content beyond it is held back and resent as the queue drains, "
       "and a peer over it whose socket takes under 256 KiB in 10 s (or that gets this much in acks "
       "queued while over it) is disconnected as too slow",
       number(&config::max_peer_queue_bytes, 65536, 1ull << 40), show(&config::max_peer_queue_bytes)},
      {"limits.unstored_disconnect_ms", "MOAI_UNSTORED_DISCONNECT_MS", "unstored-disconnect-ms",
       "content the database keeps refusing (a full disk) this long disconnects its senders with 1011, so they "
       "see an error; it stays in memory and is stored once the database takes it",
       number(&config::unstored_disconnect_ms, 100, 86400000), show(&config::unstored_disconnect_ms)},
      {"limits.max_connections_per_ip", "MOAI_MAX_CONNECTIONS_PER_IP", "max-connections-per-ip",
       "concurrent /sync connections without a key from one IP address; more get 429 (0 = unlimited)",
       number(&config::max_connections_per_ip, 0, 1000000), show(&config::max_connections_per_ip)},
      {"limits.messages_per_second_per_ip", "MOAI_MESSAGES_PER_SECOND_PER_IP", "messages-per-second-per-ip",
       "sync messages per second from one IP address's connections without a key; beyond it the server reads "
       "their sockets more slowly (0 = unlimited)",
       number(&config::messages_per_second_per_ip, 0, 100000000), show(&config::messages_per_second_per_ip)},
      {"limits.idle_timeout_ms", "MOAI_IDLE_TIMEOUT_MS", "idle-timeout-ms",
       "a WebSocket peer that sends nothing, not even a pong, for this long is dropped (0 = never)",
       [](config& c, const std::string& v, std::string& why) {
         if (!parse_unsigned(v, c.idle_timeout_ms, 0, 86400000, why)) return false;
         // Silence is checked on the 1.5 s ping tick: a shorter timeout would drop a
         // peer before its pong to the half-time ping could arrive.
         if (c.idle_timeout_ms != 0 && c.idle_timeout_ms < 3000) {
           why = "expected 0 (never) or at least 3000 (two ping intervals), got " + v;
           return false;
         }
         return true;
       },
       show(&config::idle_timeout_ms)},
  };
  return table;
}

const option* find_option_by_key(const std::string& key) {
  for (const auto& o : options()) {
    if (key == o.key) return &o;
  }
  return nullptr;
}

const option* find_option_by_flag(const std::string& flag) {
  for (const auto& o : options()) {
    if (flag == o.flag) return &o;
  }
  return nullptr;
}

void apply(config& c, const option& o, const std::string& value, const std::string& source, config_sources* sources) {
  std::string why;
  if (!o.set(c, value, why)) {
    throw config_error("invalid value for " + std::string(o.key) + " (from " + source + "): " + why);
  }
  if (sources) (*sources)[o.key] = source;
}

// A TOML scalar as the text our setters parse.
std::string toml_scalar(const toml::value& v, const std::string& key, const std::string& file) {
  if (v.is_string()) return v.as_string().str;
  if (v.is_integer()) {
    if (v.as_integer() < 0) {
      throw config_error("invalid value for " + key + " (from " + file + "): must not be negative");
    }
    return std::to_string(v.as_integer());
  }
  if (v.is_boolean()) return v.as_boolean() ? "true" : "false";
  throw config_error("invalid value for " + key + " (from " + file + "): expected a string or an integer");
}

void apply_file(config& c, const std::string& path, config_sources* sources) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw config_error("cannot read config file " + path + ": " + std::strerror(errno));
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  // TOML is UTF-8, and toml11 3.7 reads past its buffer on some ill-formed sequences
  // (found by config_fuzzer: a literal string holding a 0xFF byte): refuse them first.
  if (const auto at = base::first_invalid_utf8(text)) {
    throw config_error("config file " + path + " is not UTF-8 (an ill-formed sequence at byte " +
                       std::to_string(*at) + ")");
  }
  toml::value data;
  try {
    std::istringstream stream(text);
    data = toml::parse(stream, path);
  } catch (const std::exception& e) {
    throw config_error("cannot read config file " + path + ": " + e.what());
  }
  if (!data.is_table()) throw config_error("config file " + path + " is not a TOML table");
  for (const auto& [table_name, table] : data.as_table()) {
    if (!table.is_table()) {
      throw config_error("unknown key " + table_name + " in " + path + " (keys live in tables such as [server])");
    }
    for (const auto& [name, value] : table.as_table()) {
      std::string key = table_name + "." + name;
      const option* o = find_option_by_key(key);
      if (!o) throw config_error("unknown key " + key + " in " + path);
      apply(c, *o, toml_scalar(value, key, path), path, sources);
    }
  }
}

}  // namespace

environment process_environment() {
  environment env;
  for (char** e = environ; e && *e; ++e) {
    std::string entry(*e);
    auto eq = entry.find('=');
    if (eq != std::string::npos) env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
  }
  return env;
}

config load_config(const std::vector<std::string>& args, const environment& env, config_sources* sources) {
  // Split flags first: "--key value" or "--key=value".
  std::vector<std::pair<std::string, std::string>> flags;
  std::string config_path;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0) throw config_error("unexpected argument \"" + arg + "\"");
    std::string name = arg.substr(2), value;
    auto eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else {
      if (i + 1 >= args.size()) throw config_error("flag --" + name + " needs a value");
      value = args[++i];
    }
    if (name == "config") {
      config_path = value;
    } else if (!find_option_by_flag(name)) {
      throw config_error("unknown flag --" + name + " (see moai help)");
    } else {
      flags.emplace_back(name, value);
    }
  }
  if (config_path.empty()) {
    auto it = env.find("MOAI_CONFIG");
    if (it != env.end()) config_path = it->second;
  }

  config c;
  if (sources) {
    for (const auto& o : options()) (*sources)[o.key] = "default";
  }
  if (!config_path.empty()) apply_file(c, config_path, sources);
  for (const auto& o : options()) {
    for (const char* name : {o.original_env, o.env}) {
      if (!name) continue;
      auto it = env.find(name);
      if (it != env.end() && !it->second.empty()) apply(c, o, it->second, std::string("env ") + name, sources);
    }
  }
  for (const auto& [name, value] : flags) {
    apply(c, *find_option_by_flag(name), value, "flag --" + name, sources);
  }
  if (c.storage == "postgres" && c.postgres_url.empty()) {
    throw config_error(
        "storage.kind = postgres needs storage.postgres_url (MOAI_POSTGRES_URL or PEER_DB_URL, --postgres-url)");
  }
  return c;
}

std::string upstream_url(const std::string& value) {
  if (value.empty() || value.find("://") != std::string::npos) return value;
  const bool local = value.find("localhost") != std::string::npos || value.find("127.0.0.1") != std::string::npos;
  return std::string(local ? "ws://" : "wss://") + value + "/sync";
}

unsigned effective_threads(unsigned configured) {
  if (configured) return configured;
  return std::max(1u, std::thread::hardware_concurrency());
}

std::string config_reference() {
  std::string out;
  config defaults;
  for (const auto& o : options()) {
    out += "  --" + std::string(o.flag);
    out += std::string(o.flag).size() < 20 ? std::string(20 - std::string(o.flag).size(), ' ') : " ";
    out += o.help;
    out += "\n      env " + std::string(o.env ? o.env : "-");
    if (o.original_env) out += " (or " + std::string(o.original_env) + ", the JavaScript moai's name)";
    out += ", toml " + std::string(o.key) + ", default \"" + o.get(defaults) + "\"\n";
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> describe(const config& c) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& o : options()) {
    std::string v = o.get(c);
    if (o.secret && !v.empty()) v = "(set)";
    out.emplace_back(o.key, v);
  }
  return out;
}

}  // namespace moai
