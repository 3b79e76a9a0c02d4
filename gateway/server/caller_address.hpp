// Who is calling: the caller's IP from a request's remote address, and whether the call
// comes from this machine. Routes that are open to local callers only rely on the second.
#pragma once

#include <string>

#include "gateway/server/http_types.hpp"

namespace moai::gateway {

// "ip:port" (IPv6 unbracketed, as the HTTP server writes it) → "ip".
std::string caller_ip(const std::string& remote_address);

// A loopback address (127.0.0.0/8, ::1, ::ffff:127.x.y.z).
bool is_loopback_ip(const std::string& ip);

// From a loopback address and not relayed: a request carrying Forwarded or
// X-Forwarded-For came through a proxy, which makes every caller look local.
bool is_local_caller(const http_request& request);

}  // namespace moai::gateway
