// The URLs moai connects to: the LLM upstream (http/https) and an upstream moai (ws).
#pragma once

#include <string>
#include <string_view>

namespace moai::gateway {

struct parsed_url {
  std::string scheme;     // lower case: http, https, ws or wss
  bool tls = false;       // https or wss
  std::string host;       // without IPv6 brackets
  std::string port;       // the scheme's default when absent
  std::string authority;  // as written, for the Host header
  std::string target;     // path and query, at least "/"
};

// Parses an absolute http(s):// or ws(s):// URL; false with `error` set otherwise
// (other schemes, credentials, no host, a bad port).
bool parse_url(std::string_view url, parsed_url& out, std::string& error);

}  // namespace moai::gateway
