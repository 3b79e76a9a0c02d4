// One plain HTTP connection on its own strand (as in Beast's advanced server example):
// reads requests, hands them to the route handler and writes the answers (whole, or
// streamed as chunks); WebSocket upgrades become websocket_sessions.
#pragma once

#include <boost/beast/http.hpp>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "gateway/server/listener.hpp"

namespace moai::gateway {

class http_session : public std::enable_shared_from_this<http_session> {
 public:
  http_session(connection_socket&& socket, http_server::impl* server);

  void run();

 private:
  void do_read();

  void on_read(beast::error_code ec, std::size_t);

  void write(http_response r, unsigned version);

  // Sends the head at once, then the body as the producer writes it: HTTP/1.1
  // chunks, or for an HTTP/1.0 caller raw bytes ended by closing the connection.
  void write_stream(http_response r, unsigned version);

  // Writes the next queued piece of a streamed body; one write at a time.
  void pump();

  void end_stream();

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
  std::string remote_ip_;
  bool keep_alive_ = true;
};

}  // namespace moai::gateway
