// Who may call the agent routes (actors/agent/agent_access.hpp), and the caller-address
// rules it rests on.
#include <boost/test/unit_test.hpp>

#include "actors/agent/agent_access.hpp"
#include "gateway/server/caller_address.hpp"

using moai::actors::agent_api::agent_access_rules;
using moai::actors::agent_api::check_agent_access;
using moai::gateway::http_request;

namespace {

const std::string account = "co_zServerAccount";

http_request call(const std::string& method, const std::string& path, const std::string& remote,
                  const std::string& authorization = "") {
  http_request r;
  r.method = method;
  r.path = path;
  r.remote_address = remote;
  if (!authorization.empty()) r.headers["authorization"] = authorization;
  return r;
}

unsigned status(const agent_access_rules& rules, const http_request& r) { return check_agent_access(rules, r).status; }

}  // namespace

BOOST_AUTO_TEST_SUITE(agent_access)

BOOST_AUTO_TEST_CASE(caller_addresses) {
  using namespace moai::gateway;
  BOOST_TEST(caller_ip("10.0.0.7:5123") == "10.0.0.7");
  BOOST_TEST(caller_ip("::1:5123") == "::1");
  BOOST_TEST(is_loopback_ip("127.0.0.1"));
  BOOST_TEST(is_loopback_ip("127.8.9.10"));
  BOOST_TEST(is_loopback_ip("::1"));
  BOOST_TEST(is_loopback_ip("::ffff:127.0.0.1"));
  BOOST_TEST(!is_loopback_ip("10.0.0.7"));
  BOOST_TEST(!is_loopback_ip("::ffff:10.0.0.7"));
  BOOST_TEST(!is_loopback_ip("1127.0.0.1"));
  BOOST_TEST(!is_loopback_ip("fdaa::1"));
  auto relayed = call("GET", "/covalues/co_zx", "127.0.0.1:4000");
  BOOST_TEST(is_local_caller(relayed));
  relayed.headers["x-forwarded-for"] = "203.0.113.9";
  BOOST_TEST(!is_local_caller(relayed));  // a proxy on this machine makes everyone look local
}

BOOST_AUTO_TEST_CASE(without_a_token) {
  const agent_access_rules open{"", account};
  // MaiaOS's routes answer anyone, as the original's do.
  for (const char* path : {"/on-added", "/register-human", "/trigger"}) {
    BOOST_TEST(status(open, call("POST", path, "203.0.113.9:1000")) == 0u, path);
  }
  BOOST_TEST(status(open, call("GET", "/profile", "203.0.113.9:1000")) == 0u);
  // The generic routes answer this machine only.
  BOOST_TEST(status(open, call("POST", "/covalues", "127.0.0.1:1000")) == 0u);
  BOOST_TEST(status(open, call("GET", "/covalues/co_zx", "::1:1000")) == 0u);
  BOOST_TEST(status(open, call("PATCH", "/covalues/co_zx", "127.0.0.1:1000")) == 0u);
  BOOST_TEST(status(open, call("POST", "/covalues", "203.0.113.9:1000")) == 403u);
  BOOST_TEST(status(open, call("GET", "/covalues/co_zx", "10.0.0.7:1000")) == 403u);
  // The server's own account is never written without a token, not even from here.
  BOOST_TEST(status(open, call("PATCH", "/covalues/" + account, "127.0.0.1:1000")) == 403u);
  BOOST_TEST(check_agent_access(open, call("PATCH", "/covalues/" + account, "127.0.0.1:1000"))
                 .error.find("AGENT_API_TOKEN") != std::string::npos);
  BOOST_TEST(status(open, call("GET", "/covalues/" + account, "127.0.0.1:1000")) == 0u);  // reading is fine
}

BOOST_AUTO_TEST_CASE(with_a_token) {
  const agent_access_rules locked{"s3cret", account};
  for (const char* path : {"/on-added", "/covalues", "/covalues/co_zx"}) {
    BOOST_TEST(status(locked, call("POST", path, "127.0.0.1:1000")) == 401u, path);
    BOOST_TEST(status(locked, call("POST", path, "203.0.113.9:1000", "Bearer nope")) == 401u, path);
    BOOST_TEST(status(locked, call("POST", path, "203.0.113.9:1000", "Bearer s3cret")) == 0u, path);
  }
  BOOST_TEST(status(locked, call("PATCH", "/covalues/" + account, "203.0.113.9:1000", "Bearer s3cret")) == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
