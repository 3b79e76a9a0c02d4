// When a CoValue in memory reads what other nodes stored (actors/sync/storage_follower.hpp).
#include "actors/sync/storage_follower.hpp"

#include <boost/test/unit_test.hpp>

using moai::actors::storage_follower;
using moai::protocol::known_state;
using moai::storage::stored_change;

namespace {

known_state holding(std::uint32_t n) {
  return known_state{"co_zTest", true, {{"s1", n}}};
}

stored_change announced(std::uint32_t n, std::int64_t at) {
  stored_change c;
  c.id = "co_zTest";
  c.sessions = {{"s1", n}};
  c.committed_ms = at;
  return c;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(storage_follower_rules)

BOOST_AUTO_TEST_CASE(only_what_brings_something_new_is_read) {
  storage_follower f;
  BOOST_TEST(!f.changed(announced(3, 10), holding(3), false));  // held already (our own clients sent it too)
  BOOST_TEST(!f.changed(announced(2, 10), holding(3), false));
  BOOST_TEST(f.changed(announced(4, 10), holding(3), false));
  stored_change other = announced(1, 10);
  other.sessions = {{"s2", 1}};
  BOOST_TEST(f.changed(other, holding(3), false));  // a session we lack
  stored_change header = announced(0, 10);
  header.sessions.clear();
  header.header = true;
  BOOST_TEST(f.changed(header, known_state{"co_zTest", false, {}}, false));
  BOOST_TEST(!f.changed(header, holding(0), false));
  stored_change deleted = announced(3, 10);
  deleted.deleted = true;
  BOOST_TEST(f.changed(deleted, holding(3), false));
  BOOST_TEST(!f.changed(deleted, holding(3), true));
  stored_change cut = announced(0, 10);
  cut.sessions.clear();
  cut.complete = false;  // its sessions did not fit: read to know
  BOOST_TEST(f.changed(cut, holding(3), false));
}

BOOST_AUTO_TEST_CASE(one_read_at_a_time_and_again_for_what_came_meanwhile) {
  storage_follower f;
  BOOST_TEST(f.changed(announced(4, 100), holding(3), false));
  f.read_started();
  BOOST_TEST(f.reading());
  // Announced while the read is in flight: it may have started before that commit.
  BOOST_TEST(!f.changed(announced(6, 140), holding(3), false));
  BOOST_TEST(!f.changed(announced(7, 120), holding(3), false));
  auto first = f.read_finished();
  BOOST_TEST(first.again);
  BOOST_REQUIRE(first.oldest_commit_ms);
  BOOST_TEST(*first.oldest_commit_ms == 100);
  f.read_started();
  auto second = f.read_finished();
  BOOST_TEST(!second.again);
  BOOST_REQUIRE(second.oldest_commit_ms);
  BOOST_TEST(*second.oldest_commit_ms == 120);  // the earliest of those it answered
  BOOST_TEST(!f.reading());
}

BOOST_AUTO_TEST_CASE(a_resync_reads_whatever_was_heard) {
  storage_follower f;
  BOOST_TEST(f.resync());
  f.read_started();
  BOOST_TEST(!f.resync());  // in flight: once more after it
  auto done = f.read_finished();
  BOOST_TEST(done.again);
  BOOST_TEST(!done.oldest_commit_ms);  // no announcement: no lag to measure
  f.read_started();
  BOOST_TEST(!f.read_finished().again);
}

BOOST_AUTO_TEST_SUITE_END()
