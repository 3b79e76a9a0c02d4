#include "gateway/server/http_server.hpp"

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "base/fifo.hpp"
#include "base/json_text.hpp"
#include "config/log.hpp"
#include "protocol/sync/codec.hpp"

namespace moai::gateway {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// Each connection runs on its own strand. Naming the strand type (instead of Asio's
// type-erased any_io_executor) spares every timer, operation and executor copy a
// heap-allocated copy of the strand: ~300 bytes per idle connection, and an
// allocation plus an atomic count on each I/O operation.
using connection_executor = net::strand<net::io_context::executor_type>;
using connection_socket = tcp::socket::rebind_executor<connection_executor>::other;
using connection_stream = beast::basic_stream<tcp, connection_executor>;

http_response json_response(unsigned status, std::string body) {
  http_response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

void response_stream::write(std::string chunk) {
  if (chunk.empty()) return;
  std::unique_lock<std::mutex> lock(mutex_);
  if (finished_ || cancelled_) return;
  queued_bytes_ += chunk.size();
  if (queued_bytes_ > kMaxQueuedBytes) {
    cancelled_ = true;
    queued_.clear();
    queued_bytes_ = 0;
  } else {
    queued_.push_back(std::move(chunk));
  }
  wake_locked(lock);
}

void response_stream::finish() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (finished_ || cancelled_) return;
  finished_ = true;
  wake_locked(lock);
}

bool response_stream::cancelled() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return cancelled_;
}

void response_stream::attach(std::function<void()> wake) {
  std::unique_lock<std::mutex> lock(mutex_);
  wake_ = std::move(wake);
  if (!queued_.empty() || finished_ || cancelled_) wake_locked(lock);
}

void response_stream::take(std::deque<std::string>& out, bool& finished) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& chunk : queued_) out.push_back(std::move(chunk));
  queued_.clear();
  queued_bytes_ = 0;
  finished = finished_;
  // The wake function holds the session: let go once nothing more can come.
  if (finished_ || cancelled_) wake_ = nullptr;
}

void response_stream::cancel() {
  std::lock_guard<std::mutex> lock(mutex_);
  cancelled_ = true;
  queued_.clear();
  queued_bytes_ = 0;
  wake_ = nullptr;
}

// Calls the wake function outside the lock: it may post, and posting may run inline.
void response_stream::wake_locked(std::unique_lock<std::mutex>& lock) {
  auto wake = wake_;
  lock.unlock();
  if (wake) wake();
}

namespace {

std::string error_body(std::string_view message) {
  std::string out = "{\"error\":";
  base::append_json_string(out, message);
  out.push_back('}');
  return out;
}

// An answer the gateway gives itself (oversized body, refused upgrade, …). Every route
// of moai allows any origin, so these do too: a browser then sees the real status.
http_response gateway_answer(unsigned status, std::string_view message) {
  http_response r = json_response(status, error_body(message));
  r.headers.emplace_back("Access-Control-Allow-Origin", "*");
  return r;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

class websocket_session;

// Sessions point at the server with a plain pointer: the server outlives them, because
// destroying its io_context (first thing in ~impl) destroys every session still held by
// a pending handler. Shared ownership would make a cycle that leaks at shutdown.
struct http_server::impl {
  server_options options;
  sync_acceptor on_sync;
  http_handler on_http;
  std::unique_ptr<net::io_context> ioc_owner = std::make_unique<net::io_context>();
  net::io_context& ioc = *ioc_owner;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::optional<tcp::acceptor> acceptor{std::in_place, ioc};
  std::vector<std::thread> threads;
  server_counters counters;
  std::atomic<bool> accepting{false};
  std::atomic<std::uint64_t> next_id{1};

  std::mutex sessions_mutex;
  std::unordered_map<std::uint64_t, std::weak_ptr<websocket_session>> sessions;

  impl(server_options o, sync_acceptor s, http_handler h)
      : options(std::move(o)), on_sync(std::move(s)), on_http(std::move(h)) {}
  // I/O objects before their context; the context (and the sessions its handlers hold)
  // before the members sessions touch as they go.
  ~impl() {
    ping_ticker.reset();
    acceptor.reset();
    work.reset();
    ioc_owner.reset();
  }

  // One timer pings every open connection (cojson clients drop a silent server).
  std::optional<net::steady_timer> ping_ticker{std::in_place, ioc};
  void schedule_pings();

  void do_accept();
  void on_accept(beast::error_code ec, connection_socket socket);
};

// One WebSocket /sync connection.
class websocket_session : public std::enable_shared_from_this<websocket_session>, public sync_connection {
  // Reads start small and grow with the message: an idle connection then holds
  // almost no buffer, a large message still arrives in few reads.
  static constexpr std::size_t kMinReadChunk = 128;
  static constexpr std::size_t kMaxReadChunk = 1 << 20;
  static constexpr std::size_t kKeptBufferBytes = 64 * 1024;
  static constexpr std::chrono::seconds kCloseGrace{5};

 public:
  websocket_session(connection_socket&& socket, http_server::impl* server, std::uint64_t id, std::string remote)
      : ws_(std::move(socket)),
        close_timer_(ws_.get_executor()),
        server_(server),
        id_(id),
        remote_(std::move(remote)) {}

  ~websocket_session() override { server_->counters.connections_open--; }

  std::uint64_t id() const override { return id_; }
  const std::string& remote_address() const override { return remote_; }

  void run(http::request<http::string_body> request) {
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

  void send_frame(std::string frame) override {
    unsent_ += frame.size();
    net::post(ws_.get_executor(), [self = shared_from_this(), frame = std::move(frame)]() mutable {
      self->enqueue(std::move(frame), false);
    });
  }

  std::size_t unsent_bytes() const override { return unsent_.load(std::memory_order_acquire); }

  void notify_when_unsent_below(std::size_t below) override {
    notify_below_.store(below, std::memory_order_release);
    notify_wanted_.store(true, std::memory_order_release);
    // The write that would have noticed may already be done: check once here.
    net::post(ws_.get_executor(), [self = shared_from_this()] { self->maybe_notify(0); });
  }

  // Called after the I/O threads stopped: no handler will run again.
  void abandon() { finish("server stopped"); }

  // Called on the server's ping tick (one timer for all connections) with the ping
  // text, encoded once per tick.
  void ping(std::shared_ptr<const std::string> text) {
    net::post(ws_.get_executor(), [self = shared_from_this(), text = std::move(text)] {
      if (self->closed_ || !self->handler_) return;
      self->check_silence();
      if (self->closed_ || self->close_requested_) return;
      self->enqueue(*text, true);
    });
  }

  void close(std::uint16_t code, std::string reason) override {
    net::post(ws_.get_executor(), [self = shared_from_this(), code, reason = std::move(reason)]() mutable {
      self->begin_close(code, std::move(reason));
    });
  }

 private:
  using clock = std::chrono::steady_clock;

  // cojson pings go one way, so liveness is judged by what the peer sends: after half
  // the idle timeout of silence it gets a WebSocket ping (clients answer with a pong);
  // after all of it, and only if that ping went out on an earlier tick (so the peer had
  // a whole tick to answer), the connection is dropped as dead.
  void check_silence() {
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

  void on_accept(beast::error_code ec) {
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

  // Reads a message piece by piece so an oversized one is refused with a clean close
  // (1009) instead of Beast's read_message_max, whose teardown in Boost 1.74 resets
  // the connection while the peer is still sending.
  void do_read() {
    ws_.async_read_some(buffer_, std::clamp(buffer_.size(), kMinReadChunk, kMaxReadChunk),
                        beast::bind_front_handler(&websocket_session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t bytes) {
    if (closed_) return;
    if (ec) {
      finish(ec == websocket::error::closed ? std::string("closed by peer") : ec.message());
      return;
    }
    last_heard_ = clock::now();
    server_->counters.bytes_in += bytes;
    if (buffer_.size() > server_->options.max_frame_bytes) {
      log::warn("gateway", "message over the size limit, closing with 1009",
                {{"connection", id_}, {"remote", remote_}, {"limit", server_->options.max_frame_bytes}});
      buffer_.clear();
      begin_close(1009, "message too big");
      return;
    }
    if (!ws_.is_message_done()) {
      do_read();
      return;
    }
    server_->counters.frames_in++;
    if (!ws_.got_text()) {
      log::warn("gateway", "binary frame ignored: cojson sends text frames", {{"connection", id_}});
    } else if (handler_) {
      handler_->on_frame(beast::buffers_to_string(buffer_.data()));
    }
    buffer_.clear();
    if (buffer_.capacity() > kKeptBufferBytes) buffer_.shrink_to_fit();
    do_read();
  }

  // Tells the handler once the backlog fell below what it asked for.
  void maybe_notify(std::size_t bytes) {
    if (!notify_wanted_.load(std::memory_order_acquire)) return;
    if (unsent_.load(std::memory_order_acquire) > notify_below_.load(std::memory_order_acquire)) return;
    if (notify_wanted_.exchange(false) && handler_) handler_->on_frame_sent(bytes);
  }

  void enqueue(std::string frame, bool is_ping) {
    if (closed_ || close_requested_) {
      if (!is_ping) unsent_.fetch_sub(frame.size(), std::memory_order_acq_rel);
      return;
    }
    queue_.push_back({std::move(frame), is_ping});
    if (queue_.size() == 1) do_write();
  }

  void do_write() {
    ws_.text(true);
    ws_.async_write(net::buffer(queue_.front().text),
                    beast::bind_front_handler(&websocket_session::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t bytes) {
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

  // The close frame follows what is queued. A peer that stops reading would hold the
  // connection open forever, so after a grace period the socket is simply dropped.
  void begin_close(std::uint16_t code, std::string reason) {
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

  void do_close() {
    websocket::close_reason cr(static_cast<websocket::close_code>(close_code_), close_reason_);
    ws_.async_close(cr, [self = shared_from_this()](beast::error_code) { self->finish("closed by server"); });
  }

  // The connection is over, whichever side ended it.
  void finish(const std::string& reason) {
    if (closed_) return;
    closed_ = true;
    close_timer_.cancel();
    queue_.clear();
    {
      std::lock_guard<std::mutex> lock(server_->sessions_mutex);
      server_->sessions.erase(id_);
    }
    if (handler_) {
      handler_->on_closed(reason);
      handler_.reset();
    }
  }

  // A plain socket underneath: beast::tcp_stream's timeouts would cost two timers per
  // idle connection; silence is judged on the shared ping tick instead.
  websocket::stream<connection_socket> ws_;
  beast::flat_buffer buffer_;
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
  std::uint16_t close_code_ = 1000;
  std::string close_reason_;
};

// One plain HTTP connection; hands WebSocket upgrades to websocket_session.
class http_session : public std::enable_shared_from_this<http_session> {
 public:
  http_session(connection_socket&& socket, http_server::impl* server)
      : stream_(std::move(socket)), server_(std::move(server)) {
    beast::error_code ec;
    auto endpoint = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  }

  void run() {
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&http_session::do_read, shared_from_this()));
  }

 private:
  void do_read() {
    parser_.emplace();
    parser_->body_limit(server_->options.max_body_bytes);
    stream_.expires_after(std::chrono::seconds(30));
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&http_session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream) {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
      return;
    }
    if (ec == http::error::body_limit) {
      keep_alive_ = false;
      write(gateway_answer(413, "request body too large"), 11);
      return;
    }
    if (ec) return;
    auto& req = parser_->get();
    server_->counters.http_requests++;

    if (websocket::is_upgrade(req)) {
      if (!server_->accepting) {
        keep_alive_ = false;
        write(gateway_answer(503, "server is shutting down"), req.version());
        return;
      }
      if (server_->counters.connections_open >= server_->options.max_connections) {
        server_->counters.connections_rejected++;
        log::warn("gateway", "connection limit reached, upgrade refused",
                  {{"remote", remote_}, {"limit", server_->options.max_connections}});
        keep_alive_ = false;
        write(gateway_answer(503, "too many connections"), req.version());
        return;
      }
      server_->counters.connections_open++;
      server_->counters.connections_total++;
      stream_.expires_never();
      auto id = server_->next_id++;
      std::make_shared<websocket_session>(stream_.release_socket(), server_, id, remote_)->run(parser_->release());
      return;
    }

    http_request request;
    request.method = std::string(req.method_string());
    std::string_view target = req.target();
    auto q = target.find('?');
    request.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) request.query = std::string(target.substr(q + 1));
    for (const auto& field : req) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      request.headers[name] = std::string(field.value());
    }
    request.body = std::move(req.body());
    request.remote_address = remote_;
    keep_alive_ = req.keep_alive();
    const unsigned version = req.version();

    if (request.path == "/sync" && request.method == "GET") {
      write(gateway_answer(426, "/sync is a WebSocket endpoint: upgrade required"), version);
      return;
    }
    auto self = shared_from_this();
    server_->on_http(std::move(request), [self, version](http_response response) {
      net::post(self->stream_.get_executor(), [self, version, response = std::move(response)]() mutable {
        self->write(std::move(response), version);
      });
    });
  }

  void write(http_response r, unsigned version) {
    if (r.stream) {
      write_stream(std::move(r), version);
      return;
    }
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status), version);
    res->set(http::field::server, "moai");
    res->set(http::field::content_type, r.content_type);
    for (const auto& [name, value] : r.headers) res->set(name, value);
    res->body() = std::move(r.body);
    res->keep_alive(keep_alive_);
    res->prepare_payload();
    stream_.expires_after(std::chrono::seconds(30));
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
      if (ec) return;
      if (!res->keep_alive()) {
        beast::error_code ignored;
        self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        return;
      }
      self->do_read();
    });
  }

  // Sends the head at once, then the body as the producer writes it: HTTP/1.1
  // chunks, or for an HTTP/1.0 caller raw bytes ended by closing the connection.
  void write_stream(http_response r, unsigned version) {
    auto head = std::make_shared<http::response<http::empty_body>>(static_cast<http::status>(r.status), version);
    head->set(http::field::server, "moai");
    head->set(http::field::content_type, r.content_type);
    head->set(http::field::cache_control, "no-cache");
    for (const auto& [name, value] : r.headers) head->set(name, value);
    chunked_ = version >= 11;
    if (!chunked_) keep_alive_ = false;
    head->keep_alive(keep_alive_);
    head->chunked(chunked_);
    auto serializer = std::make_shared<http::response_serializer<http::empty_body>>(*head);
    stream_.expires_after(std::chrono::seconds(30));
    http::async_write_header(
        stream_, *serializer,
        [self = shared_from_this(), head, serializer, body = std::move(r.stream)](beast::error_code ec, std::size_t) {
          if (ec) {
            body->cancel();
            return;
          }
          self->body_ = body;
          self->body_finished_ = false;
          // The wake function keeps this session alive while it waits for the producer.
          body->attach([self] { net::post(self->stream_.get_executor(), [self] { self->pump(); }); });
          self->pump();
        });
  }

  // Writes the next queued piece of a streamed body; one write at a time.
  void pump() {
    if (!body_ || writing_) return;
    if (chunks_.empty() && !body_finished_) body_->take(chunks_, body_finished_);
    if (body_->cancelled()) {
      // The body can no longer be completed: the caller must see a broken response.
      end_stream();
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream_.close();
      return;
    }
    auto self = shared_from_this();
    if (!chunks_.empty()) {
      writing_ = true;
      stream_.expires_after(std::chrono::seconds(30));
      auto on_written = [self](beast::error_code ec, std::size_t bytes) {
        self->writing_ = false;
        if (ec) {
          self->body_->cancel();
          self->end_stream();
          return;
        }
        self->server_->counters.bytes_out += bytes;
        self->chunks_.pop_front();
        self->pump();
      };
      if (chunked_) {
        net::async_write(stream_, http::make_chunk(net::buffer(chunks_.front())), on_written);
      } else {
        net::async_write(stream_, net::buffer(chunks_.front()), on_written);
      }
      return;
    }
    if (!body_finished_) return;  // wait for the producer's next wake
    end_stream();
    if (!chunked_) {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      return;
    }
    writing_ = true;
    stream_.expires_after(std::chrono::seconds(30));
    net::async_write(stream_, http::make_chunk_last(), [self](beast::error_code ec, std::size_t) {
      self->writing_ = false;
      if (ec) return;
      if (!self->keep_alive_) {
        beast::error_code ignored;
        self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        return;
      }
      self->do_read();
    });
  }

  void end_stream() {
    body_.reset();
    chunks_.clear();
    body_finished_ = false;
  }

  connection_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  // The streamed response in progress, if any.
  std::shared_ptr<response_stream> body_;
  std::deque<std::string> chunks_;
  bool body_finished_ = false;
  bool writing_ = false;
  bool chunked_ = true;
  http_server::impl* server_;
  std::string remote_;
  bool keep_alive_ = true;
};

void http_server::impl::schedule_pings() {
  ping_ticker->expires_after(options.ping_interval);
  ping_ticker->async_wait([this](beast::error_code ec) {
    if (ec || !accepting) return;
    std::vector<std::shared_ptr<websocket_session>> open;
    {
      std::lock_guard<std::mutex> lock(sessions_mutex);
      open.reserve(sessions.size());
      for (auto& [id, weak] : sessions) {
        if (auto session = weak.lock()) open.push_back(std::move(session));
      }
    }
    auto text = std::make_shared<const std::string>(protocol::encode_ping(now_ms(), options.datacenter));
    for (auto& session : open) session->ping(text);
    schedule_pings();
  });
}

void http_server::impl::do_accept() {
  acceptor->async_accept(net::make_strand(ioc), beast::bind_front_handler(&http_server::impl::on_accept, this));
}

void http_server::impl::on_accept(beast::error_code ec, connection_socket socket) {
  if (!accepting) return;
  if (ec) {
    log::warn("gateway", "accept failed", {{"error", ec.message()}});
  } else {
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    std::make_shared<http_session>(std::move(socket), this)->run();
  }
  do_accept();
}

http_server::http_server(server_options options, sync_acceptor on_sync, http_handler on_http)
    : impl_(std::make_shared<impl>(std::move(options), std::move(on_sync), std::move(on_http))) {}

http_server::~http_server() {
  stop();
}

std::uint16_t http_server::start() {
  auto& s = *impl_;
  auto address = net::ip::make_address(s.options.host);
  tcp::endpoint endpoint(address, s.options.port);
  s.acceptor->open(endpoint.protocol());
  s.acceptor->set_option(net::socket_base::reuse_address(true));
  s.acceptor->bind(endpoint);
  s.acceptor->listen(net::socket_base::max_listen_connections);
  s.accepting = true;
  s.work.emplace(net::make_work_guard(s.ioc));
  s.do_accept();
  s.schedule_pings();
  for (unsigned i = 0; i < std::max(1u, s.options.io_threads); ++i) {
    s.threads.emplace_back([&s] { s.ioc.run(); });
  }
  return s.acceptor->local_endpoint().port();
}

void http_server::stop_accepting() {
  auto& s = *impl_;
  if (!s.accepting.exchange(false)) return;
  net::post(s.ioc, [impl = impl_.get()] {
    beast::error_code ec;
    impl->acceptor->close(ec);
    impl->ping_ticker->cancel();
  });
  std::vector<std::shared_ptr<websocket_session>> open;
  {
    std::lock_guard<std::mutex> lock(s.sessions_mutex);
    for (auto& [id, weak] : s.sessions) {
      if (auto session = weak.lock()) open.push_back(session);
    }
  }
  for (auto& session : open) session->close(1001, "server shutting down");
}

void http_server::stop() {
  if (!impl_) return;
  stop_accepting();
  impl_->work.reset();
  impl_->ioc.stop();
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
  impl_->threads.clear();
  // Sessions whose close never completed still owe their handler an on_closed.
  std::vector<std::shared_ptr<websocket_session>> left;
  {
    std::lock_guard<std::mutex> lock(impl_->sessions_mutex);
    for (auto& [id, weak] : impl_->sessions) {
      if (auto session = weak.lock()) left.push_back(session);
    }
  }
  for (auto& session : left) session->abandon();
}

const server_counters& http_server::counters() const {
  return impl_->counters;
}

}  // namespace moai::gateway
