// When a CoValue actor leaves memory (actors/sync/retirement.hpp).
#include "actors/sync/retirement.hpp"

#include <boost/test/unit_test.hpp>

using moai::actors::activity;
using moai::actors::is_idle;
using moai::actors::retirement;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(retirement_rules)

BOOST_AUTO_TEST_CASE(anything_pending_keeps_a_covalue_in_memory) {
  BOOST_TEST(is_idle(activity{}));
  activity content;
  content.content_waiting = true;  // content queued for a dependency
  BOOST_TEST(!is_idle(content));
  BOOST_TEST(!is_idle(content, false));
  activity storage;
  storage.storage_unsettled = true;  // a write in flight or an acknowledgement held
  BOOST_TEST(!is_idle(storage));
  activity peers;
  peers.peers = 1;
  BOOST_TEST(!is_idle(peers));
  activity waiters;
  waiters.header_waiters = true;
  BOOST_TEST(!is_idle(waiters));
  // What the upstream lacks keeps it, unless memory is short (eviction).
  activity upstream;
  upstream.upstream_lacks_ours = true;
  BOOST_TEST(!is_idle(upstream));
  BOOST_TEST(is_idle(upstream, false));
}

BOOST_AUTO_TEST_CASE(retires_after_the_idle_timeout_and_not_while_busy) {
  retirement r(30000ms);
  const auto t0 = retirement::clock::time_point{} + 1h;
  auto delay = r.touched(t0, true);
  BOOST_REQUIRE(delay);
  BOOST_TEST(delay->count() == 30000);
  BOOST_TEST(!r.touched(t0 + 1s, true));  // a tick is already scheduled

  // Activity 10 s later: the tick waits for the rest of the timeout.
  r.touched(t0 + 10s, true);
  auto early = r.tick(t0 + 30s, true);
  BOOST_TEST(!early.ask_to_retire);
  BOOST_REQUIRE(early.wait);
  BOOST_TEST(early.wait->count() == 10000);
  // Busy when the tick comes (content pending): no request, no new tick.
  auto busy = r.tick(t0 + 40s, false);
  BOOST_TEST(!busy.ask_to_retire);
  BOOST_TEST(!busy.wait);
  // Idle again: a fresh tick, then retirement.
  BOOST_TEST(r.touched(t0 + 41s, true).has_value());
  auto due = r.tick(t0 + 71s, true);
  BOOST_TEST(due.ask_to_retire);
  BOOST_TEST(!r.touched(t0 + 72s, true));  // asked already: no tick
  BOOST_TEST(!r.evict(true));             // nor a second request
}

BOOST_AUTO_TEST_CASE(a_refused_retirement_keeps_the_actor_and_a_granted_one_ends_it) {
  retirement r(1000ms);
  const auto t0 = retirement::clock::time_point{} + 1h;
  BOOST_TEST(!r.evict(false));  // eviction asks only idle actors
  BOOST_TEST(r.evict(true));
  // The manager routed a message meanwhile and refuses: the actor stays and ticks again.
  r.routed();
  BOOST_TEST(r.received() == 1u);
  BOOST_TEST(!r.decided(false));
  BOOST_TEST(r.touched(t0, true).has_value());
  auto due = r.tick(t0 + 2s, true);
  BOOST_TEST(due.ask_to_retire);
  BOOST_TEST(r.decided(true));
}

BOOST_AUTO_TEST_SUITE_END()
