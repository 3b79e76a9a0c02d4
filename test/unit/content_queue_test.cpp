// Content waiting in a CoValue actor (actors/sync/content_queue.hpp): bursts merged,
// dependencies asked for once, content dropped when a dependency never comes, deletes
// waiting for the owning group's roles.
#include "actors/sync/content_queue.hpp"

#include <boost/test/unit_test.hpp>

#include "sync_fixture.hpp"

using moai::actors::content_queue;
using moai::test::signed_world;
using namespace moai::protocol;

namespace {
using queue = content_queue<int>;  // senders are numbers here
using kind = queue::step::kind;

void make_available(queue& q, const signed_world& w) {
  q.dependency_available(w.group->id(), {false, ""});
  q.dependency_available(w.alice.account_id, {true, w.alice.identity.agent_id()});
}
}  // namespace

BOOST_AUTO_TEST_SUITE(content_queue_rules)

BOOST_AUTO_TEST_CASE(a_burst_from_one_peer_is_merged_and_waits_for_its_dependencies) {
  signed_world w;
  w.edit("a", 1);
  auto first = w.whole_map();
  w.edit("b", 2);
  auto second = w.map_from(1);
  const auto& id = w.map->id();
  queue q;
  BOOST_TEST(q.stage(1, first));   // first staged: schedule a flush
  BOOST_TEST(!q.stage(1, second));  // already scheduled
  BOOST_TEST(q.has_staged());
  q.flush_staged();
  BOOST_TEST(q.size() == 1u);  // one peer's messages in a row become one

  auto ask = q.next(id, nullptr);
  BOOST_TEST(static_cast<int>(ask.next) == static_cast<int>(kind::ask));
  BOOST_TEST((ask.via == 1));
  BOOST_TEST(ask.ask_for.size() == 2u);  // the owning group and alice's account
  auto again = q.next(id, nullptr);
  BOOST_TEST(static_cast<int>(again.next) == static_cast<int>(kind::ask));
  BOOST_TEST(again.ask_for.empty());  // asked once
  BOOST_TEST(q.waiting_for_dependencies());

  make_available(q, w);
  BOOST_TEST(!q.waiting_for_dependencies());
  auto ready = q.next(id, nullptr);
  BOOST_REQUIRE(static_cast<int>(ready.next) == static_cast<int>(kind::apply));
  BOOST_TEST(ready.ready->message.sessions.at(0).transactions.size() == 2u);
  BOOST_TEST(q.empty());
  BOOST_TEST(static_cast<int>(q.next(id, nullptr).next) == static_cast<int>(kind::idle));
  BOOST_TEST(q.facts_of(w.alice.account_id)->is_account);
}

BOOST_AUTO_TEST_CASE(content_of_different_peers_stays_apart_in_arrival_order) {
  signed_world w;
  w.edit("a", 1);
  auto first = w.whole_map();
  w.edit("b", 2);
  queue q;
  q.stage(1, first);
  q.stage(2, w.map_from(1));
  q.flush_staged();
  BOOST_TEST(q.size() == 2u);
  make_available(q, w);
  auto a = q.next(w.map->id(), nullptr);
  BOOST_TEST(a.ready->from == 1);
  auto b = q.next(w.map->id(), nullptr);
  BOOST_TEST(b.ready->from == 2);
}

BOOST_AUTO_TEST_CASE(content_that_needs_a_missing_dependency_is_dropped) {
  signed_world w;
  w.edit("a", 1);
  const auto message = w.whole_map();
  queue q;
  q.stage(1, message);
  q.flush_staged();
  q.next(w.map->id(), nullptr);
  BOOST_TEST(q.dependency_missing(w.map->id(), nullptr, w.group->id()) == 1u);
  BOOST_TEST(q.empty());
  BOOST_TEST(static_cast<int>(q.next(w.map->id(), nullptr).next) == static_cast<int>(kind::idle));
}

BOOST_AUTO_TEST_CASE(a_delete_waits_for_the_owning_groups_roles) {
  signed_world w;
  w.edit("a", 1);
  const auto& id = w.map->id();
  local_writer deleter(w.alice.identity, "dDel1$");
  deleter.append_trusting(*w.map, "[]", signed_world::kNow + 100, "{\"deleted\":\"" + id + "\"}");
  queue q;
  q.stage(1, w.whole_map());
  q.flush_staged();
  make_available(q, w);
  auto fetch = q.next(id, nullptr);
  BOOST_REQUIRE(static_cast<int>(fetch.next) == static_cast<int>(kind::fetch_groups));
  BOOST_TEST(q.front_owner(nullptr) == w.group->id());
  BOOST_TEST(static_cast<int>(q.next(id, nullptr).next) == static_cast<int>(kind::idle));  // fetching
  auto groups = std::make_shared<group_registry>();
  groups->add(*w.group);
  q.groups_fetched(groups);
  auto ready = q.next(id, nullptr);
  BOOST_REQUIRE(static_cast<int>(ready.next) == static_cast<int>(kind::apply));
  BOOST_TEST(ready.ready->groups == groups);
  BOOST_TEST(ready.ready->groups_fetched);
}

BOOST_AUTO_TEST_SUITE_END()
