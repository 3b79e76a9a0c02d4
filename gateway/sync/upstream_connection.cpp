#include "gateway/sync/upstream_connection.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <deque>
#include <optional>
#include <random>
#include <stdexcept>
#include <thread>

#include "config/log.hpp"
#include "gateway/client/tls.hpp"
#include "gateway/client/url.hpp"

namespace moai::gateway {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

parsed_url parse_ws_url(const std::string& url) {
  parsed_url p;
  std::string error;
  if (!parse_url(url, p, error)) throw std::invalid_argument("upstream URL \"" + url + "\": " + error);
  if (p.scheme != "ws" && p.scheme != "wss") {
    throw std::invalid_argument("upstream URL must start with ws:// or wss:// (got \"" + url + "\")");
  }
  return p;
}

}  // namespace

// Everything runs on one strand of one I/O thread, so no state needs a lock.
struct upstream_connection::impl : std::enable_shared_from_this<impl> {
  upstream_options options;
  upstream_handlers handlers;
  parsed_url url;
  // Declared before the io_context: a TLS stream dropped with its queue still uses it.
  net::ssl::context tls{net::ssl::context::tls_client};
  net::io_context ioc;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::thread thread;
  net::strand<net::io_context::executor_type> strand{net::make_strand(ioc)};
  tcp::resolver resolver{strand};
  // One of the two, by the URL's scheme (ws:// or wss://).
  std::optional<websocket::stream<beast::tcp_stream>> ws;
  std::optional<websocket::stream<beast::ssl_stream<beast::tcp_stream>>> wss;
  beast::flat_buffer buffer;
  net::steady_timer retry_timer{strand};
  net::steady_timer silence_timer{strand};
  std::deque<std::string> queue;
  // The frame being written: out of `queue`, so that fail() clearing the queue does not
  // free what the write (which masks it in chunks) still reads.
  std::string writing;
  bool write_in_flight = false;
  std::atomic<std::size_t> unsent{0};  // bytes in `queue` and posted towards it
  std::optional<std::size_t> notify_below;
  std::chrono::milliseconds backoff{0};
  bool open = false;
  bool stopping = false;
  std::uint64_t generation = 0;  // bumps per attempt; stale handlers see a different one
  std::mt19937 jitter{std::random_device{}()};

  impl(upstream_options o, upstream_handlers h) : options(std::move(o)), handlers(std::move(h)) {
    configure_client_tls(tls, options.ca_file, "upstream");
  }

  // Calls f with the WebSocket stream of the current attempt.
  template <class F>
  void with_stream(F&& f) {
    if (url.tls) {
      f(*wss);
    } else {
      f(*ws);
    }
  }

  void connect() {
    if (stopping) return;
    const auto attempt = ++generation;
    if (url.tls) {
      wss.emplace(strand, tls);
    } else {
      ws.emplace(strand);
    }
    buffer.clear();
    resolver.async_resolve(
        url.host, url.port, [self = shared_from_this(), attempt](beast::error_code ec, tcp::resolver::results_type r) {
          if (attempt != self->generation) return;
          if (ec) return self->fail("resolve: " + ec.message());
          self->with_stream([&](auto& stream) {
            beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
            beast::get_lowest_layer(stream).async_connect(r, [self, attempt](beast::error_code ec, tcp::endpoint) {
              if (attempt != self->generation) return;
              if (ec) return self->fail("connect: " + ec.message());
              if (!self->url.tls) return self->handshake(attempt);
              // Verification is on (the context's); here the name the certificate must match.
              expect_peer_name(self->wss->next_layer().native_handle(), self->url.host);
              self->wss->next_layer().async_handshake(net::ssl::stream_base::client,
                                                      [self, attempt](beast::error_code ec) {
                                                        if (attempt != self->generation) return;
                                                        if (ec) return self->fail("TLS handshake: " + ec.message());
                                                        self->handshake(attempt);
                                                      });
            });
          });
        });
  }

  void handshake(std::uint64_t attempt) {
    with_stream([&](auto& stream) {
      beast::get_lowest_layer(stream).expires_never();
      stream.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
      stream.read_message_max(0);
      stream.async_handshake(url.authority, url.target, [self = shared_from_this(), attempt](beast::error_code ec) {
        if (attempt != self->generation) return;
        if (ec) return self->fail("handshake: " + ec.message());
        self->on_open(attempt);
      });
    });
  }

  void on_open(std::uint64_t attempt) {
    open = true;
    backoff = std::chrono::milliseconds(0);
    log::info("upstream", "connected", {{"url", options.url}});
    if (handlers.on_connected) handlers.on_connected();
    arm_silence_timer(attempt);
    read(attempt);
    if (!queue.empty()) write(attempt);
  }

  void arm_silence_timer(std::uint64_t attempt) {
    silence_timer.expires_after(options.silence_timeout);
    silence_timer.async_wait([self = shared_from_this(), attempt](beast::error_code ec) {
      if (ec || attempt != self->generation || !self->open) return;
      self->fail("no frame from the server for " + std::to_string(self->options.silence_timeout.count()) + " ms");
    });
  }

  void read(std::uint64_t attempt) {
    with_stream([&](auto& stream) {
      stream.async_read(buffer, [self = shared_from_this(), attempt, &stream](beast::error_code ec, std::size_t) {
        if (attempt != self->generation) return;
        if (ec) return self->fail("read: " + ec.message());
        self->arm_silence_timer(attempt);  // any frame, pings included, proves the link alive
        if (stream.got_text() && self->handlers.on_frame) {
          self->handlers.on_frame(beast::buffers_to_string(self->buffer.data()));
        }
        self->buffer.consume(self->buffer.size());
        self->read(attempt);
      });
    });
  }

  void write(std::uint64_t attempt) {
    writing = std::move(queue.front());
    queue.pop_front();
    write_in_flight = true;
    with_stream([&](auto& stream) {
      stream.text(true);
      stream.async_write(net::buffer(writing), [self = shared_from_this(), attempt](beast::error_code ec, std::size_t) {
        if (attempt != self->generation) return;  // fail() has accounted for it
        if (ec) return self->fail("write: " + ec.message());
        self->write_in_flight = false;
        self->sent(self->writing.size());
        if (!self->queue.empty()) self->write(attempt);
      });
    });
  }

  // `bytes` left the queue (written or dropped): tell whoever waits for the catch-up.
  void sent(std::size_t bytes) {
    const auto left = unsent.fetch_sub(bytes) - bytes;
    if (notify_below && left <= *notify_below) {
      notify_below.reset();
      if (handlers.on_frame_sent) handlers.on_frame_sent(left);
    }
  }

  void fail(const std::string& reason) {
    const bool was_open = open;
    open = false;
    std::size_t dropped = write_in_flight ? writing.size() : 0;
    write_in_flight = false;  // `writing` itself stays until the aborted write returns
    for (const auto& f : queue) dropped += f.size();
    queue.clear();
    if (dropped) sent(dropped);
    ++generation;  // every pending handler of this attempt is now stale
    silence_timer.cancel();
    beast::error_code ignored;
    if (ws) beast::get_lowest_layer(*ws).socket().close(ignored);
    if (wss) beast::get_lowest_layer(*wss).socket().close(ignored);
    if (stopping) return;
    if (was_open && handlers.on_disconnected) handlers.on_disconnected(reason);
    backoff = backoff.count() == 0 ? options.first_backoff : std::min(options.max_backoff, backoff * 2);
    const auto delay = backoff + std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 250)(jitter));
    log::warn("upstream", "connection failed; retrying",
              {{"url", options.url}, {"reason", reason}, {"retry_ms", static_cast<long long>(delay.count())}});
    retry_timer.expires_after(delay);
    retry_timer.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->connect();
    });
  }
};

upstream_connection::upstream_connection(upstream_options options, upstream_handlers handlers)
    : impl_(std::make_shared<impl>(std::move(options), std::move(handlers))) {
  impl_->url = parse_ws_url(impl_->options.url);
}

upstream_connection::~upstream_connection() {
  stop();
}

void upstream_connection::start() {
  impl_->work.emplace(net::make_work_guard(impl_->ioc));
  net::post(impl_->strand, [impl = impl_] { impl->connect(); });
  impl_->thread = std::thread([impl = impl_] { impl->ioc.run(); });
}

void upstream_connection::stop() {
  if (!impl_->thread.joinable()) return;
  // Runs on the strand, after anything already queued; then the thread ends.
  net::post(impl_->strand, [impl = impl_] {
    impl->stopping = true;
    impl->retry_timer.cancel();
    impl->resolver.cancel();
    impl->fail("stopped");
    impl->ioc.stop();
  });
  impl_->work.reset();
  impl_->thread.join();
}

namespace {

class upstream_sync_connection final : public sync_connection {
 public:
  upstream_sync_connection(upstream_connection& link, std::string url) : link_(link), url_(std::move(url)) {}
  std::uint64_t id() const override { return 0; }  // accepted connections count from 1
  const std::string& remote_address() const override { return url_; }
  void send_frame(std::string frame) override { link_.send_frame(std::move(frame)); }
  std::size_t unsent_bytes() const override { return link_.unsent_bytes(); }
  void notify_when_unsent_below(std::size_t below) override { link_.notify_when_unsent_below(below); }
  // The link is this server's own: it is never given up, only started afresh.
  void close(std::uint16_t code, std::string reason) override { link_.reconnect(std::to_string(code) + " " + reason); }

 private:
  upstream_connection& link_;
  std::string url_;
};

}  // namespace

std::shared_ptr<sync_connection> upstream_connection::as_sync_connection() {
  return std::make_shared<upstream_sync_connection>(*this, impl_->options.url);
}

void upstream_connection::reconnect(std::string reason) {
  net::post(impl_->strand, [impl = impl_, reason = std::move(reason)] {
    if (!impl->open || impl->stopping) return;
    // Asked to drop the link (it was too slow for us): give it the longest pause.
    impl->backoff = impl->options.max_backoff / 2;
    impl->fail("closed here: " + reason);
  });
}

std::size_t upstream_connection::unsent_bytes() const {
  return impl_->unsent.load();
}

void upstream_connection::notify_when_unsent_below(std::size_t below) {
  net::post(impl_->strand, [impl = impl_, below] {
    impl->notify_below = below;
    impl->sent(0);  // already there: notify at once
  });
}

void upstream_connection::send_frame(std::string frame) {
  impl_->unsent += frame.size();
  net::post(impl_->strand, [impl = impl_, frame = std::move(frame)]() mutable {
    if (!impl->open) return impl->sent(frame.size());  // dropped: re-announced on connect
    impl->queue.push_back(std::move(frame));
    if (!impl->write_in_flight) impl->write(impl->generation);
  });
}

}  // namespace moai::gateway
