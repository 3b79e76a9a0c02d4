#include "gateway/server/websocket_session.hpp"

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include "config/log.hpp"

namespace moai::gateway {

websocket_session::websocket_session(connection_socket&& socket, http_server::impl* server, std::uint64_t id,
                                     std::string remote, std::shared_ptr<connection_admission> admission)
    : ws_(std::move(socket)),
      close_timer_(ws_.get_executor()),
      server_(server),
      id_(id),
      remote_(std::move(remote)),
      admission_(std::move(admission)) {}

websocket_session::~websocket_session() {
  server_->counters.connections_open--;
  server_->counters.frame_bytes_buffered.fetch_sub(unprocessed_.load());
}

void websocket_session::run(http::request<http::string_body> request) {
  // No Beast timeouts: they arm a timer per connection and touch it on every read.
  // Silent peers are found on the shared ping tick instead (check_silence).
  ws_.set_option(
      websocket::stream_base::timeout{websocket::stream_base::none(), websocket::stream_base::none(), false});
  ws_.control_callback([this](websocket::frame_type, beast::string_view) { last_heard_ = clock::now(); });
  ws_.set_option(
      websocket::stream_base::decorator([](websocket::response_type& res) { res.set(http::field::server, "moai"); }));
  ws_.read_message_max(0);  // enforced in on_read
  ws_.auto_fragment(false);
  ws_.async_accept(request, beast::bind_front_handler(&websocket_session::on_accept, shared_from_this()));
}

void websocket_session::send_frame(std::string frame) {
  unsent_ += frame.size();
  net::post(ws_.get_executor(), [self = shared_from_this(), frame = std::move(frame)]() mutable {
    self->enqueue(std::move(frame), false);
  });
}

void websocket_session::notify_when_unsent_below(std::size_t below) {
  notify_below_.store(below, std::memory_order_release);
  notify_wanted_.store(true, std::memory_order_release);
  // The write that would have noticed may already be done: check once here.
  net::post(ws_.get_executor(), [self = shared_from_this()] { self->maybe_notify(0); });
}

void websocket_session::ping(std::shared_ptr<const std::string> text) {
  net::post(ws_.get_executor(), [self = shared_from_this(), text = std::move(text)] {
    if (self->closed_ || !self->handler_) return;
    self->check_silence();
    if (self->closed_ || self->close_requested_) return;
    self->enqueue(*text, true);
  });
}

void websocket_session::close(std::uint16_t code, std::string reason) {
  net::post(ws_.get_executor(), [self = shared_from_this(), code, reason = std::move(reason)]() mutable {
    self->begin_close(code, std::move(reason));
  });
}

void websocket_session::delay_reads(std::chrono::steady_clock::duration pause) {
  // Inline when called from the connection's strand (from on_frame): the read after
  // this frame then waits.
  net::dispatch(ws_.get_executor(), [self = shared_from_this(), pause] {
    self->reads_resume_at_ = std::max(self->reads_resume_at_, clock::now() + std::min<clock::duration>(pause, kMaxReadPause));
  });
}

void websocket_session::check_silence() {
  const auto timeout = server_->options.idle_timeout;
  if (timeout.count() <= 0) return;
  const auto now = clock::now();
  const auto silent = now - last_heard_;
  const bool pinged_since_heard = pinged_at_ > last_heard_;
  if (silent >= timeout && pinged_since_heard) {
    log::warn("gateway", "peer silent past the idle timeout; dropping the connection",
              {{"connection", id_},
               {"remote", remote_},
               {"silent_ms", std::chrono::duration_cast<std::chrono::milliseconds>(silent).count()}});
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).close(ignored);
    finish("idle timeout");
  } else if (silent >= timeout / 2 && !pinged_since_heard && !ws_ping_in_flight_ && !close_requested_) {
    pinged_at_ = now;
    ws_ping_in_flight_ = true;
    ws_.async_ping({}, [self = shared_from_this()](beast::error_code ec) {
      self->ws_ping_in_flight_ = false;
      if (ec) self->finish(ec.message());
    });
  }
}

void websocket_session::on_accept(beast::error_code ec) {
  if (ec) {
    log::debug("gateway", "websocket handshake failed", {{"remote", remote_}, {"error", ec.message()}});
    return;
  }
  {
    std::lock_guard<std::mutex> lock(server_->sessions_mutex);
    server_->sessions[id_] = weak_from_this();
  }
  handler_ = server_->on_sync(shared_from_this());
  if (!handler_) {
    begin_close(1013, "server not ready");
    return;
  }
  do_read();
}

void websocket_session::do_read() {
  ws_.async_read_some(buffer_, std::clamp(buffer_.size(), kMinReadChunk, kMaxReadChunk),
                      beast::bind_front_handler(&websocket_session::on_read, shared_from_this()));
}

void websocket_session::on_read(beast::error_code ec, std::size_t bytes) {
  if (closed_) return;
  if (ec) {
    finish(ec == websocket::error::closed ? std::string("closed by peer") : ec.message());
    return;
  }
  last_heard_ = clock::now();
  server_->counters.bytes_in += bytes;
  const std::size_t grown = buffer_.size() - buffer_counted_;
  buffer_counted_ = buffer_.size();
  const std::uint64_t buffered = server_->counters.frame_bytes_buffered.fetch_add(grown) + grown;
  if (buffer_.size() > server_->options.max_frame_bytes) {
    log::warn("gateway", "message over the size limit, closing with 1009",
              {{"connection", id_}, {"remote", remote_}, {"limit", server_->options.max_frame_bytes}});
    release_buffer();
    begin_close(1009, "message too big");
    return;
  }
  if (!ws_.is_message_done()) {
    // Messages still arriving hold memory on every connection at once: past the
    // server-wide budget, the connection whose message grows is told to come back later.
    if (buffered > server_->options.max_buffered_frame_bytes) {
      server_->counters.closed_over_frame_budget++;
      if (std::uint64_t suppressed = 0; log::sample("frame budget", std::chrono::seconds(5), suppressed)) {
        log::warn("gateway", "messages arriving over limits.max_buffered_frame_bytes; closing with 1013",
                  {{"connection", id_}, {"remote", remote_}, {"message_bytes_so_far", buffer_.size()},
                   {"buffered_bytes", buffered}, {"limit", server_->options.max_buffered_frame_bytes},
                   {"closes_not_logged", suppressed}});
      }
      release_buffer();
      begin_close(1013, "server busy: too many large messages arriving; try again later");
      return;
    }
    do_read();
    return;
  }
  server_->counters.frames_in++;
  if (!ws_.got_text()) {
    log::warn("gateway", "binary frame ignored: cojson sends text frames", {{"connection", id_}});
  } else if (handler_) {
    const std::size_t size = buffer_.size();
    unprocessed_ += size;
    server_->counters.frame_bytes_buffered += size;
    handler_->on_frame(beast::buffers_to_string(buffer_.data()));
  }
  release_buffer();
  read_next();
}

void websocket_session::frame_processed(std::size_t bytes) {
  unprocessed_ -= bytes;
  server_->counters.frame_bytes_buffered -= bytes;
  if (unprocessed_.load() >= kMaxUnprocessedBytes) return;
  net::post(ws_.get_executor(), [self = shared_from_this()] {
    if (!self->waiting_for_processing_ || self->closed_) return;
    self->waiting_for_processing_ = false;
    self->last_heard_ = clock::now();  // the wait was ours, not the peer's silence
    self->read_next();
  });
}

void websocket_session::release_buffer() {
  server_->counters.frame_bytes_buffered.fetch_sub(buffer_counted_);
  buffer_counted_ = 0;
  buffer_.clear();
  if (buffer_.capacity() > kKeptBufferBytes) buffer_.shrink_to_fit();
}

void websocket_session::read_next() {
  if (!close_requested_ && unprocessed_.load() >= kMaxUnprocessedBytes) {
    waiting_for_processing_ = true;  // frame_processed reads on
    return;
  }
  if (reads_resume_at_ <= clock::now() || close_requested_) {
    do_read();
    return;
  }
  // The close timer is free until a close begins; begin_close takes it over (its wait
  // then ends aborted, and the close reads what it needs itself).
  close_timer_.expires_at(reads_resume_at_);
  close_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec || self->closed_ || self->close_requested_) return;
    self->last_heard_ = clock::now();  // the pause was ours, not the peer's silence
    self->do_read();
  });
}

void websocket_session::maybe_notify(std::size_t bytes) {
  if (!notify_wanted_.load(std::memory_order_acquire)) return;
  if (unsent_.load(std::memory_order_acquire) > notify_below_.load(std::memory_order_acquire)) return;
  if (notify_wanted_.exchange(false) && handler_) handler_->on_frame_sent(bytes);
}

void websocket_session::enqueue(std::string frame, bool is_ping) {
  if (closed_ || close_requested_) {
    if (!is_ping) unsent_.fetch_sub(frame.size(), std::memory_order_acq_rel);
    return;
  }
  queue_.push_back({std::move(frame), is_ping});
  if (queue_.size() == 1) do_write();
}

void websocket_session::do_write() {
  ws_.text(true);
  ws_.async_write(net::buffer(queue_.front().text),
                  beast::bind_front_handler(&websocket_session::on_write, shared_from_this()));
}

void websocket_session::on_write(beast::error_code ec, std::size_t bytes) {
  // The connection may have been torn down (idle timeout, close grace) while this
  // write was in flight, even if the write itself succeeded: its queue is gone.
  if (closed_) return;
  if (ec) {
    finish(ec.message());
    return;
  }
  server_->counters.bytes_out += bytes;
  server_->counters.frames_out++;
  const bool was_ping = queue_.front().is_ping;
  const std::size_t frame_bytes = queue_.front().text.size();
  queue_.pop_front();
  if (!was_ping) {
    unsent_.fetch_sub(frame_bytes, std::memory_order_acq_rel);
    maybe_notify(bytes);
  }
  if (!queue_.empty()) {
    do_write();
  } else if (close_requested_) {
    do_close();
  }
}

void websocket_session::begin_close(std::uint16_t code, std::string reason) {
  if (closed_ || close_requested_) return;
  close_requested_ = true;
  close_code_ = code;
  close_reason_ = std::move(reason);
  close_timer_.expires_after(kCloseGrace);
  close_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec || self->closed_) return;
    log::warn("gateway", "peer did not take its close in time; dropping the connection",
              {{"connection", self->id_}, {"remote", self->remote_}});
    beast::error_code ignored;
    beast::get_lowest_layer(self->ws_).close(ignored);
    self->finish("close timed out");
  });
  if (queue_.empty()) do_close();
}

void websocket_session::do_close() {
  websocket::close_reason cr(static_cast<websocket::close_code>(close_code_), close_reason_);
  ws_.async_close(cr, [self = shared_from_this()](beast::error_code) { self->finish("closed by server"); });
}

void websocket_session::finish(const std::string& reason) {
  if (closed_) return;
  closed_ = true;
  close_timer_.cancel();
  queue_.clear();
  release_buffer();
  {
    std::lock_guard<std::mutex> lock(server_->sessions_mutex);
    server_->sessions.erase(id_);
  }
  if (handler_) {
    handler_->on_closed(reason);
    handler_.reset();
  }
}

}  // namespace moai::gateway
