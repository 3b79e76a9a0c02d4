// HTTP requests and responses as plain values, so request handlers need not see Beast.
#pragma once

#include <functional>
#include <map>
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
  std::string remote_address;

  const std::string* header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? nullptr : &it->second;
  }
};

struct http_response {
  unsigned status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
};

// A JSON body with the given status.
http_response json_response(unsigned status, std::string body);

// Completes a request. Call exactly once, from any thread.
using responder = std::function<void(http_response)>;
using http_handler = std::function<void(http_request&& request, responder respond)>;

}  // namespace moai::gateway
