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

// Rows the store reports as skipping an index: what follows the gap is not the content
// the last signature signs.
BOOST_AUTO_TEST_CASE(a_gap_in_the_rows_cuts_its_session_at_the_checkpoint_before_it) {
  signed_world w;
  w.edits(4);
  auto stored = stored_map(w);
  auto& s = stored.sessions.at(0);
  s.checkpoints[1] = w.signature_after(2);
  s.recorded_count = 4;
  s.transactions.erase(s.transactions.begin() + 2);  // row 2 gone: rows 0, 1, 3
  s.gap = storage::stored_session::row_gap{2, 3};
  protocol::covalue_state state(w.map->id());
  auto report = storage::restore_state(std::move(stored), state);
  BOOST_TEST(report.cut_sessions.count(w.session()) == 1u);
  BOOST_TEST(state.count(w.session()) == 2u);
  BOOST_TEST(state.find_session(w.session())->last_signature() == w.signature_after(2));
  BOOST_REQUIRE(!report.problems.empty());
  BOOST_TEST(report.problems[0].what.find("skip from index 2 to 3") != std::string::npos, report.problems[0].what);
}

// More rows than the session row records: the recorded ones are what its last
// signature signs; they stay, and the rest is to be replaced.
BOOST_AUTO_TEST_CASE(rows_past_the_recorded_count_are_left_out) {
  signed_world w;
  w.edits(3);
  auto stored = stored_map(w);
  auto& s = stored.sessions.at(0);
  s.recorded_count = 3;
  s.transactions.push_back(s.transactions[0]);
  protocol::covalue_state state(w.map->id());
  auto report = storage::restore_state(std::move(stored), state);
  BOOST_TEST(state.count(w.session()) == 3u);
  BOOST_TEST(state.find_session(w.session())->last_signature() == w.map->find_session(w.session())->last_signature());
  BOOST_TEST(report.cut_sessions.count(w.session()) == 1u);
  BOOST_REQUIRE_EQUAL(report.problems.size(), 1u);
  BOOST_TEST(report.problems[0].what.find("records 3 transactions but 4 rows") != std::string::npos);
}

// Fewer rows than recorded, and no checkpoint: nothing of the session is signed.
BOOST_AUTO_TEST_CASE(rows_missing_at_the_end_drop_a_session_without_checkpoints) {
  signed_world w;
  w.edits(3);
  auto stored = stored_map(w);
  stored.sessions.at(0).recorded_count = 5;
  protocol::covalue_state state(w.map->id());
  auto report = storage::restore_state(std::move(stored), state);
  BOOST_TEST(state.count(w.session()) == 0u);
  BOOST_TEST(report.cut_sessions.count(w.session()) == 1u);
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
