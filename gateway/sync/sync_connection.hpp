// The seam between a WebSocket /sync connection (gateway) and whoever speaks the sync
// protocol over it (the peer actor). Frames are text; pings are the gateway's job.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace moai::gateway {

// Implemented by the gateway; every method is safe to call from any thread.
class sync_connection {
 public:
  virtual ~sync_connection() = default;
  virtual std::uint64_t id() const = 0;
  virtual const std::string& remote_address() const = 0;
  // Queues one text frame.
  virtual void send_frame(std::string frame) = 0;
  // Bytes of frames queued by send_frame and not yet written to the socket.
  virtual std::size_t unsent_bytes() const = 0;
  // Asks for one on_frame_sent call once unsent_bytes() has fallen to `below` or less
  // (immediately if it already has). Flow control without a call per frame.
  virtual void notify_when_unsent_below(std::size_t below) = 0;
  // Sends a close frame once queued frames are written.
  virtual void close(std::uint16_t code, std::string reason) = 0;
};

// Implemented by the receiver of a connection; called on the connection's strand,
// one call at a time.
class sync_connection_handler {
 public:
  virtual ~sync_connection_handler() = default;
  virtual void on_frame(std::string frame) = 0;
  // What notify_when_unsent_below asked for: the socket caught up.
  virtual void on_frame_sent(std::size_t bytes) = 0;
  // The connection is gone; no further calls follow.
  virtual void on_closed(const std::string& reason) = 0;
};

using sync_acceptor =
    std::function<std::shared_ptr<sync_connection_handler>(std::shared_ptr<sync_connection> connection)>;

}  // namespace moai::gateway
