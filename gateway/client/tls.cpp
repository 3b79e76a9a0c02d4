#include "gateway/client/tls.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/ip/address.hpp>

#include "config/log.hpp"

namespace moai::gateway {

void configure_client_tls(boost::asio::ssl::context& tls, const std::string& extra_ca_file, const char* component) {
  SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);
  boost::system::error_code ec;
  tls.set_default_verify_paths(ec);
  if (ec) log::warn(component, "system CA store not loaded", {{"error", ec.message()}});
  if (!extra_ca_file.empty()) {
    tls.load_verify_file(extra_ca_file, ec);
    if (ec) log::error(component, "extra CA file not loaded", {{"path", extra_ca_file}, {"error", ec.message()}});
  }
  tls.set_verify_mode(boost::asio::ssl::verify_peer);
}

void expect_peer_name(SSL* session, const std::string& host) {
  boost::system::error_code not_ip;
  boost::asio::ip::make_address(host, not_ip);
  if (not_ip) {
    SSL_set_tlsext_host_name(session, host.c_str());
    SSL_set1_host(session, host.c_str());
  } else {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(session), host.c_str());
  }
}

}  // namespace moai::gateway
