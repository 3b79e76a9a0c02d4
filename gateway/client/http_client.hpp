// An asynchronous HTTP/1.1 client for calls to upstream services (http:// and
// https://), with keep-alive connections pooled per scheme, host and port. TLS
// verifies the peer's certificate and name against the system store plus an
// optional extra CA file, and sends SNI.
//
// It runs one I/O thread of its own: upstream traffic is small next to the sync
// path, and with one thread the pool and every request's state need no locks.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace moai::gateway {

struct http_client_options {
  std::string ca_file;                // extra trusted CA certificates (PEM); empty: system store only
  std::size_t max_idle_per_host = 16;  // idle keep-alive connections kept per scheme:host:port
  std::chrono::seconds max_idle_time{30};
  std::size_t max_body_bytes = 32u << 20;  // a buffered response larger than this fails
};

struct client_request {
  std::string method = "POST";
  std::string url;  // http://host[:port]/path or https://…
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Until the response head and a buffered body have arrived. For a body delivered
  // through on_data it is the longest allowed silence between two pieces.
  std::chrono::milliseconds timeout{60000};
};

struct client_head {
  unsigned status = 0;
  std::string content_type;
};

struct client_result {
  enum class outcome { ok, timeout, failed };
  outcome result = outcome::ok;
  std::string error;  // what went wrong, when not ok (never contains request headers)
  unsigned status = 0;  // 0 when no response head arrived
  std::string content_type;
  std::string body;  // empty when the body went to on_data
  bool reused_connection = false;
};

// Callbacks run on the client's I/O thread and must not block.
struct client_handlers {
  // Optional. Called when the response head arrives; returning true sends the
  // body to on_data piece by piece instead of into the result.
  std::function<bool(const client_head&)> on_head;
  // Called with each piece of a streamed body as it arrives; returning false
  // abandons the request (the result is then `failed`).
  std::function<bool(std::string_view piece)> on_data;
  // Called exactly once, unless the client is destroyed first.
  std::function<void(client_result)> on_done;
};

class http_client {
 public:
  explicit http_client(http_client_options options);
  ~http_client();  // stops the I/O thread; requests in flight are dropped unanswered
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  // Starts one request; thread-safe.
  void send(client_request request, client_handlers handlers);

  // Connections opened so far (a measure of how well the pool works).
  std::size_t connections_opened() const;

  struct impl;

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace moai::gateway
