#include "gateway/client/url.hpp"

#include <cctype>

namespace moai::gateway {

namespace {

bool all_digits(std::string_view s) {
  if (s.empty() || s.size() > 5) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

bool parse_url(std::string_view url, parsed_url& out, std::string& error) {
  auto scheme_end = url.find("://");
  std::string scheme(url.substr(0, scheme_end == std::string_view::npos ? 0 : scheme_end));
  for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "http" && scheme != "https" && scheme != "ws" && scheme != "wss") {
    error = "URL must start with http://, https://, ws:// or wss://";
    return false;
  }
  out.scheme = scheme;
  out.tls = scheme == "https" || scheme == "wss";
  auto rest = url.substr(scheme_end + 3);
  auto path_start = rest.find_first_of("/?#");
  auto authority = rest.substr(0, path_start);
  out.target = path_start == std::string_view::npos ? "/" : std::string(rest.substr(path_start));
  if (auto hash = out.target.find('#'); hash != std::string::npos) out.target.resize(hash);
  if (out.target.empty() || out.target[0] != '/') out.target.insert(0, "/");
  if (authority.find('@') != std::string_view::npos) {
    error = "credentials in the URL are not supported";
    return false;
  }
  std::string_view host = authority, port;
  if (!authority.empty() && authority[0] == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) {
      error = "unterminated IPv6 address in URL";
      return false;
    }
    host = authority.substr(1, close - 1);
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') {
        error = "malformed URL authority";
        return false;
      }
      port = after.substr(1);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) {
    error = "URL has no host";
    return false;
  }
  if (port.empty()) port = out.tls ? "443" : "80";
  if (!all_digits(port) || std::stoul(std::string(port)) == 0 || std::stoul(std::string(port)) > 65535) {
    error = "URL has an invalid port";
    return false;
  }
  out.host = std::string(host);
  out.port = std::string(port);
  out.authority = std::string(authority);
  return true;
}

}  // namespace moai::gateway
