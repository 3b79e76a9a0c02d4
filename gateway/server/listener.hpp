// What the listener (http_server.cpp) shares with the sessions it makes
// (http_session.cpp, websocket_session.cpp). Private to gateway/server/.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <algorithm>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "gateway/server/http_server.hpp"

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

class websocket_session;
class http_session;

// An answer the gateway gives itself (oversized body, refused upgrade, …). Every route
// of moai allows any origin, so these do too: a browser then sees the real status.
http_response gateway_answer(unsigned status, std::string_view message);
// A plain-text answer, as the JavaScript moai gives for unknown paths and a /sync
// without an upgrade.
http_response plain_answer(unsigned status, std::string text);

// Sessions point at the server with a plain pointer: the server outlives them, because
// destroying its io_context (first thing in ~impl) destroys every session still held by
// a pending handler. Shared ownership would make a cycle that leaks at shutdown.
struct http_server::impl {
  server_options options;
  sync_acceptor on_sync;
  http_handler on_http;
  // One io_context per I/O thread, each connection on one of them in turn: a handler
  // posted for a connection wakes only that connection's thread. When all threads share
  // one context, Asio wakes an idle one for every handler posted (W1: about 0.3 context
  // switches per transaction between the I/O threads alone).
  std::vector<std::unique_ptr<net::io_context>> contexts = make_contexts(options.io_threads);
  net::io_context& ioc = *contexts.front();  // the acceptor's and the ping ticker's
  std::atomic<std::size_t> next_context{0};
  std::vector<net::executor_work_guard<net::io_context::executor_type>> work;
  std::optional<tcp::acceptor> acceptor{std::in_place, ioc};
  std::vector<std::thread> threads;
  server_counters counters;
  std::atomic<bool> accepting{false};
  std::atomic<std::uint64_t> next_id{1};

  std::mutex sessions_mutex;
  std::unordered_map<std::uint64_t, std::weak_ptr<websocket_session>> sessions;

  // HTTP sessions whose request a handler is answering. The server holds them; the
  // handler's responder holds them only weakly, so a responder that outlives the server
  // (a pending timer of an actor, destroyed at the very end) touches nothing of it.
  std::mutex answering_mutex;
  std::unordered_set<std::shared_ptr<http_session>> answering;

  impl(server_options o, sync_acceptor s, http_handler h)
      : options(std::move(o)), on_sync(std::move(s)), on_http(std::move(h)) {}
  // I/O objects before their context; the context (and the sessions its handlers hold)
  // before the members sessions touch as they go.
  ~impl() {
    ping_ticker.reset();
    accept_retry.reset();
    acceptor.reset();
    work.clear();
    {
      std::lock_guard<std::mutex> lock(answering_mutex);
      answering.clear();  // while their contexts still live
    }
    contexts.clear();
  }

  static std::vector<std::unique_ptr<net::io_context>> make_contexts(unsigned threads) {
    std::vector<std::unique_ptr<net::io_context>> made;
    for (unsigned i = 0; i < std::max(1u, threads); ++i) made.push_back(std::make_unique<net::io_context>(1));
    return made;
  }
  net::io_context& next_connection_context() { return *contexts[next_context++ % contexts.size()]; }

  // One timer pings every open connection (cojson clients drop a silent server).
  std::optional<net::steady_timer> ping_ticker{std::in_place, ioc};
  void schedule_pings();

  void do_accept();
  void on_accept(beast::error_code ec, connection_socket socket);
  // Accept failures (EMFILE…): retried after a growing pause, logged at most every 10 s.
  std::optional<net::steady_timer> accept_retry{std::in_place, ioc};
  std::chrono::milliseconds accept_backoff{0};
  std::uint64_t accept_failures = 0;  // since the last log line
  std::chrono::steady_clock::time_point last_accept_log{};
  // The open WebSocket sessions, strongly held for a moment (to ping or close them).
  std::vector<std::shared_ptr<websocket_session>> open_sessions();
};

}  // namespace moai::gateway
