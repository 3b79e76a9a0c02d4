// What a CoValue actor knows of each peer (actors/sync/covalue_peers.hpp).
#include "actors/sync/covalue_peers.hpp"

#include <boost/test/unit_test.hpp>

using namespace moai::actors;
using namespace moai::protocol;

namespace {
const std::string kId = "co_zTest";
known_state holding(std::uint32_t n) {
  return known_state{kId, true, {{"s1", n}}};
}
}  // namespace

BOOST_AUTO_TEST_SUITE(covalue_peers)

BOOST_AUTO_TEST_CASE(dependencies_go_first_once_per_generation_and_cycles_are_cut) {
  peer_record p(kId, 1);
  const covalue_id_set deps{"co_zGroup", "co_zAccount"};
  auto plan = p.plan_push(false, deps, 1, {"co_zAccount"}, false);
  BOOST_TEST(static_cast<int>(plan.next) == static_cast<int>(push_plan::step::push_dependencies));
  BOOST_REQUIRE_EQUAL(plan.dependencies.size(), 1u);  // the chain that asked is cut
  BOOST_TEST(plan.dependencies[0] == "co_zGroup");
  // Pushes while one is in flight run after it, once, forcing a known if any asked to.
  auto waiting = p.plan_push(false, deps, 1, {}, false);
  BOOST_TEST(static_cast<int>(waiting.next) == static_cast<int>(push_plan::step::wait));
  p.plan_push(true, deps, 1, {}, false);
  p.dependencies_pushed(1);
  bool force = false;
  BOOST_TEST(p.take_push_again(force));
  BOOST_TEST(force);
  BOOST_TEST(!p.take_push_again(force));
  // Same generation: dependencies are not pushed again; a new generation pushes them.
  BOOST_TEST(static_cast<int>(p.plan_push(false, deps, 1, {}, false).next) ==
             static_cast<int>(push_plan::step::send));
  BOOST_TEST(static_cast<int>(p.plan_push(false, deps, 2, {}, false).next) ==
             static_cast<int>(push_plan::step::push_dependencies));
}

BOOST_AUTO_TEST_CASE(an_upstream_gets_no_dependencies_pushed) {
  peer_record p(kId, 1);
  auto plan = p.plan_push(false, {"co_zGroup"}, 1, {}, true);
  BOOST_TEST(static_cast<int>(plan.next) == static_cast<int>(push_plan::step::send));
  BOOST_TEST(plan.dependencies.empty());
}

BOOST_AUTO_TEST_CASE(loads_replace_knowns_merge_and_corrections_replace) {
  peer_record p(kId, 1);
  p.loaded(holding(5));
  BOOST_TEST(p.known.sessions.at("s1") == 5u);
  p.told(holding(3), false, false);  // an ack of less: merged, the most stays
  BOOST_TEST(p.known.sessions.at("s1") == 5u);
  p.told(holding(2), true, true);  // a correction: its word replaces ours
  BOOST_TEST(p.known.sessions.at("s1") == 2u);
  BOOST_TEST(p.said.sessions.at("s1") == 2u);
}

BOOST_AUTO_TEST_CASE(a_peer_asked_for_the_header_says_it_has_none) {
  peer_table<int> table;
  bool made = false;
  auto& e = table.enter(kId, 7, 70, 0, made);
  BOOST_TEST(made);
  BOOST_TEST(e.record.peer_id == 70u);
  BOOST_TEST(!table.header_may_come());
  e.record.asked_for_header = true;
  BOOST_TEST(table.header_may_come());
  e.record.told(known_state{kId, false, {}}, false, false);
  BOOST_TEST(e.record.said_not_found);
  BOOST_TEST(!table.header_may_come());
  table.enter(kId, 7, 71, 1, made);
  BOOST_TEST(!made);  // the same peer
  BOOST_TEST(table.size() == 1u);
}

BOOST_AUTO_TEST_CASE(deleted_covalues_claim_what_the_peer_sent) {
  peer_record p(kId, 1);
  content_message sent{kId, std::nullopt, {session_content{"s2", 0, std::vector<transaction>(4), "sig", {}, {}}}, std::nullopt};
  p.content_applied(sent, known_state{kId, true, {}}, true);
  BOOST_TEST(p.known.sessions.at("s2") == 4u);  // told we hold it all, so it stops re-uploading
  BOOST_TEST(p.said.sessions.count("s2") == 0u);
  BOOST_TEST(p.told_known);
  peer_record q(kId, 1);
  q.content_applied(sent, known_state{kId, true, {{"s2", 1}}}, false);
  BOOST_TEST(q.known.sessions.at("s2") == 1u);  // not deleted: only what was accepted
  auto claimed = claim_to(true, holding(1), known_state{kId, true, {{"s3", 9}}});
  BOOST_TEST(claimed.sessions.at("s3") == 9u);
  BOOST_TEST(claim_to(false, holding(1), known_state{kId, true, {{"s3", 9}}}).sessions.count("s3") == 0u);
}

BOOST_AUTO_TEST_CASE(a_resend_starts_from_what_the_peer_holds_and_what_it_told_us_since) {
  peer_record p(kId, 1);
  p.told(known_state{kId, true, {{"s1", 1}, {"s2", 4}}}, false, false);
  p.known = holding(9);  // we believed it got everything
  p.resend_from(holding(1), 3);
  BOOST_TEST(p.resend_next);
  BOOST_TEST(p.known.sessions.at("s1") == 1u);
  BOOST_TEST(p.known.sessions.at("s2") == 4u);
  BOOST_TEST(p.deps_pushed_generation == 3u);  // it sends held dependencies itself
  p.reconnected(kId);
  BOOST_TEST(p.known.sessions.empty());
  BOOST_TEST(p.deps_pushed_generation == 0u);
}

BOOST_AUTO_TEST_CASE(push_targets_skip_peers_that_sent_invalid_content) {
  peer_table<int> table;
  bool made = false;
  table.enter(kId, 1, 1, 0, made);
  table.enter(kId, 2, 2, 0, made).record.errored = true;
  table.enter(kId, 3, 3, 0, made);
  auto targets = table.push_targets(3);  // 3: an upstream that has not answered yet
  BOOST_REQUIRE_EQUAL(targets.size(), 1u);
  BOOST_TEST(targets[0] == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

#include "actors/sync/content_encoding.hpp"
#include "sync_fixture.hpp"

BOOST_AUTO_TEST_SUITE(content_encoding_rules)

BOOST_AUTO_TEST_CASE(what_a_peer_lacks_is_encoded_again_once_the_covalue_changed) {
  moai::test::signed_world w;
  w.edit("a", 1);
  content_encoding encoding;
  const known_state nothing{w.map->id(), false, {}};
  auto first = encoding.for_peer(*w.map, nothing, true);
  BOOST_TEST(first == w.map->new_content_since(&nothing));
  BOOST_TEST(encoding.for_peer(*w.map, nothing, true) == first);  // shared, same state
  w.edit("b", 2);
  auto after_edit = encoding.for_peer(*w.map, nothing, true);
  BOOST_TEST(after_edit != first);
  BOOST_TEST(after_edit == w.map->new_content_since(&nothing));
  // Another peer state: encoded for it.
  const known_state has_one{w.map->id(), true, {{w.session(), 1}}};
  BOOST_TEST(encoding.for_peer(*w.map, has_one, false) == w.map->new_content_since(&has_one));
}

BOOST_AUTO_TEST_SUITE_END()
