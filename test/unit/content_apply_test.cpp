// Verify-and-apply of one content message as the server does it (guide §2.3): gaps,
// duplicates, out-of-order arrival, bad signatures, unknown signers, deletes.
#include "protocol/sync/content_apply.hpp"

#include <boost/test/unit_test.hpp>

#include "protocol/groups/deletion.hpp"
#include "sync_fixture.hpp"

using namespace moai::protocol;
using moai::test::signed_world;

namespace {

// A judge for worlds without delete sessions: any delete session is refused.
delete_check no_deletes(const session_content&, std::uint32_t) {
  return {false, false, "no deletes here"};
}

struct server_copy {
  covalue_state state;
  session_signers signers;
  explicit server_copy(const std::string& id) : state(id) {}
  apply_outcome apply(const signed_world& w, content_message m, const delete_judge& judge = no_deletes) {
    return apply_content(state, m, signers, w.accounts(), judge);
  }
};

// alice (admin of the map's owning group) marks the client's map deleted, in the delete
// session "…_session_<suffix>"; the server already holds the map's first edit.
struct delete_scene {
  signed_world w;
  server_copy server{w.map->id()};
  std::optional<local_writer> deleter;
  explicit delete_scene(const std::string& suffix) {
    w.edit("a", 1);
    server.apply(w, w.whole_map());
    deleter.emplace(w.alice.identity, suffix);
    deleter->append_trusting(*w.map, "[]", signed_world::kNow + 100, "{\"deleted\":\"" + w.map->id() + "\"}");
  }
  content_message marker() const {
    auto messages = signed_world::content_since(*w.map, server.state.known());
    BOOST_REQUIRE_EQUAL(messages.size(), 1u);
    return messages[0];
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(content_apply)

BOOST_AUTO_TEST_CASE(new_covalue_with_header_is_applied_whole) {
  signed_world w;
  w.edit("a", 1);
  w.edit("b", 2);
  server_copy server(w.map->id());
  auto out = server.apply(w, w.whole_map());
  BOOST_TEST(out.header_new);
  BOOST_TEST(!out.gap);
  BOOST_TEST(out.faults.empty());
  BOOST_TEST(out.transactions_added == 2u);
  BOOST_REQUIRE_EQUAL(out.appended.size(), 1u);
  BOOST_TEST(out.appended[0].first == w.session());
  BOOST_TEST(out.appended[0].second == 0u);
  BOOST_TEST(out.accepted.sessions.at(w.session()) == 2u);
  BOOST_TEST(server.state.known() == w.map->known());
}

BOOST_AUTO_TEST_CASE(content_without_a_header_for_an_unknown_covalue_asks_for_it) {
  signed_world w;
  w.edit("a", 1);
  server_copy server(w.map->id());
  auto out = server.apply(w, w.map_from(0));
  BOOST_TEST(out.needs_header);
  BOOST_TEST(out.appended.empty());
  BOOST_TEST(!server.state.has_header());
}

BOOST_AUTO_TEST_CASE(a_gap_is_refused_and_out_of_order_content_applies_once_the_gap_is_filled) {
  signed_world w;
  w.edit("a", 1);
  server_copy server(w.map->id());
  auto first = w.whole_map();  // header + tx 0
  w.edit("b", 2);
  auto second = w.map_from(1);  // tx 1
  w.edit("c", 3);
  auto third = w.map_from(2);  // tx 2

  server.apply(w, first);
  auto early = server.apply(w, third);  // tx 2 before tx 1
  BOOST_TEST(early.gap);
  BOOST_TEST(early.appended.empty());
  BOOST_TEST(early.faults.empty());
  BOOST_TEST(server.state.count(w.session()) == 1u);

  auto filled = server.apply(w, second);
  BOOST_TEST(!filled.gap);
  BOOST_TEST(server.state.count(w.session()) == 2u);
  auto late = server.apply(w, third);
  BOOST_TEST(!late.gap);
  BOOST_TEST(late.appended.at(0).second == 2u);
  BOOST_TEST(server.state.count(w.session()) == 3u);
}

BOOST_AUTO_TEST_CASE(a_duplicate_adds_nothing_and_is_no_fault) {
  signed_world w;
  w.edit("a", 1);
  server_copy server(w.map->id());
  server.apply(w, w.whole_map());
  auto again = server.apply(w, w.whole_map());
  BOOST_TEST(!again.header_new);
  BOOST_TEST(again.faults.empty());
  BOOST_TEST(again.appended.empty());
  BOOST_TEST(again.transactions_added == 0u);
  BOOST_TEST(server.state.count(w.session()) == 1u);
}

BOOST_AUTO_TEST_CASE(a_forged_signature_is_refused_and_nothing_of_it_kept) {
  signed_world w;
  w.edit("a", 1);
  server_copy server(w.map->id());
  server.apply(w, w.whole_map());
  const std::string earlier = w.map_from(0).sessions[0].last_signature;  // alice's, over the chain up to tx 0
  w.edit("b", 2);
  auto forged = w.map_from(1);
  forged.sessions[0].last_signature = earlier;  // a real signature, of another hash
  auto out = server.apply(w, forged);
  BOOST_REQUIRE_EQUAL(out.faults.size(), 1u);
  BOOST_TEST(static_cast<int>(out.faults[0].kind) == static_cast<int>(content_fault::invalid_signature));
  BOOST_TEST(out.appended.empty());
  BOOST_TEST(server.state.count(w.session()) == 1u);
}

BOOST_AUTO_TEST_CASE(a_session_of_an_account_not_at_hand_has_no_signer) {
  signed_world w;
  w.edit("a", 1);
  covalue_state state(w.map->id());
  session_signers signers;
  auto message = w.whole_map();
  account_lookup nobody = [](const std::string&) { return std::optional<account_facts>(); };
  auto out = apply_content(state, message, signers, nobody, no_deletes);
  BOOST_TEST(out.header_new);
  BOOST_REQUIRE_EQUAL(out.faults.size(), 1u);
  BOOST_TEST(static_cast<int>(out.faults[0].kind) == static_cast<int>(content_fault::unknown_signer));
  BOOST_TEST(out.faults[0].why.find("is not available") != std::string::npos);
  BOOST_TEST(state.count(w.session()) == 0u);
}

BOOST_AUTO_TEST_CASE(a_session_that_failed_to_decode_is_refused) {
  signed_world w;
  w.edit("a", 1);
  server_copy server(w.map->id());
  auto message = w.whole_map();
  message.sessions[0].error = "bad transaction";
  auto out = server.apply(w, message);
  BOOST_REQUIRE_EQUAL(out.faults.size(), 1u);
  BOOST_TEST(static_cast<int>(out.faults[0].kind) == static_cast<int>(content_fault::invalid_transaction));
  BOOST_TEST(server.state.count(w.session()) == 0u);
}

BOOST_AUTO_TEST_CASE(a_valid_delete_takes_effect_and_later_ordinary_edits_are_not_kept) {
  delete_scene scene("dDel1$");
  auto& w = scene.w;
  auto& server = scene.server;
  group_registry groups;
  groups.add(*w.group);
  std::size_t asked = 0;
  delete_judge judge = [&](const session_content& entry, std::uint32_t held) {
    ++asked;
    return check_delete_session(server.state, entry, held, &groups);
  };
  auto out = server.apply(w, scene.marker(), judge);
  BOOST_TEST(asked == 1u);
  BOOST_TEST(out.faults.empty());
  BOOST_TEST(out.deleted);
  BOOST_TEST(out.deleted_by == scene.deleter->session_id());
  BOOST_TEST(server.state.is_deleted());
  BOOST_REQUIRE_EQUAL(out.appended.size(), 1u);
  BOOST_TEST(out.appended[0].first == scene.deleter->session_id());

  // An ordinary edit after the delete is not kept, and the judge is not asked about it.
  w.edit("b", 2);
  auto later = server.apply(w, w.map_from(1), judge);
  BOOST_TEST(asked == 1u);
  BOOST_TEST(later.appended.empty());
  BOOST_TEST(later.faults.empty());
  BOOST_TEST(server.state.count(w.session()) == 1u);
}

BOOST_AUTO_TEST_CASE(a_refused_delete_leaves_the_covalue_as_it_was) {
  delete_scene scene("dDel2$");
  auto& w = scene.w;
  auto& server = scene.server;
  delete_judge refuse = [](const session_content&, std::uint32_t) {
    return delete_check{false, false, "only admins of the owning group can delete"};
  };
  auto out = server.apply(w, scene.marker(), refuse);
  BOOST_REQUIRE_EQUAL(out.faults.size(), 1u);
  BOOST_TEST(static_cast<int>(out.faults[0].kind) == static_cast<int>(content_fault::invalid_delete));
  BOOST_TEST(!out.deleted);
  BOOST_TEST(!server.state.is_deleted());
  BOOST_TEST(server.state.count(scene.deleter->session_id()) == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(session_signer)

BOOST_AUTO_TEST_CASE(agent_and_account_sessions_resolve_and_bad_ones_say_why) {
  signed_world w;
  std::string why;
  auto account_key = moai::protocol::session_signer(w.session(), w.accounts(), why);
  BOOST_REQUIRE(account_key);
  const std::string agent_session = w.alice.identity.agent_id() + "_session_zAbc";
  auto agent_key = moai::protocol::session_signer(agent_session, {}, why);
  BOOST_REQUIRE(agent_key);
  BOOST_TEST((*account_key == *agent_key));  // an account is signed by its initialAdmin agent

  BOOST_TEST(!moai::protocol::session_signer("nonsense", w.accounts(), why));
  BOOST_TEST(why == "invalid session ID");
  // The group is a CoValue at hand but not an account.
  const std::string group_session = w.group->id() + "_session_zAbc";
  account_lookup groups = [&](const std::string& id) -> std::optional<account_facts> {
    if (id != w.group->id()) return std::nullopt;
    return account_facts{w.group->header()->is_account(), w.group->header()->initial_admin};
  };
  BOOST_TEST(!moai::protocol::session_signer(group_session, groups, why));
  BOOST_TEST(why == w.group->id() + " is not an account");
}

BOOST_AUTO_TEST_CASE(remembered_keys_are_the_keys_resolved) {
  signed_world w;
  session_signers signers;
  std::string why;
  std::size_t lookups = 0;
  account_lookup counting = [&](const std::string& id) {
    ++lookups;
    return w.accounts()(id);
  };
  auto first = signers.find(w.session(), counting, why);
  auto second = signers.find(w.session(), counting, why);
  BOOST_REQUIRE(first && second);
  BOOST_TEST((*first == *second));
  BOOST_TEST((*first == *moai::protocol::session_signer(w.session(), w.accounts(), why)));
  // The account is looked up each time (its facts may arrive later); the key is decoded once.
  BOOST_TEST(lookups == 2u);
}

BOOST_AUTO_TEST_SUITE_END()

#include "protocol/sync/schema_rule.hpp"

BOOST_AUTO_TEST_SUITE(schema_rule)

BOOST_AUTO_TEST_CASE(only_covalues_without_a_schema_are_refused) {
  signed_world w;
  const auto stamp = creation_stamp::at(signed_world::kNow);
  auto plain = make_owned_header("comap", w.group->id(), stamp.created_at, stamp.uniqueness);
  auto with_schema = make_owned_header("comap", w.group->id(), stamp.created_at, stamp.uniqueness,
                                       R"({"$schema":"co_zSchema"})");
  auto other_meta = make_owned_header("comap", w.group->id(), stamp.created_at, stamp.uniqueness, R"({"name":"x"})");
  BOOST_REQUIRE(plain && with_schema && other_meta);
  BOOST_TEST(missing_schema(covalue_id_of(*plain), *plain, "").has_value());
  BOOST_TEST(missing_schema(covalue_id_of(*other_meta), *other_meta, "").has_value());
  BOOST_TEST(!missing_schema(covalue_id_of(*with_schema), *with_schema, ""));
  // Groups, accounts and the server's own account are exempt.
  BOOST_TEST(!missing_schema(w.group->id(), *w.group->header(), ""));
  const auto* account = w.alice.find(w.alice.account_id);
  BOOST_TEST(!missing_schema(account->id(), *account->header(), ""));
  BOOST_TEST(!missing_schema(covalue_id_of(*plain), *plain, covalue_id_of(*plain)));
}

BOOST_AUTO_TEST_SUITE_END()
