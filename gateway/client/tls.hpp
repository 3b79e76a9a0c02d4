// TLS for moai's outgoing connections (the LLM upstream, an upstream moai over wss://):
// TLS 1.2 or newer, the system's CA store plus an optional extra PEM bundle, the peer's
// certificate verified against the host name (or IP address) it was reached by.
#pragma once

#include <boost/asio/ssl.hpp>
#include <string>

namespace moai::gateway {

// A client context that verifies peers. `extra_ca_file` (PEM) may be empty; a file that
// cannot be loaded is logged under `component` and otherwise ignored.
void configure_client_tls(boost::asio::ssl::context& tls, const std::string& extra_ca_file, const char* component);

// Sets SNI and the name the certificate must match (or the IP address) on one session.
void expect_peer_name(SSL* session, const std::string& host);

}  // namespace moai::gateway
