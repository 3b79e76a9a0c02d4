// The one URL parser of the gateway (LLM upstream and upstream moai).
#include <boost/test/unit_test.hpp>

#include "gateway/client/url.hpp"

using moai::gateway::parse_url;
using moai::gateway::parsed_url;

BOOST_AUTO_TEST_SUITE(url)

BOOST_AUTO_TEST_CASE(schemes_defaults_and_ipv6) {
  parsed_url u;
  std::string error;
  BOOST_REQUIRE(parse_url("https://api.example.com/v1/chat?x=1#frag", u, error));
  BOOST_TEST(u.scheme == "https");
  BOOST_TEST(u.tls);
  BOOST_TEST(u.host == "api.example.com");
  BOOST_TEST(u.port == "443");
  BOOST_TEST(u.target == "/v1/chat?x=1");
  BOOST_REQUIRE(parse_url("ws://[::1]:4201/sync", u, error));
  BOOST_TEST(u.scheme == "ws");
  BOOST_TEST(!u.tls);
  BOOST_TEST(u.host == "::1");
  BOOST_TEST(u.port == "4201");
  BOOST_TEST(u.authority == "[::1]:4201");
  BOOST_REQUIRE(parse_url("WS://core.local", u, error));
  BOOST_TEST(u.port == "80");
  BOOST_TEST(u.target == "/");
}

BOOST_AUTO_TEST_CASE(bad_urls_are_refused_with_a_reason) {
  parsed_url u;
  for (const char* bad : {"ftp://x/", "core.local:4201", "http://user:pw@x/", "http:///path", "http://x:0/",
                          "http://x:65536/", "http://x:80a/", "ws://[::1/sync"}) {
    std::string error;
    BOOST_TEST(!parse_url(bad, u, error), bad);
    BOOST_TEST(!error.empty(), bad);
  }
}

BOOST_AUTO_TEST_SUITE_END()
