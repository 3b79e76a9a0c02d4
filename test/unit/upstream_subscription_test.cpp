// A CoValue's subscription at the upstream moai (actors/sync/upstream_subscription.hpp).
#include "actors/sync/upstream_subscription.hpp"

#include <boost/test/unit_test.hpp>

using moai::actors::upstream_subscription;
using namespace moai::protocol;

namespace {
const std::string kId = "co_zTest";
sync_message known_msg(std::uint32_t n, bool correction = false) {
  return known_message{known_state{kId, n > 0, n ? session_counts{{"s1", n}} : session_counts{}}, correction};
}
}  // namespace

BOOST_AUTO_TEST_SUITE(upstream_subscription_rules)

BOOST_AUTO_TEST_CASE(loads_wait_for_the_answer_and_a_stale_timer_is_ignored) {
  upstream_subscription up(kId);
  BOOST_TEST(!up.subscribe().has_value());  // nobody waits yet: no timer
  std::optional<std::uint64_t> timer;
  BOOST_TEST(up.load_waits(1, timer));
  BOOST_REQUIRE(timer);
  const auto first_timer = *timer;
  BOOST_TEST(up.load_waits(2, timer));
  BOOST_TEST(!timer);  // one timer for all waiting loads
  // The link came back: a new subscription takes over the waiting loads with its own timer.
  up.reconnected();
  auto second = up.subscribe();
  BOOST_REQUIRE(second);
  BOOST_TEST(up.wait_over(first_timer).empty());  // the old timer
  auto answered = up.wait_over(*second);
  BOOST_TEST(answered.size() == 2u);
  // Gave up: further loads do not wait until the next subscription.
  BOOST_TEST(!up.load_waits(3, timer));
  up.subscribe();
  BOOST_TEST(up.load_waits(3, timer));
}

BOOST_AUTO_TEST_CASE(a_known_answer_releases_waiting_loads_content_answers_once_applied) {
  upstream_subscription up(kId);
  up.subscribe();
  std::optional<std::uint64_t> timer;
  up.load_waits(9, timer);
  BOOST_TEST(!up.answered_by(false, known_msg(0)));  // not asked before this message
  BOOST_TEST(up.answered_by(true, known_msg(0)));    // "not there either": answer loads now
  BOOST_TEST(up.answered());
  BOOST_TEST(!up.answered_by(true, known_msg(0)));  // later ones are acks
  BOOST_TEST(up.take_waiting().size() == 1u);
  BOOST_TEST(!up.load_waits(10, timer));  // answered: loads are answered at once

  upstream_subscription content_first(kId);
  content_first.subscribe();
  content_first.load_waits(9, timer);
  BOOST_TEST(!content_first.answered_by(true, content_message{kId, std::nullopt, {}, std::nullopt}));
  BOOST_TEST(content_first.answered());
  content_first.header_arrived();  // the content brought the header: loads get it with everyone
  BOOST_TEST(content_first.take_waiting().empty());
}

BOOST_AUTO_TEST_CASE(unasked_content_is_applied_before_subscribing) {
  upstream_subscription up(kId);
  BOOST_TEST(!up.came_unasked(true));  // content: subscribe once it is applied
  BOOST_TEST(!up.subscribe_due(false));
  BOOST_TEST(up.subscribe_due(true));
  up.subscribe();
  BOOST_TEST(!up.subscribe_due(true));
  upstream_subscription other(kId);
  BOOST_TEST(other.came_unasked(false));  // a load or known: subscribe now
  other.subscribe();
  BOOST_TEST(!other.came_unasked(false));
}

BOOST_AUTO_TEST_CASE(what_the_upstream_holds_keeps_our_content_until_it_has_it) {
  upstream_subscription up(kId);
  const known_state ours{kId, true, {{"s1", 3}}};
  BOOST_TEST(up.holds_all(ours));  // never subscribed: nothing to wait for
  up.subscribe();
  BOOST_TEST(!up.holds_all(ours));
  up.note_holds(known_msg(2));
  BOOST_TEST(!up.holds_all(ours));
  up.note_holds(load_message{known_state{kId, true, {{"s1", 3}}}});
  BOOST_TEST(up.holds_all(ours));
  up.note_holds(known_msg(1, true));  // a correction replaces
  BOOST_TEST(!up.holds_all(ours));
  content_message c{kId, std::nullopt, {session_content{"s1", 1, std::vector<transaction>(2), "sig", {}, {}}}, std::nullopt};
  up.note_holds(c);
  BOOST_TEST(up.holds_all(ours));
  up.reconnected();  // a restarted upstream may have lost it
  BOOST_TEST(!up.holds_all(ours));
}

BOOST_AUTO_TEST_SUITE_END()
