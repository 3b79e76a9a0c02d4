// Delete sessions (guide §2.9): who may delete what, on groups and CoValues written with
// the project's own writer (checked against real cojson in unit.agent_writes).
#include "protocol/groups/deletion.hpp"

#include <boost/test/unit_test.hpp>

#include "protocol/content/account_factory.hpp"
#include "protocol/content/group_writer.hpp"
#include "protocol/content/local_writer.hpp"
#include "protocol/covalue/header.hpp"
#include "protocol/crypto/crypto.hpp"
#include "protocol/encoding/base58.hpp"

using namespace moai::protocol;

namespace {

constexpr std::uint64_t kNow = 1764000000000;

struct world {
  created_account admin, writer;
  std::optional<covalue_state> group, map;
  group_registry groups;

  world() {
    crypto_init();
    admin = *create_account({"admin", kNow, std::nullopt, "", std::nullopt});
    writer = *create_account({"writer", kNow, std::nullopt, "", std::nullopt});
    local_writer as_admin(admin.identity, local_writer::random_session_suffix());
    auto created = create_group(as_admin, creation_stamp::at(kNow));
    BOOST_REQUIRE(created);
    BOOST_REQUIRE(add_member(as_admin, created->state, created->key, writer.account_id, writer.identity.agent_id(),
                             "writer", kNow + 1));
    group = std::move(created->state);
    const auto stamp = creation_stamp::at(kNow + 2);
    map = local_writer::new_covalue(*make_owned_header("comap", group->id(), stamp.created_at, stamp.uniqueness));
    groups.add(*group);
  }

  // A delete session of `who` carrying `txs` (signatures are not what is judged here).
  static session_content session_of(const created_account& who, std::vector<transaction> txs) {
    std::uint8_t random[7];
    random_bytes(random, sizeof random);
    return session_content{who.account_id + "_session_d" + base58_encode(random, sizeof random) + "$",
                           0,
                           std::move(txs),
                           "signature_z1",
                           {},
                           {}};
  }
  static transaction marker(const std::string& id, std::uint64_t at = kNow + 5) {
    return make_trusting_transaction("[]", at, "{\"deleted\":\"" + id + "\"}");
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(deletion)

BOOST_AUTO_TEST_CASE(an_admin_deletes_a_writer_may_not) {
  world w;
  auto verdict = check_delete_session(*w.map, world::session_of(w.admin, {world::marker(w.map->id())}), 0, &w.groups);
  BOOST_TEST(verdict.valid);
  BOOST_TEST(verdict.deletes);

  verdict = check_delete_session(*w.map, world::session_of(w.writer, {world::marker(w.map->id())}), 0, &w.groups);
  BOOST_TEST(!verdict.valid);
  BOOST_TEST(verdict.why == "only admins of the owning group can delete");
  // Before the writer was even added, it had no role at all.
  verdict =
      check_delete_session(*w.map, world::session_of(w.writer, {world::marker(w.map->id(), kNow - 1)}), 0, &w.groups);
  BOOST_TEST(!verdict.valid);
}

BOOST_AUTO_TEST_CASE(malformed_delete_sessions) {
  world w;
  auto two = world::session_of(w.admin, {world::marker(w.map->id()), world::marker(w.map->id())});
  BOOST_TEST(check_delete_session(*w.map, two, 0, &w.groups).why == "a delete session holds exactly one transaction");
  auto again = world::session_of(w.admin, {world::marker(w.map->id())});
  again.after = 1;
  BOOST_TEST(!check_delete_session(*w.map, again, 1, &w.groups).valid);
  auto elsewhere = world::session_of(w.admin, {world::marker("co_zSomethingElse")});
  BOOST_TEST(check_delete_session(*w.map, elsewhere, 0, &w.groups).why == "delete marker names another CoValue");
  auto of_group = world::session_of(w.admin, {world::marker(w.group->id())});
  BOOST_TEST(check_delete_session(*w.group, of_group, 0, &w.groups).why == "groups and accounts cannot be deleted");
  auto blind = world::session_of(w.admin, {world::marker(w.map->id())});
  BOOST_TEST(check_delete_session(*w.map, blind, 0, nullptr).why == "the owning group is not available");
}

BOOST_AUTO_TEST_CASE(without_a_marker_it_is_an_ordinary_transaction) {
  world w;
  auto plain = world::session_of(w.writer, {make_trusting_transaction("[]", kNow + 5, std::nullopt)});
  auto verdict = check_delete_session(*w.map, plain, 0, &w.groups);
  BOOST_TEST(verdict.valid);
  BOOST_TEST(!verdict.deletes);
  auto other_meta = world::session_of(w.writer, {make_trusting_transaction("[]", kNow + 5, "{\"note\":1}")});
  BOOST_TEST(check_delete_session(*w.map, other_meta, 0, &w.groups).deletes == false);
}

BOOST_AUTO_TEST_SUITE_END()
