#include "gateway/server/caller_address.hpp"

namespace moai::gateway {

std::string caller_ip(const std::string& remote_address) {
  auto colon = remote_address.rfind(':');
  return colon == std::string::npos ? remote_address : remote_address.substr(0, colon);
}

bool is_loopback_ip(const std::string& ip) {
  if (ip == "::1") return true;
  const std::string v4 = ip.rfind("::ffff:", 0) == 0 ? ip.substr(7) : ip;
  return v4.rfind("127.", 0) == 0;
}

bool is_local_caller(const http_request& request) {
  if (request.header("forwarded") || request.header("x-forwarded-for")) return false;
  return is_loopback_ip(caller_ip(request.remote_address));
}

}  // namespace moai::gateway
