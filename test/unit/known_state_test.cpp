// Known-state math (guide §2).
#include <boost/test/unit_test.hpp>

#include "protocol/sync/known_state.hpp"
#include "vectors.hpp"

using namespace moai::protocol;

BOOST_AUTO_TEST_SUITE(known_states)

BOOST_AUTO_TEST_CASE(merge_takes_the_maximum) {
  known_state a{"co_z1", false, {{"s1", 3}, {"s2", 5}}};
  known_state b{"co_z1", true, {{"s1", 4}, {"s2", 1}, {"s3", 2}}};
  merge_into(a, b);
  BOOST_TEST(a.header);
  BOOST_TEST(a.sessions.at("s1") == 4u);
  BOOST_TEST(a.sessions.at("s2") == 5u);
  BOOST_TEST(a.sessions.at("s3") == 2u);
}

BOOST_AUTO_TEST_CASE(intersect_takes_the_minimum) {
  known_state a{"co_z1", true, {{"s1", 3}, {"s2", 5}, {"s4", 1}}};
  known_state b{"co_z1", false, {{"s1", 4}, {"s2", 1}, {"s3", 2}, {"s4", 0}}};
  intersect_into(a, b);
  BOOST_TEST(!a.header);
  BOOST_TEST((a.sessions == session_counts{{"s1", 3}, {"s2", 1}}));
  known_state c{"co_z1", true, {{"s1", 2}}};
  intersect_into(c, known_state{"co_z1", true, {{"s1", 7}}});
  BOOST_TEST(c.header);
  BOOST_TEST((c.sessions == session_counts{{"s1", 2}}));
}

BOOST_AUTO_TEST_CASE(coverage) {
  known_state small{"co_z1", true, {{"s1", 3}}};
  known_state big{"co_z1", true, {{"s1", 4}, {"s2", 1}}};
  BOOST_TEST(is_covered_by(small, big));
  BOOST_TEST(!is_covered_by(big, small));
  known_state no_header{"co_z1", false, {{"s1", 0}}};
  BOOST_TEST(is_covered_by(no_header, known_state{"co_z1", false, {}}));
  BOOST_TEST(!is_covered_by(small, known_state{"co_z1", false, {{"s1", 9}}}));
}

BOOST_AUTO_TEST_CASE(counts_ahead) {
  session_counts ours{{"s1", 4}, {"s2", 1}, {"s3", 2}};
  session_counts theirs{{"s1", 4}, {"s2", 0}};
  auto ahead = counts_ahead_of(ours, theirs);
  BOOST_TEST(ahead.size() == 2u);
  BOOST_TEST(ahead.at("s2") == 1u);
  BOOST_TEST(ahead.at("s3") == 2u);
}

BOOST_AUTO_TEST_CASE(reconcile_hash_of_sessions) {
  // primitives.json: shortHash of a sessions object, as reconcile compares it.
  auto doc = moai::test::load_vector("primitives.json");
  const auto& c = doc["shortHash"][5];
  session_counts sessions;
  for (auto it = c["value"].MemberBegin(); it != c["value"].MemberEnd(); ++it) {
    sessions[it->name.GetString()] = it->value.GetUint();
  }
  BOOST_TEST(sessions_short_hash(sessions) == moai::test::str(c, "shortHash"));
  BOOST_TEST(sessions_short_hash({}) == moai::test::str(doc["shortHash"][0], "shortHash"));
}

BOOST_AUTO_TEST_SUITE_END()
