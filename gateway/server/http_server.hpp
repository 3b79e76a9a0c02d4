// The HTTP/WebSocket front door (Boost.Beast): plain requests go to an http_handler,
// WebSocket upgrades become sync connections. Sessions live on strands, as in
// Beast's advanced server example.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gateway/server/http_types.hpp"
#include "gateway/server/server_counters.hpp"
#include "gateway/sync/sync_connection.hpp"

namespace moai::gateway {

struct server_options {
  std::string host = "0.0.0.0";
  std::uint16_t port = 4201;
  unsigned io_threads = 1;
  std::uint64_t max_frame_bytes = 64ull << 20;
  // Bytes of incoming messages not yet complete, summed over all connections.
  std::uint64_t max_buffered_frame_bytes = 256ull << 20;
  std::uint32_t max_connections = 10000;
  std::size_t max_body_bytes = 1 << 20;
  std::chrono::milliseconds ping_interval{1500};
  // A WebSocket peer that sends nothing (pongs included) for this long is dropped; it
  // gets a WebSocket ping at half. Checked on the ping tick. Zero: never.
  std::chrono::milliseconds idle_timeout{60000};
  // The text frame every open WebSocket gets on each ping tick (cojson clients drop a
  // silent server); made once per tick. The gateway knows no sync protocol: the
  // wiring gives it (protocol::encode_ping).
  std::function<std::string()> ping_text;
  // Decides each /sync upgrade (API keys, per-key and per-IP limits); none lets all in.
  upgrade_gate admit;
};

class http_server {
 public:
  http_server(server_options options, sync_acceptor on_sync, http_handler on_http);
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  // Binds and starts the I/O threads; returns the bound port. Throws on bind failure.
  std::uint16_t start();
  // Stops accepting and closes every WebSocket with 1001 (going away).
  void stop_accepting();
  // Stops the I/O threads (after stop_accepting and a grace period).
  void stop();

  const server_counters& counters() const;

  struct impl;

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace moai::gateway
