#include "actors/server.hpp"

#include <signal.h>

#include <chrono>
#include <thread>

#include "actors/llm_gateway.hpp"
#include "actors/peer_actor.hpp"
#include "actors/storage_writer.hpp"
#include "actors/sync_manager.hpp"
#include "config/log.hpp"
#include "gateway/http_server.hpp"
#include "protocol/crypto.hpp"
#include "protocol/json_text.hpp"

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
  protocol::append_json_string(body, path);
  body.push_back('}');
  return body;
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

  std::shared_ptr<storage::covalue_store> store;
  try {
    store = cfg.storage == "memory" ? storage::open_memory_store()
                                    : storage::open_sqlite_store(cfg.db_path, cfg.sqlite_synchronous);
  } catch (const std::exception& e) {
    log::error("server", "storage could not be opened", {{"error", e.what()}});
    return 1;
  }

  caf::actor_system_config actor_config;
  const unsigned scheduler_threads = effective_threads(cfg.scheduler_threads);
  actor_config.set("scheduler.max-threads", scheduler_threads);
  caf::actor_system system{actor_config};

  auto metrics = std::make_unique<sync_metrics>();
  auto storage = spawn_storage_writer(system, store, metrics.get());
  covalue_options covalue_opts;
  covalue_opts.idle_timeout = std::chrono::milliseconds(cfg.covalue_idle_ms);
  auto manager = spawn_sync_manager(system, storage, metrics.get(), covalue_opts);
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

  peer_options peer_opts;
  peer_opts.max_queued_bytes = cfg.max_peer_queue_bytes;
  auto on_sync = [&system, manager, &metrics, &ready, peer_opts](std::shared_ptr<gateway::sync_connection> connection)
      -> std::shared_ptr<gateway::sync_connection_handler> {
    if (!ready) return nullptr;
    return accept_peer(system, std::move(connection), manager, metrics.get(), peer_opts);
  };
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
    if (req.path == "/health" && req.method == "GET") {
      const bool is_ready = ready.load();
      std::string body = "{\"status\":\"ok\",\"service\":\"sync\",\"ready\":";
      body += is_ready ? "true" : "false";
      body += ",\"version\":\"" MOAI_VERSION "\",\"uptime_s\":";
      body += std::to_string(std::chrono::duration_cast<std::chrono::seconds>(steady::now() - started).count());
      body += ",\"storage\":\"";
      body += store->kind();
      body += "\"}";
      respond(gateway::json_response(is_ready ? 200 : 503, std::move(body)));
      return;
    }
    respond(gateway::json_response(404, not_found_body(req.path)));
  };

  gateway::http_server server(options, on_sync, on_http);
  std::uint16_t port = 0;
  try {
    port = server.start();
  } catch (const std::exception& e) {
    log::error("server", "cannot listen", {{"host", cfg.host}, {"port", static_cast<unsigned>(cfg.port)},
                                           {"error", e.what()}});
    return 1;
  }
  ready = true;
  log::info("server", "moai listening",
            {{"version", MOAI_VERSION}, {"host", cfg.host}, {"port", static_cast<unsigned>(port)},
             {"mode", cfg.mode}, {"storage", store->kind()}, {"db_path", cfg.db_path},
             {"scheduler_threads", scheduler_threads}, {"io_threads", options.io_threads}});

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  log::info("server", "shutting down", {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"}});
  ready = false;

  // Stop taking connections, let peers go, then wait until every write queued so far
  // is committed: the storage writer flushes before it answers a read.
  server.stop_accepting();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  {
    caf::scoped_actor self{system};
    self->request(storage, std::chrono::seconds(10), known_query{"co_zshutdown"})
        .receive([](known_reply&) {},
                 [](caf::error& err) { log::error("server", "storage did not flush before shutdown", {}); });
  }
  server.stop();
  // The manager takes its CoValue actors down with it; peers ended with their sockets.
  caf::anon_send_exit(manager, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(storage, caf::exit_reason::user_shutdown);
  log::debug("server", "waiting for actors", {{"running", static_cast<unsigned long>(system.registry().running())}});
  system.await_all_actors_done();
  log::info("server", "stopped", {});
  return 0;
}

}  // namespace moai::actors
