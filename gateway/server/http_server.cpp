#include "gateway/server/http_server.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <chrono>

#include <pthread.h>

#include "base/json_text.hpp"
#include "config/log.hpp"
#include "gateway/server/http_session.hpp"
#include "gateway/server/listener.hpp"
#include "gateway/server/websocket_session.hpp"

namespace moai::gateway {

namespace {

std::string error_body(std::string_view message) {
  std::string out = "{\"error\":";
  base::append_json_string(out, message);
  out.push_back('}');
  return out;
}

}  // namespace

http_response gateway_answer(unsigned status, std::string_view message) {
  http_response r = json_response(status, error_body(message));
  r.headers.emplace_back("Access-Control-Allow-Origin", "*");
  return r;
}

http_response plain_answer(unsigned status, std::string text) {
  http_response r;
  r.status = status;
  r.content_type = "text/plain;charset=utf-8";
  r.body = std::move(text);
  return r;
}

std::vector<std::shared_ptr<websocket_session>> http_server::impl::open_sessions() {
  std::vector<std::shared_ptr<websocket_session>> open;
  std::lock_guard<std::mutex> lock(sessions_mutex);
  open.reserve(sessions.size());
  for (auto& [id, weak] : sessions) {
    if (auto session = weak.lock()) open.push_back(std::move(session));
  }
  return open;
}

void http_server::impl::schedule_pings() {
  ping_ticker->expires_after(options.ping_interval);
  ping_ticker->async_wait([this](beast::error_code ec) {
    if (ec || !accepting) return;
    auto open = open_sessions();
    if (!open.empty() && options.ping_text) {
      auto text = std::make_shared<const std::string>(options.ping_text());
      for (auto& session : open) session->ping(text);
    }
    schedule_pings();
  });
}

void http_server::impl::do_accept() {
  acceptor->async_accept(net::make_strand(next_connection_context()),
                         beast::bind_front_handler(&http_server::impl::on_accept, this));
}

void http_server::impl::on_accept(beast::error_code ec, connection_socket socket) {
  if (!accepting) return;
  if (!ec) {
    accept_backoff = std::chrono::milliseconds(0);
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    std::make_shared<http_session>(std::move(socket), this)->run();
    return do_accept();
  }
  // Out of file descriptors (or another accept failure): the pending connection stays in
  // the kernel's queue, so accepting again at once fails again at once — a loop that
  // burned a core and wrote gigabytes of log. Wait, doubling up to a second, and say so
  // at most every ten seconds.
  ++accept_failures;
  counters.accept_failures++;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_accept_log >= std::chrono::seconds(10)) {
    log::warn("gateway", "accept failed; retrying with backoff",
              {{"error", ec.message()},
               {"failures", accept_failures},
               {"open_connections", counters.connections_open.load()}});
    last_accept_log = now;
    accept_failures = 0;
  }
  accept_backoff = std::clamp(accept_backoff * 2, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
  accept_retry->expires_after(accept_backoff);
  accept_retry->async_wait([this](beast::error_code wait_error) {
    if (!wait_error && accepting) do_accept();
  });
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
  s.do_accept();
  s.schedule_pings();
  for (auto& context : s.contexts) {
    s.work.push_back(net::make_work_guard(*context));
    s.threads.emplace_back([&context = *context] {
      pthread_setname_np(pthread_self(), "moai.io");
      context.run();
    });
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
    impl->accept_retry->cancel();
  });
  for (auto& session : s.open_sessions()) session->close(1001, "server shutting down");
}

void http_server::stop() {
  if (!impl_) return;
  stop_accepting();
  impl_->work.clear();
  for (auto& context : impl_->contexts) context->stop();
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
  impl_->threads.clear();
  // Sessions whose close never completed still owe their handler an on_closed.
  for (auto& session : impl_->open_sessions()) session->abandon();
}

const server_counters& http_server::counters() const {
  return impl_->counters;
}

}  // namespace moai::gateway
