// The bearer-token check shared by the agent API and the LLM proxy.
#include <boost/test/unit_test.hpp>

#include "gateway/server/bearer_token.hpp"

using moai::gateway::bearer_matches;

BOOST_AUTO_TEST_SUITE(bearer_token)

BOOST_AUTO_TEST_CASE(scheme_is_case_insensitive_and_token_exact) {
  const std::string ok = "Bearer s3cret", lower = "bearer s3cret", spaced = "BEARER   s3cret  ";
  BOOST_TEST(bearer_matches(&ok, "s3cret"));
  BOOST_TEST(bearer_matches(&lower, "s3cret"));
  BOOST_TEST(bearer_matches(&spaced, "s3cret"));
  const std::string wrong = "Bearer s3creT", longer = "Bearer s3cret2", basic = "Basic s3cret", bare = "s3cret";
  BOOST_TEST(!bearer_matches(&wrong, "s3cret"));
  BOOST_TEST(!bearer_matches(&longer, "s3cret"));
  BOOST_TEST(!bearer_matches(&basic, "s3cret"));
  BOOST_TEST(!bearer_matches(&bare, "s3cret"));
  BOOST_TEST(!bearer_matches(nullptr, "s3cret"));
}

BOOST_AUTO_TEST_SUITE_END()
