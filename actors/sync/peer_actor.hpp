// One actor per WebSocket peer: decodes its frames into typed messages for the sync
// manager, and owns its outgoing queue (priorities, batching, backpressure) the way
// cojson-transport-ws does.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "actors/access/access_control.hpp"
#include "actors/observability/metrics.hpp"
#include "actors/sync/messages.hpp"
#include "gateway/sync/sync_connection.hpp"

namespace moai::actors {

class coarse_timers;

struct peer_options {
  // Send at once while the socket holds at most this much unsent data
  // (cojson-transport-ws: MAX_OUTGOING_MESSAGES_CHUNK_BYTES checks and buffered amount).
  std::size_t send_immediately_below = 100000;
  // Coalesced frames stay at or under this size.
  std::size_t max_batch_bytes = 25000;
  // A CoValue's content that comes while the queue is within this is queued whole,
  // however large, so a peer that reads gets any CoValue; content that comes while it
  // is over this is held back and resent once it drained to half. A peer over this
  // whose socket takes less than `stall_min_progress_bytes` in a `stall_timeout` is
  // disconnected, and one that gets more than `max_overflow_bytes` of other messages
  // (acks of what it keeps sending) queued while over this, or whose notes of held-back
  // content (a few hundred bytes per CoValue) take more than `max_held_bytes`.
  std::size_t max_queued_bytes = 64ull << 20;
  std::size_t max_overflow_bytes = 64ull << 20;
  std::size_t max_held_bytes = 64ull << 20;
  std::chrono::milliseconds stall_timeout{10000};
  // A frame of more messages closes the connection (1009) before any is decoded: each
  // decoded message costs far more memory than its text.
  std::size_t max_messages_per_frame = 50000;
  std::size_t stall_min_progress_bytes = 256 * 1024;
  // The upstream link: its `reconcile-ack`s go here (clients' are ignored, §2.5).
  std::function<void(const std::string& batch_id)> on_reconcile_ack;
  // The upstream link (re)connected; called after everything read from the old
  // connection was passed on.
  std::function<void()> on_upstream_connected;
  // Request timeouts and the stall check (must outlive the actor).
  coarse_timers* timers = nullptr;
  // What access control let the connection in with (its key's or its IP's limits), if
  // anything is to be counted: each frame is charged to it.
  std::shared_ptr<access_grant> access;
};

struct peer_handles {
  connection_peer actor;
  std::shared_ptr<gateway::sync_connection_handler> handler;  // what the connection feeds
};

// Spawns the actor for a connection: an accepted /sync client, or the link to an
// upstream moai (whose actor the manager must know).
peer_handles spawn_peer(caf::actor_system& system, std::shared_ptr<gateway::sync_connection> connection,
                        sync_manager_actor manager, sync_metrics* metrics, peer_options options);

// For an accepted connection: only the handler is needed.
std::shared_ptr<gateway::sync_connection_handler> accept_peer(caf::actor_system& system,
                                                              std::shared_ptr<gateway::sync_connection> connection,
                                                              sync_manager_actor manager, sync_metrics* metrics,
                                                              peer_options options);

}  // namespace moai::actors
