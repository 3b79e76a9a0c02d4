#include "gateway/client/http_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <limits>
#include <map>
#include <optional>
#include <thread>

#include "config/log.hpp"
#include "gateway/client/tls.hpp"
#include "gateway/client/url.hpp"

namespace moai::gateway {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using steady = std::chrono::steady_clock;

namespace {

// One TCP or TLS connection to an upstream, idle in the pool or serving one request.
struct connection {
  std::string key;  // scheme://host:port
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  steady::time_point idle_since;

  beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }

  template <class F>
  void visit(F&& f) {
    if (secure) {
      f(*secure);
    } else {
      f(*plain);
    }
  }

  void close() {
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().socket().close(ignored);
  }

  // An idle connection must have nothing to read: bytes or end-of-stream mean the
  // server closed it (or spoke out of turn), so it cannot carry another request.
  bool stale() {
    auto& socket = lowest().socket();
    if (buffer.size() != 0 || !socket.is_open()) return true;
    beast::error_code ec;
    socket.non_blocking(true, ec);
    char byte;
    socket.receive(net::buffer(&byte, 1), tcp::socket::message_peek, ec);
    beast::error_code ignored;
    socket.non_blocking(false, ignored);
    return ec != net::error::would_block;
  }
};

}  // namespace

struct http_client::impl {
  http_client_options options;
  // Declared before the io_context: TLS streams dropped with its queue still use it.
  ssl::context tls{ssl::context::tls_client};
  net::io_context ioc{1};
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::thread thread;
  std::atomic<std::size_t> opened{0};
  // Idle keep-alive connections by scheme://host:port, newest last. I/O thread only.
  std::map<std::string, std::vector<std::unique_ptr<connection>>> idle;

  explicit impl(http_client_options o) : options(std::move(o)) {
    configure_client_tls(tls, options.ca_file, "http_client");
  }

  std::unique_ptr<connection> acquire(const std::string& key) {
    auto it = idle.find(key);
    if (it == idle.end()) return nullptr;
    auto& list = it->second;
    while (!list.empty()) {
      auto c = std::move(list.back());
      list.pop_back();
      if (steady::now() - c->idle_since <= options.max_idle_time && !c->stale()) return c;
      c->close();
    }
    return nullptr;
  }

  void release(std::unique_ptr<connection> c) {
    auto& list = idle[c->key];
    const auto now = steady::now();
    while (!list.empty() && now - list.front()->idle_since > options.max_idle_time) {
      list.front()->close();
      list.erase(list.begin());
    }
    if (list.size() >= options.max_idle_per_host) {
      c->close();
      return;
    }
    c->idle_since = now;
    list.push_back(std::move(c));
  }
};

namespace {

// One request from start to its on_done. Lives on the client's I/O thread; kept
// alive by whichever of its asynchronous operations is pending.
class exchange : public std::enable_shared_from_this<exchange> {
 public:
  exchange(http_client::impl& client, client_request request, client_handlers handlers)
      : client_(client),
        request_(std::move(request)),
        handlers_(std::move(handlers)),
        timer_(client.ioc),
        resolver_(client.ioc) {}

  void start() {
    std::string error;
    if (!parse_url(request_.url, url_, error) || (url_.scheme != "http" && url_.scheme != "https")) {
      if (error.empty()) error = "URL must start with http:// or https://";
      finish(client_result::outcome::failed, std::move(error));
      return;
    }
    key_ = (url_.tls ? "https://" : "http://") + url_.host + ":" + url_.port;
    message_.method_string(request_.method);
    message_.target(url_.target);
    message_.version(11);
    message_.set(http::field::host, url_.authority);
    message_.set(http::field::user_agent, "moai");
    for (const auto& [name, value] : request_.headers) message_.set(name, value);
    message_.body() = std::move(request_.body);
    message_.keep_alive(true);
    message_.prepare_payload();
    arm_timer();
    conn_ = client_.acquire(key_);
    if (conn_) {
      result_.reused_connection = true;
      write_request();
    } else {
      connect();
    }
  }

 private:
  // The deadline: closing the socket makes whatever operation is pending fail, and
  // its handler sees timed_out_. Each arming supersedes the last.
  void arm_timer() {
    const auto generation = ++timer_generation_;
    timer_.expires_after(request_.timeout);
    timer_.async_wait([self = shared_from_this(), generation](beast::error_code ec) {
      if (ec || self->done_ || generation != self->timer_generation_) return;
      self->timed_out_ = true;
      self->resolver_.cancel();
      if (self->conn_) self->conn_->close();
    });
  }

  void connect() {
    resolver_.async_resolve(url_.host, url_.port,
                            [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type results) {
                              if (ec) return self->fail(ec, "resolve");
                              self->open_connection(results);
                            });
  }

  void open_connection(const tcp::resolver::results_type& results) {
    conn_ = std::make_unique<connection>();
    conn_->key = key_;
    if (url_.tls) {
      conn_->secure = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(client_.ioc.get_executor(), client_.tls);
    } else {
      conn_->plain = std::make_unique<beast::tcp_stream>(client_.ioc.get_executor());
    }
    client_.opened++;
    conn_->lowest().async_connect(results, [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
      if (ec) return self->fail(ec, "connect");
      beast::error_code ignored;
      self->conn_->lowest().socket().set_option(tcp::no_delay(true), ignored);
      if (self->conn_->secure) {
        self->handshake();
      } else {
        self->write_request();
      }
    });
  }

  // Verification is on (context-wide); here the name it must match, and SNI.
  void handshake() {
    expect_peer_name(conn_->secure->native_handle(), url_.host);
    conn_->secure->async_handshake(ssl::stream_base::client, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->fail(ec, "TLS handshake");
      self->write_request();
    });
  }

  void write_request() {
    conn_->visit([this](auto& stream) {
      http::async_write(stream, message_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
        if (ec) return self->fail(ec, "write");
        self->read_head();
      });
    });
  }

  void read_head() {
    parser_.emplace();
    // Buffered bodies are limited by hand below; streamed ones not at all.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    conn_->visit([this](auto& stream) {
      http::async_read_header(stream, conn_->buffer, *parser_,
                              [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                if (ec) return self->fail(ec, "read");
                                self->on_head();
                              });
    });
  }

  void on_head() {
    head_seen_ = true;
    auto& res = parser_->get();
    result_.status = res.result_int();
    result_.content_type = std::string(res[http::field::content_type]);
    if (handlers_.on_head) {
      client_head head{result_.status, result_.content_type};
      try {
        streaming_ = handlers_.on_head(head) && handlers_.on_data;
      } catch (const std::exception& e) {
        log::error("http_client", "on_head handler threw", {{"error", e.what()}});
        abandon("response head handler failed");
        return;
      }
    }
    if (streaming_) arm_timer();  // from now on the deadline is a silence limit
    if (parser_->is_done()) return complete();
    read_body();
  }

  void read_body() {
    auto& body = parser_->get().body();
    body.data = piece_;
    body.size = sizeof piece_;
    conn_->visit([this](auto& stream) {
      http::async_read_some(stream, conn_->buffer, *parser_,
                            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_body(ec); });
    });
  }

  void on_body(beast::error_code ec) {
    if (ec == http::error::need_buffer) ec = {};
    if (ec) return fail(ec, "read");
    const std::size_t n = sizeof piece_ - parser_->get().body().size;
    if (n > 0) {
      if (streaming_) {
        arm_timer();
        bool go_on = false;
        try {
          go_on = handlers_.on_data(std::string_view(piece_, n));
        } catch (const std::exception& e) {
          log::error("http_client", "on_data handler threw", {{"error", e.what()}});
        }
        if (!go_on) return abandon("abandoned by the receiver");
      } else {
        if (result_.body.size() + n > client_.options.max_body_bytes) return abandon("response body too large");
        result_.body.append(piece_, n);
      }
    }
    if (parser_->is_done()) return complete();
    read_body();
  }

  void complete() {
    if (parser_->get().keep_alive() && !timed_out_) {
      client_.release(std::move(conn_));
    } else {
      conn_->close();
      conn_.reset();
    }
    finish(client_result::outcome::ok, {});
  }

  void fail(beast::error_code ec, const char* stage) {
    if (done_) return;
    if (timed_out_) {
      if (conn_) conn_->close();
      finish(client_result::outcome::timeout, "no answer within " + std::to_string(request_.timeout.count()) + " ms");
      return;
    }
    if (result_.reused_connection && !head_seen_ && !retried_) {
      // The server dropped the pooled connection meanwhile: once more on a new one.
      retried_ = true;
      result_.reused_connection = false;
      conn_->close();
      conn_.reset();
      connect();
      return;
    }
    if (conn_) conn_->close();
    finish(client_result::outcome::failed, std::string(stage) + ": " + ec.message());
  }

  void abandon(const char* why) {
    conn_->close();
    conn_.reset();
    finish(client_result::outcome::failed, why);
  }

  void finish(client_result::outcome outcome, std::string error) {
    if (done_) return;
    done_ = true;
    timer_.cancel();
    result_.result = outcome;
    result_.error = std::move(error);
    auto on_done = std::move(handlers_.on_done);
    handlers_ = {};  // let go of what the callbacks hold
    if (!on_done) return;
    try {
      on_done(std::move(result_));
    } catch (const std::exception& e) {
      log::error("http_client", "on_done handler threw", {{"error", e.what()}});
    }
  }

  http_client::impl& client_;
  client_request request_;
  client_handlers handlers_;
  net::steady_timer timer_;
  tcp::resolver resolver_;
  parsed_url url_;
  std::string key_;
  http::request<http::string_body> message_;
  std::unique_ptr<connection> conn_;
  std::optional<http::response_parser<http::buffer_body>> parser_;
  client_result result_;
  char piece_[16 * 1024];
  std::uint64_t timer_generation_ = 0;
  bool head_seen_ = false;
  bool streaming_ = false;
  bool timed_out_ = false;
  bool retried_ = false;
  bool done_ = false;
};

}  // namespace

http_client::http_client(http_client_options options) : impl_(std::make_shared<impl>(std::move(options))) {
  impl_->work.emplace(net::make_work_guard(impl_->ioc));
  // The thread shares ownership so the client may even be dropped from a callback.
  impl_->thread = std::thread([s = impl_] {
    for (;;) {
      try {
        s->ioc.run();
        return;
      } catch (const std::exception& e) {
        log::error("http_client", "I/O handler threw", {{"error", e.what()}});
      }
    }
  });
}

http_client::~http_client() {
  impl_->work.reset();
  impl_->ioc.stop();
  if (impl_->thread.joinable()) {
    if (impl_->thread.get_id() == std::this_thread::get_id()) {
      impl_->thread.detach();
    } else {
      impl_->thread.join();
    }
  }
  impl_->idle.clear();
}

void http_client::send(client_request request, client_handlers handlers) {
  net::post(impl_->ioc, [s = impl_.get(), request = std::move(request), handlers = std::move(handlers)]() mutable {
    std::make_shared<exchange>(*s, std::move(request), std::move(handlers))->start();
  });
}

std::size_t http_client::connections_opened() const {
  return impl_->opened;
}

}  // namespace moai::gateway
