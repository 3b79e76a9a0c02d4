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

// Catching up (another node stored more of a CoValue held in memory): what storage holds
// beyond the state's counts is appended, with its checkpoints, and the state then equals
// one restored from all the rows; the state's own counts are the rows' start.
BOOST_AUTO_TEST_CASE(catching_up_appends_what_other_nodes_stored) {
  signed_world w;
  for (int i = 0; i < 3; ++i) w.edit("k" + std::to_string(i), i);
  protocol::covalue_state state(w.map->id());
  storage::restore_state(stored_map(w), state);                    // the node's copy: 3 transactions
  for (int i = 3; i < 7; ++i) w.edit("k" + std::to_string(i), i);  // another node stores 4 more

  auto newer = stored_map(w);
  newer.sessions.at(0).checkpoints[4] = "signature_zCheckpoint4";
  storage::trim_to_since(newer, state.known().sessions);
  BOOST_REQUIRE_EQUAL(newer.sessions.size(), 1u);
  BOOST_TEST(newer.sessions[0].first == 3u);
  BOOST_TEST(newer.sessions[0].transactions.size() == 4u);

  const auto before = state.known();
  auto report = storage::catch_up_state(std::move(newer), state);
  BOOST_TEST(report.problems.empty());
  BOOST_TEST(!report.header_new);
  BOOST_TEST(report.transactions == 4u);
  BOOST_TEST(report.appended.at(w.session()) == 3u);
  BOOST_TEST(state.known() == w.map->known());
  const auto* log = state.find_session(w.session());
  BOOST_TEST(log->last_signature() == w.map->find_session(w.session())->last_signature());
  BOOST_TEST(log->checkpoints().at(4) == "signature_zCheckpoint4");
  // What a subscriber that had the first 3 gets: pieces that end at signatures held.
  BOOST_TEST(!state.new_content_since(&before).empty());
}

// Rows the state gained meanwhile (its own clients' content) are skipped; a CoValue the
// state lacked entirely comes with its header; a tombstone marks it deleted.
BOOST_AUTO_TEST_CASE(catching_up_skips_what_is_held_and_takes_header_and_tombstone) {
  signed_world w;
  for (int i = 0; i < 4; ++i) w.edit("k" + std::to_string(i), i);
  protocol::covalue_state empty(w.map->id());
  auto report = storage::catch_up_state(stored_map(w), empty);
  BOOST_TEST(report.header_new);
  BOOST_TEST(empty.known() == w.map->known());

  protocol::covalue_state ahead(w.map->id());
  storage::restore_state(stored_map(w), ahead);
  auto older = stored_map(w);
  storage::trim_to_since(older, {{w.session(), 2}});  // asked when the state held 2
  older.deleted = true;
  report = storage::catch_up_state(std::move(older), ahead);
  BOOST_TEST(report.transactions == 0u);
  BOOST_TEST(report.deleted_new);
  BOOST_TEST(ahead.is_deleted());
  BOOST_TEST(ahead.count(w.session()) == 4u);

  // A damaged row is cut at the last stored checkpoint before it.
  protocol::covalue_state partial(w.map->id());
  auto first_two = stored_map(w);
  first_two.sessions[0].transactions.resize(2);
  first_two.sessions[0].last_signature = "signature_zTwo";
  storage::restore_state(std::move(first_two), partial);
  auto damaged = stored_map(w);
  storage::trim_to_since(damaged, partial.known().sessions);
  damaged.sessions[0].checkpoints[2] = "signature_zThree";
  damaged.sessions[0].transactions[1] = "{not json";  // index 3
  report = storage::catch_up_state(std::move(damaged), partial);
  BOOST_REQUIRE_EQUAL(report.problems.size(), 1u);
  BOOST_TEST(report.problems[0].index == 3u);
  BOOST_TEST(partial.count(w.session()) == 3u);
  BOOST_TEST(partial.find_session(w.session())->last_signature() == "signature_zThree");
}

BOOST_AUTO_TEST_SUITE_END()
