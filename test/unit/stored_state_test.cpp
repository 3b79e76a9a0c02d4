// Stored rows back to a verified state (storage/stored_state.hpp), and damaged rows.
#include "storage/stored_state.hpp"

#include <boost/test/unit_test.hpp>

#include "storage/session_batches.hpp"
#include "sync_fixture.hpp"

using moai::test::signed_world;
using namespace moai;

namespace {

// What a store returns for the client's map (as state -> rows wrote it).
storage::stored_covalue stored_map(const signed_world& w) {
  storage::stored_covalue stored;
  stored.id = w.map->id();
  stored.header = w.map->header()->json;
  for (const auto& log : w.map->sessions()) {
    storage::covalue_write write;
    storage::append_session_batches(write, log, 0);
    storage::stored_session s;
    s.session_id = log.id();
    for (const auto& b : write.batches) {
      for (const auto& tx : b.transactions) s.transactions.push_back(tx);
      if (b.checkpoint) s.checkpoints[static_cast<std::uint32_t>(s.transactions.size() - 1)] = b.last_signature;
      s.last_signature = b.last_signature;
      s.bytes_since_checkpoint = b.bytes_since_checkpoint;
    }
    stored.sessions.push_back(std::move(s));
  }
  return stored;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(stored_state)

BOOST_AUTO_TEST_CASE(stored_rows_restore_the_state_they_were_written_from) {
  signed_world w;
  for (int i = 0; i < 5; ++i) w.edit("k" + std::to_string(i), i);
  protocol::covalue_state state(w.map->id());
  auto report = storage::restore_state(stored_map(w), state);
  BOOST_TEST(report.problems.empty());
  BOOST_TEST(!report.header_unreadable);
  BOOST_TEST(report.cut_sessions.empty());
  BOOST_TEST(state.known() == w.map->known());
  BOOST_TEST(state.find_session(w.session())->last_signature() == w.map->find_session(w.session())->last_signature());
}

BOOST_AUTO_TEST_CASE(a_damaged_row_cuts_its_session_at_the_checkpoint_before_it) {
  signed_world w;
  for (int i = 0; i < 4; ++i) w.edit("k" + std::to_string(i), i);
  auto stored = stored_map(w);
  auto& s = stored.sessions.at(0);
  s.checkpoints[1] = "signature_zCheckpoint";  // a signatureAfter row for tx 1
  s.transactions[3] = "{not json";
  protocol::covalue_state state(w.map->id());
  auto report = storage::restore_state(std::move(stored), state);
  BOOST_REQUIRE_EQUAL(report.problems.size(), 1u);
  BOOST_TEST(report.problems[0].index == 3u);
  BOOST_TEST(report.cut_sessions.count(w.session()) == 1u);
  BOOST_TEST(state.count(w.session()) == 2u);  // tx 0..1, what the checkpoint covers
  BOOST_TEST(state.find_session(w.session())->last_signature() == "signature_zCheckpoint");
}

BOOST_AUTO_TEST_CASE(a_damaged_row_without_a_checkpoint_before_it_drops_the_session) {
  signed_world w;
  w.edit("a", 1);
  w.edit("b", 2);
  auto stored = stored_map(w);
  stored.sessions.at(0).transactions[1] = "[]";
  protocol::covalue_state state(w.map->id());
  auto report = storage::restore_state(std::move(stored), state);
  BOOST_TEST(report.cut_sessions.count(w.session()) == 1u);
  BOOST_TEST(state.count(w.session()) == 0u);
  BOOST_TEST(state.has_header());
}

BOOST_AUTO_TEST_CASE(a_header_that_is_not_the_ids_restores_nothing) {
  signed_world w;
  w.edit("a", 1);
  auto stored = stored_map(w);
  stored.header = w.group->header()->json;  // a valid header, of another CoValue
  protocol::covalue_state state(w.map->id());
  auto report = storage::restore_state(std::move(stored), state);
  BOOST_TEST(report.header_unreadable);
  BOOST_TEST(report.cut_sessions.count(w.session()) == 1u);
  BOOST_TEST(!state.has_header());
  BOOST_TEST(state.count(w.session()) == 0u);
}

BOOST_AUTO_TEST_CASE(a_stored_tombstone_restores_a_deleted_covalue) {
  signed_world w;
  w.edit("a", 1);
  auto stored = stored_map(w);
  stored.deleted = true;
  protocol::covalue_state state(w.map->id());
  storage::restore_state(std::move(stored), state);
  BOOST_TEST(state.is_deleted());
}

BOOST_AUTO_TEST_SUITE_END()
