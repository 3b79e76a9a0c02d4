// The seam between a WebSocket /sync connection (gateway) and whoever speaks the sync
// protocol over it (the peer actor). Frames are text; pings are the gateway's job.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace moai::gateway {

// What the wiring decided about a connection when it was let in (actors/access: its key
// and limits). The gateway only holds it for the connection's lifetime, so dropping it
// is how the connection is counted out.
class connection_admission {
 public:
  virtual ~connection_admission() = default;
};

// A /sync upgrade as the gate sees it.
struct upgrade_request {
  std::string query;      // the target's query string, without '?'
  std::string remote_ip;  // the peer's address, without port
};

// Let in (`status` 0, with an admission or none), or refused with an HTTP status and a
// message (the gateway answers it as a JSON error body).
struct upgrade_verdict {
  unsigned status = 0;
  std::string message;
  std::shared_ptr<connection_admission> admission;
};

// Called on an I/O thread for every /sync upgrade that is otherwise acceptable.
using upgrade_gate = std::function<upgrade_verdict(const upgrade_request&)>;

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
  // What the upgrade gate let in (nullptr without a gate, and for outgoing links).
  virtual std::shared_ptr<connection_admission> admission() const { return nullptr; }
  // Backpressure: reads no further frame for `pause` (a rate limit's debt); the peer's
  // socket buffers fill and it slows down. Nothing read is dropped.
  virtual void delay_reads(std::chrono::steady_clock::duration pause) {}
  // The handler is done with a frame of `bytes` that on_frame handed it. Frames handed on
  // and not yet done count toward the server's budget of incoming bytes, and a
  // connection with several megabytes of them is not read further until they are done:
  // a peer sending faster than its frames are processed waits instead of filling memory.
  virtual void frame_processed(std::size_t bytes) {}
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
