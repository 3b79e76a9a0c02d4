#include "actors/server/server.hpp"

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "actors/agent/agent_gateway.hpp"
#include "actors/agent/agent_node.hpp"
#include "actors/llm/llm_gateway.hpp"
#include "actors/observability/prometheus.hpp"
#include "actors/sync/peer_actor.hpp"
#include "actors/sync/storage_writer.hpp"
#include "actors/sync/sync_manager.hpp"
#include "actors/sync/upstream_reconciler.hpp"
#include "base/json_text.hpp"
#include "config/log.hpp"
#include "gateway/server/http_server.hpp"
#include "gateway/sync/upstream_connection.hpp"
#include "protocol/crypto/crypto.hpp"
#include "protocol/crypto/identity.hpp"
#include "storage/open_store.hpp"

#ifndef MOAI_VERSION
#define MOAI_VERSION "0.0.0"
#endif

namespace moai::actors {
namespace {

using steady = std::chrono::steady_clock;

gateway::http_response with_cors(gateway::http_response r) {
  r.headers.emplace_back("Access-Control-Allow-Origin", "*");
  return r;
}

std::string not_found_body(const std::string& path) {
  std::string body = "{\"error\":\"not found\",\"path\":";
  base::append_json_string(body, path);
  body.push_back('}');
  return body;
}

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

}  // namespace

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

  // The server's own account, if configured (checked before anything starts).
  std::optional<protocol::agent_identity> identity;
  if (!cfg.peer_id.empty() || !cfg.peer_secret.empty()) {
    identity = protocol::parse_identity(cfg.peer_id, cfg.peer_secret);
    if (!identity || cfg.peer_id.empty()) {
      log::error("server",
                 "PEER_ID must be an account ID (co_z…) and PEER_SECRET an agent secret "
                 "(sealerSecret_z…/signerSecret_z…); see moai agent generate",
                 {});
      return 2;
    }
  }
  const bool agent_mode = cfg.mode == "agent";
  if (agent_mode && (!identity || cfg.peer_moai.empty())) {
    log::error("server",
               "PEER_MODE=agent needs PEER_MOAI (the upstream ws://…/sync) and the account "
               "(PEER_ID, PEER_SECRET)",
               {});
    return 2;
  }

  std::shared_ptr<storage::covalue_store> store;
  try {
    store = storage::open_configured_store(cfg);
  } catch (const std::exception& e) {
    log::error("server", "storage could not be opened", {{"error", e.what()}});
    return 1;
  }

  caf::actor_system_config actor_config;
  const unsigned scheduler_threads = effective_threads(cfg.scheduler_threads);
  actor_config.set("scheduler.max-threads", scheduler_threads);
  // CAF's default work stealing polls for work in short sleeps for a long while before it
  // waits on a condition variable; between messages that burns a core (measured: 2-3x
  // the server's CPU in fan-out). Sharing waits at once; stealing is kept with brief polls.
  if (cfg.scheduler_policy == "sharing") {
    actor_config.set("scheduler.policy", caf::atom("sharing"));
  } else {
    actor_config.set("scheduler.policy", caf::atom("stealing"));
    actor_config.set("work-stealing.aggressive-poll-attempts", std::size_t{10});
    actor_config.set("work-stealing.moderate-poll-attempts", std::size_t{2});
  }
  caf::actor_system system{actor_config};

  auto metrics = std::make_unique<sync_metrics>();
  auto storage = spawn_storage_writer(system, store, metrics.get());
  covalue_options covalue_opts;
  covalue_opts.idle_timeout = std::chrono::milliseconds(cfg.covalue_idle_ms);
  covalue_opts.max_in_memory = cfg.max_covalues_in_memory;
  auto manager = spawn_sync_manager(system, storage, metrics.get(), covalue_opts);
  caf::actor inspector;
  if (cfg.inspect_interval_ms > 0) {
    inspector = spawn_inspector(system, metrics->actors, std::chrono::milliseconds(cfg.inspect_interval_ms));
  }
  const auto started = steady::now();
  std::atomic<bool> ready{false};

  gateway::server_options options;
  options.host = cfg.host;
  options.port = cfg.port;
  options.io_threads = effective_threads(cfg.io_threads);
  options.max_frame_bytes = cfg.max_frame_bytes;
  options.max_connections = cfg.max_connections;
  options.max_body_bytes = cfg.max_body_bytes;
  options.datacenter = cfg.datacenter;
  options.idle_timeout = std::chrono::milliseconds(cfg.idle_timeout_ms);

  peer_options peer_opts;
  peer_opts.max_queued_bytes = cfg.max_peer_queue_bytes;
  peer_opts.max_overflow_bytes = cfg.max_peer_queue_bytes;
  // Notes are small: even under a small queue limit, a client that deep-loads many
  // CoValues while its queue is full is a reader, not a peer to cut off.
  peer_opts.max_held_bytes = std::max<std::size_t>(cfg.max_peer_queue_bytes, 64ull << 20);
  auto on_sync =
      [&system, manager, &metrics, &ready, peer_opts, agent_mode](
          std::shared_ptr<gateway::sync_connection> connection) -> std::shared_ptr<gateway::sync_connection_handler> {
    if (!ready) return nullptr;
    if (agent_mode) {
      connection->close(1008, "this moai runs in agent mode and does not serve /sync");
      return std::make_shared<refused_connection>();
    }
    return accept_peer(system, std::move(connection), manager, metrics.get(), peer_opts);
  };
  // The server's account: an in-process peer of the sync manager, or in agent mode a
  // client of the upstream moai.
  std::optional<agent_node_actor> node;
  std::unique_ptr<gateway::upstream_connection> upstream;
  // The link to PEER_MOAI: agent mode's server, or in sync mode an upstream moai.
  auto open_upstream = [&](gateway::upstream_handlers handlers) {
    try {
      gateway::upstream_options options;
      options.url = cfg.peer_moai;
      upstream = std::make_unique<gateway::upstream_connection>(options, std::move(handlers));
      return true;
    } catch (const std::exception& e) {
      log::error("server", "invalid PEER_MOAI", {{"error", e.what()}});
      return false;
    }
  };
  if (identity) {
    agent_link link;
    agent_node_options node_opts;
    node_opts.load_timeout = node_opts.ack_timeout = std::chrono::milliseconds(cfg.agent_load_timeout_ms);
    auto node_slot = std::make_shared<agent_node_actor>();
    if (agent_mode) {
      gateway::upstream_handlers handlers;
      handlers.on_connected = [node_slot] { caf::anon_send(*node_slot, upstream_connected{}); };
      handlers.on_frame = [node_slot](std::string frame) {
        caf::anon_send(*node_slot, incoming_frame{std::move(frame)});
      };
      handlers.on_disconnected = [node_slot](const std::string& reason) {
        caf::anon_send(*node_slot, connection_closed{reason});
      };
      if (!open_upstream(std::move(handlers))) return 2;
      link.send_frame = [connection = upstream.get()](std::string frame) { connection->send_frame(std::move(frame)); };
    } else {
      link.manager = manager;
    }
    *node_slot = spawn_agent_node(system, *identity, link, node_opts, metrics.get());
    node = *node_slot;
    if (upstream) upstream->start();
  }
  // Sync mode with PEER_MOAI: this moai is also a client of an upstream moai, through a
  // peer actor like any other; the CoValues it holds are subscribed there (one moai
  // syncing with another, as cojson nodes sync with their server peer).
  std::shared_ptr<gateway::sync_connection_handler> upstream_peer;
  std::optional<upstream_reconciler_actor> reconciler;
  if (!agent_mode && !cfg.peer_moai.empty()) {
    auto handler_slot = std::make_shared<std::shared_ptr<gateway::sync_connection_handler>>();
    auto link = std::make_shared<upstream_link>();
    auto reader = std::make_shared<connection_peer>();  // the link's peer actor, as the connection sees it
    reconciler = spawn_upstream_reconciler(system, storage, metrics.get());
    gateway::upstream_handlers handlers;
    // Every (re)connection, once the peer actor has passed on what the old connection
    // brought: CoValues in memory subscribe again, storage is reconciled.
    handlers.on_connected = [reader] { caf::anon_send(*reader, upstream_connected{}); };
    handlers.on_frame = [handler_slot](std::string frame) { (*handler_slot)->on_frame(std::move(frame)); };
    handlers.on_frame_sent = [handler_slot](std::size_t unsent) { (*handler_slot)->on_frame_sent(unsent); };
    if (!open_upstream(std::move(handlers))) return 2;
    auto upstream_opts = peer_opts;
    // An upstream whose socket barely drains while its queue is over the limit (the
    // stall rule) has its link dropped and connected again (close() reconnects, after a
    // long backoff); the reconnection's subscriptions and reconcile resend what was lost.
    // No hard limit: after a reconnection every CoValue in memory subscribes at once,
    // and cutting that burst of loads off would redo it after every reconnection.
    upstream_opts.max_overflow_bytes = SIZE_MAX;
    upstream_opts.max_held_bytes = SIZE_MAX;
    upstream_opts.on_reconcile_ack = [reconciler = *reconciler](const std::string& batch_id) {
      caf::anon_send(reconciler, reconcile_acked{batch_id});
    };
    upstream_opts.on_upstream_connected = [manager, reconciler = *reconciler, link] {
      caf::anon_send(manager, *link);
      caf::anon_send(reconciler, *link);
    };
    auto peer = spawn_peer(system, upstream->as_sync_connection(), manager, metrics.get(), upstream_opts);
    *handler_slot = upstream_peer = peer.handler;
    link->peer = peer.actor;
    *reader = peer.actor;
    caf::anon_send(manager, *link);  // CoValues spawned before the first connection know it too
    upstream->start();
  }
  auto agent = make_agent_gateway(system, cfg, node, metrics.get());
  std::unique_ptr<gateway::http_server> server;
  auto llm = make_llm_gateway(system, cfg);
  auto on_http = [&](gateway::http_request&& req, gateway::responder plain_respond) {
    // Every answer carries CORS "*": browsers call these routes from any origin.
    gateway::responder respond = [plain_respond](gateway::http_response r) { plain_respond(with_cors(std::move(r))); };
    if (req.method == "OPTIONS") {
      gateway::http_response r;
      r.status = 204;
      r.headers = {{"Access-Control-Allow-Methods", "GET, POST, PATCH, OPTIONS"},
                   {"Access-Control-Allow-Headers", "Content-Type, Authorization"}};
      respond(std::move(r));
      return;
    }
    if (req.path == "/api/v0/llm/chat") {
      llm->handle(std::move(req), std::move(respond));
      return;
    }
    if (agent_gateway::serves(req.path)) {
      agent->handle(std::move(req), std::move(respond));
      return;
    }
    const double uptime = std::chrono::duration<double>(steady::now() - started).count();
    if (req.path == "/health" && req.method == "GET") {
      const bool is_ready = ready.load();
      std::string body = "{\"status\":\"ok\",\"service\":\"sync\",\"ready\":";
      body += is_ready ? "true" : "false";
      body += ",\"version\":\"" MOAI_VERSION "\",\"uptime_s\":";
      body += std::to_string(static_cast<long long>(uptime));
      body += ",\"storage\":\"";
      body += store->kind();
      body += "\"}";
      respond(gateway::json_response(is_ready ? 200 : 503, std::move(body)));
      return;
    }
    if (req.path == "/metrics" && req.method == "GET") {
      gateway::http_response r;
      r.content_type = "text/plain; version=0.0.4; charset=utf-8";
      r.body = render_prometheus(*metrics, server->counters(), metrics->actors.summary(), read_process_stats(uptime));
      respond(std::move(r));
      return;
    }
    if (req.path == "/debug/actors" && req.method == "GET" && cfg.debug_endpoints) {
      respond(gateway::json_response(200, render_actor_summary_json(metrics->actors.summary())));
      return;
    }
    respond(gateway::json_response(404, not_found_body(req.path)));
  };

  server = std::make_unique<gateway::http_server>(options, on_sync, on_http);
  std::uint16_t port = 0;
  try {
    port = server->start();
  } catch (const std::exception& e) {
    log::error("server", "cannot listen",
               {{"host", cfg.host}, {"port", static_cast<unsigned>(cfg.port)}, {"error", e.what()}});
    return 1;
  }
  ready = true;
  log::info("server", "moai listening",
            {{"version", MOAI_VERSION},
             {"host", cfg.host},
             {"port", static_cast<unsigned>(port)},
             {"mode", cfg.mode},
             {"storage", store->kind()},
             {"db_path", cfg.db_path},
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
  if (upstream_peer) upstream_peer->on_closed("shutting down");
  const auto phase = [&](double share) {
    return std::min(deadline,
                    steady::now() + std::chrono::duration_cast<steady::duration>((deadline - steady::now()) * share));
  };
  wait_until(phase(0.25), [&] { return metrics->actors.count("peer") == 0; });
  // 2. CoValue actors stop; a write they asked for is already in the writer's mailbox.
  agent.reset();
  if (upstream) upstream->stop();
  if (node) caf::anon_send_exit(*node, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(manager, caf::exit_reason::user_shutdown);
  if (reconciler) caf::anon_send_exit(*reconciler, caf::exit_reason::user_shutdown);
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
  caf::anon_send_exit(storage, caf::exit_reason::user_shutdown);
  if (inspector) caf::anon_send_exit(inspector, caf::exit_reason::user_shutdown);
  llm.reset();
  system.await_all_actors_done();
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
