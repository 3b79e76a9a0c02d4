#include "actors/server/upstream_wiring.hpp"

#include <cstdint>
#include <utility>

namespace moai::actors {
namespace {

std::unique_ptr<gateway::upstream_connection> open_link(const gateway::upstream_options& link,
                                                        gateway::upstream_handlers handlers) {
  return std::make_unique<gateway::upstream_connection>(link, std::move(handlers));
}

}  // namespace

agent_node_actor connect_agent_node(caf::actor_system& system, const gateway::upstream_options& link,
                                    protocol::agent_identity identity, agent_node_options options,
                                    sync_metrics* metrics, upstream_wiring& out) {
  auto node_slot = std::make_shared<agent_node_actor>();
  gateway::upstream_handlers handlers;
  handlers.on_connected = [node_slot] { caf::anon_send(*node_slot, upstream_connected{}); };
  handlers.on_frame = [node_slot](std::string frame) { caf::anon_send(*node_slot, incoming_frame{std::move(frame)}); };
  handlers.on_disconnected = [node_slot](const std::string& reason) {
    caf::anon_send(*node_slot, connection_closed{reason});
  };
  out.connection = open_link(link, std::move(handlers));
  agent_link node_link;
  node_link.send_frame = [connection = out.connection.get()](std::string frame) {
    connection->send_frame(std::move(frame));
  };
  *node_slot = spawn_agent_node(system, std::move(identity), node_link, options, metrics);
  return *node_slot;
}

upstream_wiring connect_upstream_peer(caf::actor_system& system, const gateway::upstream_options& link,
                                      sync_manager_actor manager,
                                      storage_actor storage, sync_metrics* metrics, peer_options options) {
  upstream_wiring out;
  auto handler_slot = std::make_shared<std::shared_ptr<gateway::sync_connection_handler>>();
  auto upstream = std::make_shared<upstream_link>();
  auto reader = std::make_shared<connection_peer>();  // the link's peer actor, as the connection sees it
  auto reconciler = spawn_upstream_reconciler(system, storage, metrics);
  gateway::upstream_handlers handlers;
  // Every (re)connection, once the peer actor has passed on what the old connection
  // brought: CoValues in memory subscribe again, storage is reconciled.
  handlers.on_connected = [reader] { caf::anon_send(*reader, upstream_connected{}); };
  handlers.on_frame = [handler_slot](std::string frame) { (*handler_slot)->on_frame(std::move(frame)); };
  handlers.on_frame_sent = [handler_slot](std::size_t unsent) { (*handler_slot)->on_frame_sent(unsent); };
  out.connection = open_link(link, std::move(handlers));
  // An upstream whose socket barely drains while its queue is over the limit (the stall
  // rule) has its link dropped and connected again (close() reconnects, after a long
  // backoff); the reconnection's subscriptions and reconcile resend what was lost. No
  // hard limit: after a reconnection every CoValue in memory subscribes at once, and
  // cutting that burst of loads off would redo it after every reconnection.
  options.max_overflow_bytes = SIZE_MAX;
  options.max_held_bytes = SIZE_MAX;
  options.on_reconcile_ack = [reconciler](const std::string& batch_id) {
    caf::anon_send(reconciler, reconcile_acked{batch_id});
  };
  options.on_upstream_connected = [manager, reconciler, upstream] {
    caf::anon_send(manager, *upstream);
    caf::anon_send(reconciler, *upstream);
  };
  auto peer = spawn_peer(system, out.connection->as_sync_connection(), manager, metrics, options);
  *handler_slot = out.peer = peer.handler;
  upstream->peer = peer.actor;
  *reader = peer.actor;
  out.reconciler = reconciler;
  caf::anon_send(manager, *upstream);  // CoValues spawned before the first connection know it too
  out.connection->start();
  return out;
}

}  // namespace moai::actors
