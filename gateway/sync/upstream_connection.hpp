// A WebSocket connection to an upstream sync server (PEER_MODE=agent, or sync mode with
// PEER_MOAI set), plain or over TLS with the certificate verified: it connects, hands
// every text frame to a callback, sends frames while connected, and reconnects
// with backoff when the link drops or falls silent. Servers ping every 1.5 s, so ten
// silent seconds mean a dead link (cojson clients use the same timeout).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "gateway/sync/sync_connection.hpp"

namespace moai::gateway {

struct upstream_options {
  std::string url;      // ws://host[:port]/path or wss://…
  std::string ca_file;  // wss: extra trusted CA certificates (PEM) beside the system's
  std::chrono::milliseconds silence_timeout{10000};
  std::chrono::milliseconds first_backoff{500};
  std::chrono::milliseconds max_backoff{10000};
};

struct upstream_handlers {
  std::function<void()> on_connected;               // a (re)connection is open
  std::function<void(std::string frame)> on_frame;  // one text frame
  std::function<void(const std::string& reason)> on_disconnected;
  // What notify_when_unsent_below asked for: the queue fell to that size (or the link
  // dropped it). Bytes still unsent.
  std::function<void(std::size_t unsent)> on_frame_sent;
};

class upstream_connection {
 public:
  // Throws std::invalid_argument for a URL it cannot use (ws:// and wss:// only).
  upstream_connection(upstream_options options, upstream_handlers handlers);
  ~upstream_connection();
  upstream_connection(const upstream_connection&) = delete;
  upstream_connection& operator=(const upstream_connection&) = delete;

  // Starts connecting on its own I/O thread.
  void start();
  void stop();
  // Queues one text frame; dropped while disconnected (the node re-announces on connect).
  void send_frame(std::string frame);
  // Bytes queued by send_frame and not yet written (any thread).
  std::size_t unsent_bytes() const;
  // One on_frame_sent call once unsent_bytes() is at most `below` (at once if it is).
  void notify_when_unsent_below(std::size_t below);
  // Drops the current connection (what is queued with it) and connects again after the
  // longest backoff; nothing happens while not connected.
  void reconnect(std::string reason);
  // This link as a /sync connection, for a peer actor to drive: frames, unsent bytes
  // and the catch-up notice as above (what is queued while disconnected is dropped);
  // close() reconnects (stop() ends the link). Valid while this object lives.
  std::shared_ptr<sync_connection> as_sync_connection();

  struct impl;

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace moai::gateway
