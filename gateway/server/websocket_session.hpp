// One WebSocket /sync connection: a sync_connection for whoever speaks the sync
// protocol over it (the peer actor), on its own strand. Frames are read piece by piece
// (an oversized message gets a clean 1009), written one at a time; silence is judged on
// the listener's shared ping tick rather than by timers per connection.
#pragma once

#include <atomic>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "base/fifo.hpp"
#include "gateway/server/listener.hpp"
#include "gateway/sync/sync_connection.hpp"

namespace moai::gateway {

class websocket_session : public std::enable_shared_from_this<websocket_session>, public sync_connection {
  // Reads start small and grow with the message: an idle connection then holds
  // almost no buffer, a large message still arrives in few reads.
  static constexpr std::size_t kMinReadChunk = 128;
  static constexpr std::size_t kMaxReadChunk = 1 << 20;
  static constexpr std::size_t kKeptBufferBytes = 64 * 1024;
  static constexpr std::chrono::seconds kCloseGrace{5};

 public:
  websocket_session(connection_socket&& socket, http_server::impl* server, std::uint64_t id, std::string remote,
                    std::shared_ptr<connection_admission> admission = nullptr);
  ~websocket_session() override;

  std::uint64_t id() const override { return id_; }
  const std::string& remote_address() const override { return remote_; }

  // Completes the upgrade `request` asked for, then reads frames.
  void run(boost::beast::http::request<boost::beast::http::string_body> request);

  void send_frame(std::string frame) override;

  std::size_t unsent_bytes() const override { return unsent_.load(std::memory_order_acquire); }

  void notify_when_unsent_below(std::size_t below) override;

  // Called after the I/O threads stopped: no handler will run again.
  void abandon() { finish("server stopped"); }

  // Called on the server's ping tick (one timer for all connections) with the ping
  // text, encoded once per tick.
  void ping(std::shared_ptr<const std::string> text);

  void close(std::uint16_t code, std::string reason) override;

  std::shared_ptr<connection_admission> admission() const override { return admission_; }

  void delay_reads(std::chrono::steady_clock::duration pause) override;
  void frame_processed(std::size_t bytes) override;

 private:
  using clock = std::chrono::steady_clock;

  // cojson pings go one way, so liveness is judged by what the peer sends: after half
  // the idle timeout of silence it gets a WebSocket ping (clients answer with a pong);
  // after all of it, and only if that ping went out on an earlier tick (so the peer had
  // a whole tick to answer), the connection is dropped as dead.
  void check_silence();

  void on_accept(beast::error_code ec);

  // Reads a message piece by piece so an oversized one is refused with a clean close
  // (1009) instead of Beast's read_message_max, whose teardown in Boost 1.74 resets
  // the connection while the peer is still sending.
  void do_read();

  void on_read(beast::error_code ec, std::size_t bytes);

  // The next read, after the pause delay_reads asked for if one is pending.
  void read_next();

  // Empties the read buffer and takes its bytes off the server-wide count.
  void release_buffer();

  // Tells the handler once the backlog fell below what it asked for.
  void maybe_notify(std::size_t bytes);

  void enqueue(std::string frame, bool is_ping);

  void do_write();

  void on_write(beast::error_code ec, std::size_t bytes);

  // The close frame follows what is queued. A peer that stops reading would hold the
  // connection open forever, so after a grace period the socket is simply dropped.
  void begin_close(std::uint16_t code, std::string reason);

  void do_close();

  // The connection is over, whichever side ended it.
  void finish(const std::string& reason);

  // A plain socket underneath: beast::tcp_stream's timeouts would cost two timers per
  // idle connection; silence is judged on the shared ping tick instead.
  websocket::stream<connection_socket> ws_;
  beast::flat_buffer buffer_;
  std::size_t buffer_counted_ = 0;  // of buffer_, what counters.frame_bytes_buffered holds
  // Frames handed to the handler and not yet processed (also in frame_bytes_buffered);
  // past kMaxUnprocessedBytes reading waits for frame_processed.
  static constexpr std::size_t kMaxUnprocessedBytes = 8u << 20;
  std::atomic<std::size_t> unprocessed_{0};
  bool waiting_for_processing_ = false;
  net::basic_waitable_timer<std::chrono::steady_clock, net::wait_traits<std::chrono::steady_clock>, connection_executor>
      close_timer_;
  http_server::impl* server_;
  std::uint64_t id_;
  std::string remote_;
  std::shared_ptr<sync_connection_handler> handler_;
  struct queued_frame {
    std::string text;
    bool is_ping;  // pings are ours; the handler only hears about its own frames
  };
  base::fifo<queued_frame> queue_;
  std::atomic<std::size_t> unsent_{0};  // send_frame'd, not yet written (pings apart)
  std::atomic<bool> notify_wanted_{false};
  std::atomic<std::size_t> notify_below_{0};
  clock::time_point last_heard_ = clock::now();  // last frame or control frame from the peer
  clock::time_point pinged_at_{};                // last WebSocket ping we sent
  bool ws_ping_in_flight_ = false;
  bool closed_ = false;
  bool close_requested_ = false;
  // delay_reads: no read before this. Each pause is capped well below the idle timeout
  // (a peer's pongs are read with its frames); a debt left over gives the next pause.
  clock::time_point reads_resume_at_{};
  static constexpr std::chrono::seconds kMaxReadPause{5};
  std::shared_ptr<connection_admission> admission_;
  std::uint16_t close_code_ = 1000;
  std::string close_reason_;
};

}  // namespace moai::gateway
