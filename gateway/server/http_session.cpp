#include "gateway/server/http_session.hpp"

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <cctype>

#include "config/log.hpp"
#include "gateway/server/websocket_session.hpp"

namespace moai::gateway {
namespace {

// What RFC 6455 §4.2.1 asks of an opening handshake that Beast's accept does not check
// itself; nullptr when it holds. The key must be base64 of 16 bytes (24 characters, the
// last two "==").
const char* upgrade_problem(const http::request<http::string_body>& req) {
  if (req.method() != http::verb::get) return "the handshake must be a GET";
  if (req.version() < 11) return "the handshake needs HTTP/1.1";
  if (req[http::field::sec_websocket_version] != "13") return "Sec-WebSocket-Version must be 13";
  const auto key = req[http::field::sec_websocket_key];
  auto base64 = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/'; };
  if (key.size() != 24 || key.substr(22) != "==" || !base64(key[21]) ||
      !std::all_of(key.begin(), key.begin() + 22, base64)) {
    return "Sec-WebSocket-Key must be 16 bytes in base64";
  }
  return nullptr;
}

}  // namespace

http_session::http_session(connection_socket&& socket, http_server::impl* server)
    : stream_(std::move(socket)), server_(std::move(server)) {
  beast::error_code ec;
  auto endpoint = stream_.socket().remote_endpoint(ec);
  if (!ec) {
    remote_ip_ = endpoint.address().to_string();
    remote_ = remote_ip_ + ":" + std::to_string(endpoint.port());
  }
}

void http_session::run() {
  net::dispatch(stream_.get_executor(), beast::bind_front_handler(&http_session::do_read, shared_from_this()));
}

void http_session::do_read() {
  parser_.emplace();
  parser_->body_limit(server_->options.max_body_bytes);
  stream_.expires_after(std::chrono::seconds(30));
  http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&http_session::on_read, shared_from_this()));
}

void http_session::on_read(beast::error_code ec, std::size_t) {
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

  const std::string_view raw_target = req.target();
  const std::string_view raw_path = raw_target.substr(0, raw_target.find('?'));
  if (websocket::is_upgrade(req) && raw_path != "/sync") {
    // Only /sync speaks WebSocket; an upgrade anywhere else is an unknown path.
    keep_alive_ = false;
    write(plain_answer(404, "Not Found"), req.version());
    return;
  }
  if (websocket::is_upgrade(req)) {
    if (auto wrong = upgrade_problem(req)) {
      keep_alive_ = false;
      write(gateway_answer(400, "bad WebSocket upgrade: " + std::string(wrong)), req.version());
      return;
    }
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
    upgrade_verdict verdict;
    if (server_->options.admit) {
      const auto q = raw_target.find('?');
      upgrade_request asked;
      if (q != std::string_view::npos) asked.query = std::string(raw_target.substr(q + 1));
      asked.remote_ip = remote_ip_;
      verdict = server_->options.admit(asked);
    }
    if (verdict.status != 0) {  // counted by the gate, by reason
      keep_alive_ = false;
      write(gateway_answer(verdict.status, verdict.message), req.version());
      return;
    }
    server_->counters.connections_open++;
    server_->counters.connections_total++;
    stream_.expires_never();
    auto id = server_->next_id++;
    std::make_shared<websocket_session>(stream_.release_socket(), server_, id, remote_, std::move(verdict.admission))
        ->run(parser_->release());
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

  if (request.path == "/sync") {
    write(plain_answer(426, "Expected WebSocket upgrade"), version);
    return;
  }
  auto self = shared_from_this();
  {
    std::lock_guard<std::mutex> lock(server_->answering_mutex);
    server_->answering.insert(self);
  }
  std::weak_ptr<http_session> weak = self;
  server_->on_http(std::move(request), [weak, version](http_response response) {
    auto self = weak.lock();
    if (!self) return;  // the server has stopped
    {
      std::lock_guard<std::mutex> lock(self->server_->answering_mutex);
      self->server_->answering.erase(self);
    }
    net::post(self->stream_.get_executor(), [self, version, response = std::move(response)]() mutable {
      self->write(std::move(response), version);
    });
  });
}

void http_session::write(http_response r, unsigned version) {
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

void http_session::write_stream(http_response r, unsigned version) {
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

void http_session::pump() {
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

void http_session::end_stream() {
  body_.reset();
  chunks_.clear();
  body_finished_ = false;
}

}  // namespace moai::gateway
