// HTTP requests and responses as plain values, so request handlers need not see Beast.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace moai::gateway {

struct http_request {
  std::string method;  // "GET", "POST", …
  std::string path;    // without the query string
  std::string query;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  std::string remote_address;  // "ip:port"

  const std::string* header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? nullptr : &it->second;
  }
};

// The body of a streamed response. The producer writes pieces from any thread; the
// session that sent the head drains them on its strand as HTTP/1.1 chunks, each
// flushed as soon as it is written.
class response_stream {
 public:
  // Queues one piece of the body (empty pieces are dropped: an empty chunk would end it).
  void write(std::string chunk);
  // Ends the body. Writes after finish() are ignored.
  void finish();
  // True once the caller went away or fell too far behind: the producer may stop.
  bool cancelled() const;

  // ---- session side ----
  // `wake` is called (from any thread) whenever there is something new to take.
  void attach(std::function<void()> wake);
  // Moves the queued pieces into `out`; `finished` tells whether finish() came.
  void take(std::deque<std::string>& out, bool& finished);
  void cancel();

  // A caller this far behind is cut off rather than buffered without bound.
  static constexpr std::size_t kMaxQueuedBytes = 8u << 20;

 private:
  void wake_locked(std::unique_lock<std::mutex>& lock);

  mutable std::mutex mutex_;
  std::deque<std::string> queued_;
  std::size_t queued_bytes_ = 0;
  bool finished_ = false;
  bool cancelled_ = false;
  std::function<void()> wake_;
};

struct http_response {
  unsigned status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, `body` is ignored: the head goes out with chunked transfer encoding
  // and the body is whatever the producer writes into this stream.
  std::shared_ptr<response_stream> stream;
};

// A JSON body with the given status.
http_response json_response(unsigned status, std::string body);

// Completes a request. Call exactly once, from any thread.
using responder = std::function<void(http_response)>;
using http_handler = std::function<void(http_request&& request, responder respond)>;

}  // namespace moai::gateway
