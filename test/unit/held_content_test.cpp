// The notes a peer actor keeps of content it held back: order, resend points, retries.
#include <boost/test/unit_test.hpp>

#include "actors/sync/held_content.hpp"

using moai::actors::held_content;
using moai::protocol::known_state;
using moai::protocol::session_counts;

BOOST_AUTO_TEST_SUITE(held_contents)

BOOST_AUTO_TEST_CASE(keeps_the_order_and_the_lowest_resend_point) {
  held_content held;
  BOOST_TEST(held.hold("co_zGroup", known_state{"co_zGroup", true, {{"s1", 4}}}));
  BOOST_TEST(held.hold("co_zMap", known_state{"co_zMap", false, {}}));
  const auto bytes = held.bytes();
  BOOST_TEST(bytes > 0u);
  // Later content of a held CoValue: the resend point drops to what both say.
  BOOST_TEST(!held.hold("co_zGroup", known_state{"co_zGroup", true, {{"s1", 2}, {"s2", 5}}}));
  BOOST_TEST(held.size() == 2u);
  BOOST_TEST(held.front() == "co_zGroup");
  BOOST_TEST((held.from("co_zGroup").sessions == session_counts{{"s1", 2}}));
  BOOST_TEST(held.from("co_zGroup").header);
  BOOST_TEST(held.holds("co_zMap"));
  BOOST_TEST(!held.holds("co_zOther"));
}

BOOST_AUTO_TEST_CASE(a_resend_is_done_unless_the_point_dropped_meanwhile) {
  held_content held;
  held.hold("co_zA", known_state{"co_zA", true, {{"s1", 3}}});
  held.hold("co_zB", known_state{"co_zB", true, {{"s1", 1}}});
  const auto sent_from = held.from("co_zA");
  // Content dropped while the resend was out, from lower down (the peer reloaded).
  held.hold("co_zA", known_state{"co_zA", true, {{"s1", 1}}});
  BOOST_TEST(!held.resent("co_zA", sent_from));
  BOOST_TEST(held.front() == "co_zA");
  BOOST_TEST(held.resent("co_zA", held.from("co_zA")));
  BOOST_TEST(held.front() == "co_zB");
  BOOST_TEST(held.resent("co_zB", held.from("co_zB")));
  BOOST_TEST(held.empty());
  BOOST_TEST(held.bytes() == 0u);
}

BOOST_AUTO_TEST_CASE(dependencies_move_to_the_front) {
  held_content held;
  for (const char* id : {"co_zA", "co_zB", "co_zC"}) held.hold(id, known_state{id, false, {}});
  held.move_to_front("co_zC");
  BOOST_TEST(held.front() == "co_zC");
  held.move_to_front("co_zMissing");
  BOOST_TEST(held.front() == "co_zC");
  BOOST_TEST(held.resent("co_zC", held.from("co_zC")));
  BOOST_TEST(held.front() == "co_zA");
}

BOOST_AUTO_TEST_CASE(a_resend_waits_once_for_a_held_dependency) {
  held_content held;
  for (const char* id : {"co_zMap", "co_zOther", "co_zGroup"}) held.hold(id, known_state{id, false, {}});
  // Not held, or itself: no reason to wait.
  BOOST_TEST(!held.defer_for("co_zMap", "co_zAccount"));
  BOOST_TEST(!held.defer_for("co_zMap", "co_zMap"));
  BOOST_TEST(held.front() == "co_zMap");
  // A held dependency goes first, once.
  BOOST_TEST(held.defer_for("co_zMap", "co_zGroup"));
  BOOST_TEST(held.front() == "co_zGroup");
  BOOST_TEST(held.resent("co_zGroup", held.from("co_zGroup")));
  held.hold("co_zGroup", known_state{"co_zGroup", true, {{"s1", 7}}});  // it changed again
  BOOST_TEST(!held.defer_for("co_zMap", "co_zGroup"));
  BOOST_TEST(held.front() == "co_zMap");
  // A cycle: each waits for the other once, then the first goes.
  held_content cycle;
  cycle.hold("co_zA", known_state{"co_zA", false, {}});
  cycle.hold("co_zB", known_state{"co_zB", false, {}});
  BOOST_TEST(cycle.defer_for("co_zA", "co_zB"));
  BOOST_TEST(cycle.defer_for("co_zB", "co_zA"));
  BOOST_TEST(cycle.front() == "co_zA");
  BOOST_TEST(!cycle.defer_for("co_zA", "co_zB"));
  // Not held at all.
  BOOST_TEST(!cycle.defer_for("co_zC", "co_zA"));
}

BOOST_AUTO_TEST_CASE(failures_retry_at_the_back_then_give_up) {
  held_content held;
  held.hold("co_zA", known_state{"co_zA", false, {}});
  held.hold("co_zB", known_state{"co_zB", false, {}});
  BOOST_TEST(held.failed("co_zA", 2));
  BOOST_TEST(held.front() == "co_zB");
  BOOST_TEST(held.size() == 2u);
  BOOST_TEST(!held.failed("co_zA", 2));
  BOOST_TEST(held.size() == 1u);
  BOOST_TEST(!held.holds("co_zA"));
  held.clear();
  BOOST_TEST(held.empty());
  BOOST_TEST(held.bytes() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
