#include "actors/server/server.hpp"

#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "actors/access/access_control.hpp"
#include "actors/access/key_refresher.hpp"
#include "actors/admin/admin_gateway.hpp"
#include "actors/agent/agent_gateway.hpp"
#include "actors/agent/agent_node.hpp"
#include "actors/llm/llm_gateway.hpp"
#include "actors/server/routes.hpp"
#include "actors/server/upstream_wiring.hpp"
#include "actors/sync/change_listener.hpp"
#include "actors/sync/coarse_timers.hpp"
#include "actors/sync/peer_actor.hpp"
#include "actors/sync/storage_writer.hpp"
#include "actors/sync/sync_manager.hpp"
#include "config/log.hpp"
#include "gateway/server/caller_address.hpp"
#include "gateway/server/http_server.hpp"
#include "protocol/covalue/header.hpp"
#include "protocol/access/api_key.hpp"
#include "protocol/crypto/crypto.hpp"
#include "protocol/crypto/identity.hpp"
#include "protocol/sync/codec.hpp"
#include "storage/api_key_store.hpp"
#include "storage/open_store.hpp"

#ifndef MOAI_VERSION
#define MOAI_VERSION "0.0.0"
#endif

namespace moai::actors {
namespace {

using steady = std::chrono::steady_clock;

// A /sync connection that is being closed: whatever it still sends is ignored.
class refused_connection final : public gateway::sync_connection_handler {
 public:
  void on_frame(std::string) override {}
  void on_frame_sent(std::size_t) override {}
  void on_closed(const std::string&) override {}
};

// Polls `done` every few milliseconds until it holds or `deadline` passes.
template <class Predicate>
bool wait_until(steady::time_point deadline, Predicate done) {
  while (!done()) {
    if (steady::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// The actor scheduler the configuration asks for.
void configure_scheduler(caf::actor_system_config& c, const config& cfg, unsigned scheduler_threads) {
  c.set("scheduler.max-threads", scheduler_threads);
  // CAF's default work stealing polls for work in short sleeps for a long while before it
  // waits on a condition variable; between messages that burns a core (measured: 2-3x
  // the server's CPU in fan-out). Sharing waits at once; stealing is kept with brief polls.
  if (cfg.scheduler_policy == "sharing") {
    c.set("scheduler.policy", caf::atom("sharing"));
  } else {
    c.set("scheduler.policy", caf::atom("stealing"));
    c.set("work-stealing.aggressive-poll-attempts", std::size_t{10});
    c.set("work-stealing.moderate-poll-attempts", std::size_t{2});
  }
}

// File descriptors: the soft limit (often 1,024) is raised to the hard one, and the
// connection limit is kept below what is left once the process's own files are counted,
// so connections are refused with 503 before accept() runs out of descriptors.
std::uint32_t connection_limit(const config& cfg) {
  constexpr rlim_t kOwnFiles = 64;  // databases, logs, upstream links, listeners
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return cfg.max_connections;
  const rlim_t before = limit.rlim_cur;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) getrlimit(RLIMIT_NOFILE, &limit);
  }
  const rlim_t usable = limit.rlim_cur > kOwnFiles * 2 ? limit.rlim_cur - kOwnFiles : limit.rlim_cur / 2;
  if (cfg.max_connections <= usable) {
    log::info("server", "file descriptors", {{"soft_limit_was", static_cast<unsigned long long>(before)},
                                             {"soft_limit", static_cast<unsigned long long>(limit.rlim_cur)},
                                             {"max_connections", cfg.max_connections}});
    return cfg.max_connections;
  }
  log::warn("server", "limits.max_connections is above what the file descriptor limit allows; lowered",
            {{"configured", cfg.max_connections},
             {"lowered_to", static_cast<unsigned long long>(usable)},
             {"nofile_limit", static_cast<unsigned long long>(limit.rlim_cur)},
             {"hint", "raise the hard limit (ulimit -Hn, or the container's nofile) to allow more"}});
  return static_cast<std::uint32_t>(usable);
}

gateway::server_options listener_options(const config& cfg) {
  gateway::server_options options;
  options.host = cfg.host;
  options.port = cfg.port;
  options.io_threads = effective_threads(cfg.io_threads);
  options.max_frame_bytes = cfg.max_frame_bytes;
  options.max_buffered_frame_bytes = cfg.max_buffered_frame_bytes;
  options.max_connections = connection_limit(cfg);
  options.max_body_bytes = cfg.max_body_bytes;
  options.idle_timeout = std::chrono::milliseconds(cfg.idle_timeout_ms);
  options.ping_text = [dc = cfg.datacenter] {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    return protocol::encode_ping(std::chrono::duration_cast<std::chrono::milliseconds>(now).count(), dc);
  };
  return options;
}

peer_options peer_limits(const config& cfg, coarse_timers& timers) {
  peer_options options;
  options.timers = &timers;
  options.max_queued_bytes = cfg.max_peer_queue_bytes;
  options.max_messages_per_frame = cfg.max_messages_per_frame;
  options.max_overflow_bytes = cfg.max_peer_queue_bytes;
  // Notes are small: even under a small queue limit, a client that deep-loads many
  // CoValues while its queue is full is a reader, not a peer to cut off.
  options.max_held_bytes = std::max<std::size_t>(cfg.max_peer_queue_bytes, 64ull << 20);
  return options;
}

// The server's own account, if configured; nullopt and `bad` set (with why) when it is
// malformed or PEER_ID is not the account PEER_SECRET's agent created.
std::optional<protocol::agent_identity> configured_identity(const config& cfg, std::string& bad) {
  bad.clear();
  if (cfg.peer_id.empty() && cfg.peer_secret.empty()) return std::nullopt;
  auto identity = protocol::parse_identity(cfg.peer_id, cfg.peer_secret);
  if (!identity || cfg.peer_id.empty()) {
    bad = "PEER_ID must be an account ID (co_z…) and PEER_SECRET an agent secret "
          "(sealerSecret_z…/signerSecret_z…); see moai agent generate";
    return std::nullopt;
  }
  // An account's ID follows from its first agent: the header names only that agent.
  auto header = protocol::make_account_header(identity->agent_id());
  const std::string derived = header ? protocol::covalue_id_of(*header) : std::string();
  if (derived != identity->account_id) {
    bad = "PEER_ID " + identity->account_id + " is not the account of PEER_SECRET (whose account is " + derived +
          "); set the PEER_ID that was generated with this secret";
    return std::nullopt;
  }
  return identity;
}

}  // namespace

// What anyone who reaches the port may do without a token, said once at start (the
// access rules: actors/agent/agent_access.hpp, the LLM proxy's token).
void log_open_routes(const config& cfg) {
  const bool local_only = gateway::is_loopback_ip(cfg.host) || cfg.host == "localhost";
  // Listening on loopback only, nobody else reaches the port: information, not a warning.
  auto say = [&](const char* message, log::fields fields) {
    log::write(local_only ? log::level::info : log::level::warn, "server", message, fields);
  };
  if (!cfg.peer_id.empty() && !cfg.peer_secret.empty() && cfg.agent_api_token.empty()) {
    say("AGENT_API_TOKEN is unset: /on-added, /register-human, /trigger and /profile act as the server account "
        "for anyone who reaches this port, as the JavaScript moai's do; /covalues answers this machine only and "
        "never writes the server account. Set AGENT_API_TOKEN to require a token",
        {{"host", cfg.host}});
  }
  if (!cfg.llm_api_key.empty() && cfg.llm_proxy_token.empty()) {
    say("LLM_PROXY_TOKEN is unset: /api/v0/llm/chat spends RED_PILL_API_KEY for anyone who reaches this port "
        "(at most llm.rate_limit_per_minute calls per address). Set LLM_PROXY_TOKEN to require a token",
        {{"host", cfg.host}, {"rate_limit_per_minute", cfg.llm_rate_limit_per_minute}});
  }
}

int run_server(const config& cfg) {
  protocol::crypto_init();
  log::configure(cfg.log_level, cfg.log_format);
  for (const auto& [key, value] : describe(cfg)) log::debug("config", "setting", {{"key", key}, {"value", value}});

  // Signals are taken synchronously by this thread; every other thread blocks them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // A file size limit (ulimit -f) must fail the write, which is retried, not kill the
  // process: ignored, SIGXFSZ turns into EFBIG.
  ::signal(SIGXFSZ, SIG_IGN);

  // Checked before anything starts.
  std::string bad_identity;
  auto identity = configured_identity(cfg, bad_identity);
  if (!bad_identity.empty()) {
    log::error("server", bad_identity, {});
    return 2;
  }
  const bool agent_mode = cfg.mode == "agent";
  if (agent_mode && (!identity || cfg.peer_moai.empty())) {
    log::error("server",
               "PEER_MODE=agent needs PEER_MOAI (the upstream ws://…/sync) and the account "
               "(PEER_ID, PEER_SECRET)",
               {});
    return 2;
  }

  if (cfg.require_schema) {
    log::info("server", "storage.require_schema: CoValues without header meta.$schema are refused (MaiaOS)", {});
  }
  if (cfg.storage_named == "pglite") {
    log::info("server", "PEER_STORAGE=pglite: moai's embedded store is a SQLite file at DB_PATH",
              {{"db_path", cfg.db_path}});
  }
  std::shared_ptr<storage::covalue_store> store;
  try {
    store = storage::open_configured_store(cfg);
  } catch (const std::exception& e) {
    log::error("server", "storage could not be opened", {{"error", e.what()}});
    return 1;
  }

  std::unique_ptr<storage::api_key_store> key_store;
  try {
    key_store = storage::open_api_key_store(cfg);
  } catch (const std::exception& e) {
    log::error("server", "the API key table could not be opened", {{"error", e.what()}});
    return 1;
  }

  // ---- the actors ----
  const unsigned scheduler_threads = effective_threads(cfg.scheduler_threads);
  caf::actor_system_config actor_config;
  configure_scheduler(actor_config, cfg, scheduler_threads);
  coarse_timers timers;  // outlives the actor system; stopped once the actors are done
  caf::actor_system system{actor_config};
  auto metrics = std::make_unique<sync_metrics>();
  // Who may use /sync: keys from the key table, kept in step by a thread of its own.
  access_control access({cfg.require_key, cfg.max_connections_per_ip, cfg.messages_per_second_per_ip},
                        metrics->access);
  auto keys = std::make_unique<key_refresher>(std::move(key_store), access,
                                              std::chrono::milliseconds(cfg.key_refresh_ms));
  try {
    keys->refresh();
  } catch (const std::exception& e) {
    log::error("server", "the API key table could not be read", {{"error", e.what()}});
    return 1;
  }
  access.on_unknown_key([refresher = keys.get()] { refresher->wake(); });
  keys->start();
  auto storage = spawn_storage_writer(system, store, metrics.get());
  covalue_options covalue_opts;
  covalue_opts.idle_timeout = std::chrono::milliseconds(cfg.covalue_idle_ms);
  covalue_opts.max_in_memory = cfg.max_covalues_in_memory;
  covalue_opts.require_schema = cfg.require_schema;
  covalue_opts.unstored_grace = std::chrono::milliseconds(cfg.unstored_disconnect_ms);
  covalue_opts.server_account = cfg.peer_id;
  auto manager = spawn_sync_manager(system, storage, metrics.get(), covalue_opts, timers);
  // Several nodes on one PostgreSQL database: what the others commit reaches the
  // CoValues this node holds in memory.
  std::optional<caf::actor> listener;
  if (auto feed = store->open_change_feed()) {
    listener = spawn_change_listener(system, std::move(feed), manager, metrics.get());
  }
  auto inspector = spawn_inspector(system, metrics->actors, std::chrono::milliseconds(cfg.inspect_interval_ms));
  const auto started = steady::now();
  std::atomic<bool> ready{false};

  // ---- the server's own account, and the link to PEER_MOAI ----
  // The account is an in-process peer of the sync manager, or in agent mode a client of
  // the upstream moai. In sync mode with PEER_MOAI, this moai is also a client of an
  // upstream moai, through a peer actor like any other.
  std::optional<agent_node_actor> node;
  upstream_wiring upstream;
  gateway::upstream_options link;
  link.url = cfg.peer_moai;
  link.ca_file = cfg.upstream_ca_file;
  try {
    if (identity) {
      agent_node_options node_opts;
      node_opts.load_timeout = node_opts.ack_timeout = std::chrono::milliseconds(cfg.agent_load_timeout_ms);
      if (agent_mode) {
        node = connect_agent_node(system, link, *identity, node_opts, metrics.get(), upstream);
        upstream.connection->start();
      } else {
        agent_link link;
        link.manager = manager;
        node = spawn_agent_node(system, *identity, link, node_opts, metrics.get());
      }
    }
    if (!agent_mode && !cfg.peer_moai.empty()) {
      upstream = connect_upstream_peer(system, link, manager, storage, metrics.get(), peer_limits(cfg, timers));
    }
  } catch (const std::invalid_argument& e) {
    log::error("server", "invalid PEER_MOAI", {{"error", e.what()}});
    return 2;
  }

  // ---- the front door ----
  auto agent = spawn_agent_gateway(system, cfg, node, metrics.get());
  auto llm = spawn_llm_gateway(system, cfg);
  std::unique_ptr<gateway::http_server> server;
  const auto peer_opts = peer_limits(cfg, timers);
  auto on_sync =
      [&system, manager, &metrics, &ready, peer_opts, agent_mode](
          std::shared_ptr<gateway::sync_connection> connection) -> std::shared_ptr<gateway::sync_connection_handler> {
    if (!ready) return nullptr;
    if (agent_mode) {
      connection->close(1008, "this moai runs in agent mode and does not serve /sync");
      return std::make_shared<refused_connection>();
    }
    auto opts = peer_opts;
    opts.access = std::dynamic_pointer_cast<access_grant>(connection->admission());
    if (opts.access && !opts.access->key_id().empty()) {
      std::weak_ptr<gateway::sync_connection> weak = connection;
      opts.access->on_revoked([weak] {
        if (auto c = weak.lock()) c->close(kCloseKeyRevoked, "API key revoked");
      });
      log::info("access", "connection with an API key", {{"connection", connection->id()}, {"key", opts.access->key_id()}});
    }
    return accept_peer(system, std::move(connection), manager, metrics.get(), opts);
  };
  route_targets targets;
  targets.ready = &ready;
  targets.started = started;
  targets.storage_kind = store->kind();
  targets.metrics = metrics.get();
  targets.server_counters = [&server]() -> const gateway::server_counters& { return server->counters(); };
  targets.inspector = inspector;
  targets.agent = agent;
  targets.llm = llm;
  targets.debug_endpoints = cfg.debug_endpoints;
  if (!cfg.admin_token.empty()) {
    admin_targets admin;
    admin.token = cfg.admin_token;
    admin.manager = manager;
    admin.metrics = metrics.get();
    admin.server_counters = targets.server_counters;
    admin.started = started;
    targets.admin = spawn_admin_gateway(system, std::move(admin));
  }
  auto options = listener_options(cfg);
  options.admit = [&access](const gateway::upgrade_request& asked) {
    const auto key = protocol::api_key_from_query(asked.query);
    auto let_in = access.admit(key, asked.remote_ip);
    if (let_in.status != 0) {
      log::info("access", "/sync upgrade refused",
                {{"remote", asked.remote_ip},
                 {"status", let_in.status},
                 {"why", let_in.message},
                 {"key", key ? protocol::api_key_id(*key) : std::string()}});
    }
    return gateway::upgrade_verdict{let_in.status, std::move(let_in.message), std::move(let_in.grant)};
  };
  server = std::make_unique<gateway::http_server>(options, on_sync, make_routes(targets));
  std::uint16_t port = 0;
  try {
    port = server->start();
  } catch (const std::exception& e) {
    log::error("server", "cannot listen",
               {{"host", cfg.host}, {"port", static_cast<unsigned>(cfg.port)}, {"error", e.what()}});
    return 1;
  }
  // What is open, and to whom.
  const auto sync_access = [&](const std::string& message) {
    log::info("server", message,
              {{"keys", access.active_keys()},
               {"key_table", store->kind()},
               {"max_connections_per_ip", cfg.max_connections_per_ip},
               {"messages_per_second_per_ip", cfg.messages_per_second_per_ip}});
  };
  if (cfg.require_key) {
    sync_access("/sync: API key required (" + std::to_string(access.active_keys()) + " keys)");
    if (cfg.storage == "memory") {
      log::warn("server", "storage.kind = memory keeps no key table: every /sync connection will be refused", {});
    }
  } else {
    sync_access("/sync: open to anyone (no key required)");
  }

  log_open_routes(cfg);  // before /health answers ready: whoever waits for it can read them
  ready = true;
  log::info("server", "moai listening",
            {{"version", MOAI_VERSION},
             {"host", cfg.host},
             {"port", static_cast<unsigned>(port)},
             {"mode", cfg.mode},
             {"storage", store->kind()},
             {"db_path", cfg.db_path},
             {"admin_page", !cfg.admin_token.empty()},
             {"scheduler_threads", scheduler_threads},
             {"io_threads", options.io_threads}});

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  log::info("server", "shutting down",
            {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"}, {"deadline_ms", cfg.shutdown_deadline_ms}});
  ready = false;

  // Whatever happens below, the process ends by the deadline. Content is
  // acknowledged only after its commit, so stopping early loses nothing acknowledged.
  const auto deadline = steady::now() + std::chrono::milliseconds(cfg.shutdown_deadline_ms);
  std::atomic<bool> flushed{false};
  std::mutex shutdown_mutex;
  std::condition_variable shutdown_done;
  bool stopped = false;
  std::thread watchdog([&, deadline] {
    std::unique_lock<std::mutex> lock(shutdown_mutex);
    if (shutdown_done.wait_until(lock, deadline + std::chrono::milliseconds(250), [&] { return stopped; })) return;
    log::error("server", "shutdown deadline passed; exiting now", {{"storage_flushed", flushed.load()}});
    std::_Exit(flushed ? 0 : 1);
  });

  // 1. No new connections; open ones get a 1001 close once their queued frames are out.
  server->stop_accepting();
  if (upstream.peer) upstream.peer->on_closed("shutting down");
  const auto phase = [&](double share) {
    return std::min(deadline,
                    steady::now() + std::chrono::duration_cast<steady::duration>((deadline - steady::now()) * share));
  };
  wait_until(phase(0.25), [&] { return metrics->actors.count("peer") == 0; });
  // 2. CoValue actors stop; a write they asked for is already in the writer's mailbox.
  caf::anon_send_exit(agent, caf::exit_reason::user_shutdown);
  if (upstream.connection) upstream.connection->stop();
  if (node) caf::anon_send_exit(*node, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(manager, caf::exit_reason::user_shutdown);
  if (listener) caf::anon_send_exit(*listener, caf::exit_reason::user_shutdown);
  if (upstream.reconciler) caf::anon_send_exit(*upstream.reconciler, caf::exit_reason::user_shutdown);
  wait_until(phase(0.5), [&] { return metrics->actors.count("covalue") + metrics->actors.count("sync_manager") == 0; });
  // 3. The writer commits everything queued before this request.
  {
    caf::scoped_actor self{system};
    self->request(storage, deadline - steady::now(), flush_request{})
        .receive(
            [&](flush_reply& reply) {
              flushed = true;
              if (!reply.ok) log::warn("server", "the last commit before shutdown failed", {});
            },
            [&](caf::error&) { log::error("server", "storage did not flush before shutdown", {}); });
  }
  server->stop();
  keys.reset();  // stores the keys' last counts of stored bytes
  caf::anon_send_exit(storage, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(inspector, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(llm, caf::exit_reason::user_shutdown);
  if (targets.admin) caf::anon_send_exit(*targets.admin, caf::exit_reason::user_shutdown);
  system.await_all_actors_done();
  timers.stop();
  {
    std::lock_guard<std::mutex> lock(shutdown_mutex);
    stopped = true;
  }
  shutdown_done.notify_one();
  watchdog.join();
  log::info("server", "stopped", {{"storage_flushed", flushed.load()}});
  return flushed ? 0 : 1;
}

}  // namespace moai::actors
