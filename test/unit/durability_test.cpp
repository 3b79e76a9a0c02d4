// Acknowledging only what is stored (actors/sync/durability.hpp): a failed write holds
// acknowledgements back until a rewrite of everything held is stored.
#include "actors/sync/durability.hpp"

#include <boost/test/unit_test.hpp>

using moai::actors::durability;
using moai::protocol::known_state;
using namespace std::chrono_literals;

namespace {

const std::string kId = "co_zTest";
const auto kT0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);

known_state holding(std::uint32_t n) {
  return known_state{kId, true, {{"s1", n}}};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(durability_rules)

BOOST_AUTO_TEST_CASE(a_stored_write_is_acknowledged_at_once) {
  durability d(kId);
  d.write_started();
  BOOST_TEST(!d.settled());
  BOOST_TEST(d.write_finished(true, holding(2)));
  BOOST_TEST(d.settled());
  BOOST_TEST(!d.unstored());
  BOOST_TEST(d.durable().sessions.at("s1") == 2u);
  BOOST_TEST(d.claimable(holding(5)).sessions.at("s1") == 5u);  // nothing unstored: memory may be claimed
}

BOOST_AUTO_TEST_CASE(acknowledgement_after_a_failed_then_retried_write) {
  durability d(kId);
  d.write_started();
  BOOST_TEST(d.write_finished(true, holding(1)));

  // Write of tx 1..2 fails: its acknowledgement is held and a rewrite is scheduled.
  d.write_started();
  BOOST_TEST(!d.write_finished(false, holding(3)));
  bool first = false;
  auto rewrite_in = d.hold(7, false, first, kT0);
  BOOST_TEST(first);
  BOOST_REQUIRE(rewrite_in);
  BOOST_TEST(rewrite_in->count() == 100);
  BOOST_TEST(d.unstored());
  // While unstored, only what the store holds is claimed.
  BOOST_TEST(d.claimable(holding(3)).sessions.at("s1") == 1u);

  // Another peer's write succeeds meanwhile, but memory is still ahead: held too.
  d.write_started();
  BOOST_TEST(!d.write_finished(true, holding(4)));
  auto again = d.hold(8, true, first, kT0);
  BOOST_TEST(!first);
  BOOST_TEST(!again);  // a rewrite is already scheduled

  // The rewrite fails: retried later, with backoff.
  d.rewrite_started();
  std::optional<std::chrono::milliseconds> retry;
  BOOST_TEST(d.rewrite_finished(false, holding(4), retry).empty());
  BOOST_REQUIRE(retry);
  BOOST_TEST(retry->count() == 200);
  BOOST_TEST(d.unstored());

  // The retry succeeds: both held acknowledgements go out, with what is now stored.
  d.rewrite_started();
  auto released = d.rewrite_finished(true, holding(4), retry);
  BOOST_TEST(!retry);
  BOOST_REQUIRE_EQUAL(released.size(), 2u);
  BOOST_TEST(released[0].peer == 7u);
  BOOST_TEST(!released[0].correction);
  BOOST_TEST(released[1].peer == 8u);
  BOOST_TEST(released[1].correction);
  BOOST_TEST(!d.unstored());
  BOOST_TEST(d.settled());
  BOOST_TEST(d.durable().sessions.at("s1") == 4u);
}

BOOST_AUTO_TEST_CASE(one_held_acknowledgement_per_peer_and_backoff_resets_after_success) {
  durability d(kId);
  bool first = false;
  d.write_started();
  d.write_finished(false, holding(1));
  d.hold(1, false, first, kT0);
  d.hold(1, true, first, kT0);  // same peer: one entry, correction kept
  d.rewrite_started();
  std::optional<std::chrono::milliseconds> retry;
  auto released = d.rewrite_finished(true, holding(1), retry);
  BOOST_REQUIRE_EQUAL(released.size(), 1u);
  BOOST_TEST(released[0].correction);
  // The next failure starts from the first step again.
  d.write_started();
  d.write_finished(false, holding(2));
  auto rewrite_in = d.hold(1, false, first, kT0);
  BOOST_REQUIRE(rewrite_in);
  BOOST_TEST(rewrite_in->count() == 100);
}

BOOST_AUTO_TEST_CASE(senders_are_told_once_when_content_stays_unstored_past_the_grace) {
  durability d(kId);
  bool first = false;
  d.write_started();
  d.write_finished(false, holding(1));
  d.hold(3, false, first, kT0);
  d.hold(4, false, first, kT0 + 2s);
  BOOST_TEST(d.overdue(kT0 + 9s, 10s).empty());  // within the grace, counted from the first
  auto told = d.overdue(kT0 + 10s, 10s);
  BOOST_TEST(told == (std::vector<moai::actors::peer_key>{3, 4}), boost::test_tools::per_element());
  BOOST_TEST(d.overdue(kT0 + 20s, 10s).empty());  // once per outage
  // Stored at last: a later outage counts afresh.
  d.rewrite_started();
  std::optional<std::chrono::milliseconds> retry;
  d.rewrite_finished(true, holding(1), retry);
  d.write_started();
  d.write_finished(false, holding(2));
  d.hold(5, false, first, kT0 + 60s);
  BOOST_TEST(d.overdue(kT0 + 65s, 10s).empty());
  BOOST_TEST(d.overdue(kT0 + 70s, 10s).size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
