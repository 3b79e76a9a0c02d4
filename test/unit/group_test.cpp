// Group permission rules on groups written by real cojson clients, and on
// hand-made groups where some transactions must be invalid.
#include <boost/test/unit_test.hpp>

#include "protocol/crypto/keys.hpp"
#include "protocol/groups/group.hpp"
#include "protocol/sync/codec.hpp"
#include "vectors.hpp"

using namespace moai::protocol;

namespace {

// Every CoValue the clients uploaded in transcript.jsonl, trusted as stored.
std::map<std::string, covalue_state> uploaded(const std::string& name) {
  std::map<std::string, covalue_state> states;
  for (const auto& line : moai::test::vector_lines(name)) {
    json_document doc;
    std::string error;
    BOOST_REQUIRE(parse_json(line, doc, error));
    if (std::string(doc["dir"].GetString()) != "client->server") continue;
    auto frame = decode_frame(moai::test::to_wire(doc["msg"]));
    for (auto& m : frame.messages) {
      auto* c = std::get_if<content_message>(&m);
      if (!c) continue;
      auto& s = states.try_emplace(c->id, c->id).first->second;
      if (c->header && !s.has_header()) s.set_header(*c->header);
      for (auto& entry : c->sessions) {
        std::uint32_t ours = s.count(entry.session_id);
        if (entry.after + entry.transactions.size() <= ours) continue;
        std::vector<transaction> fresh(entry.transactions.begin() + (ours - entry.after), entry.transactions.end());
        s.add_trusted(entry.session_id, std::move(fresh), entry.last_signature);
      }
    }
  }
  return states;
}

// A group built by hand: each transaction is one `set` in its own agent session.
struct group_builder {
  agent_secret admin = agent_secret_from_seed(key32{1});
  covalue_state state{"co_zHandMadeGroup"};
  std::uint64_t clock = 1000;

  group_builder() {
    json_document doc;
    std::string error;
    std::string header = R"({"type":"comap","ruleset":{"type":"group","initialAdmin":")" + admin.agent_id() +
                         R"("},"meta":null,"createdAt":null,"uniqueness":"u"})";
    parse_json(header, doc, error);
    state.set_header(*parse_header(doc, error));
  }

  void set(const std::string& author, const std::string& key, const std::string& value) {
    std::string changes = R"([{"op":"set","key":")" + key + R"(","value":")" + value + R"("}])";
    state.add_trusted(author + "_session_zTest", {make_trusting_transaction(changes, clock++, std::nullopt)}, "sig");
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(group)

BOOST_AUTO_TEST_CASE(groups_written_by_cojson) {
  auto states = uploaded("transcript.jsonl");
  const std::string group_id = "co_z95539FnbhQC49Qx8oje764Tzb3", account_a = "co_zd1sZzWpZ3qn3vihcwMjG631qkM",
                    account_b = "co_z29ogcKwizTGmRaut5ikp76MGiy";
  auto none = [](const std::string&) -> const group_view* { return nullptr; };
  auto view = group_view::evaluate(states.at(group_id), none);
  BOOST_TEST(view.role_of(account_a, std::nullopt, none).value_or("-") == "admin");
  // everyone: writer gives B (not a member) the writer role.
  BOOST_TEST(view.role_of(account_b, std::nullopt, none).value_or("-") == "writer");
  BOOST_REQUIRE(view.get("readKey"));
  BOOST_TEST(*view.get("readKey") == "key_z3VU3WRHPp4kZwqmTS");
  // Before the group existed, A had no role.
  BOOST_TEST(!view.role_of(account_a, 1, none));

  // The account itself: its agent is admin of it.
  auto account = group_view::evaluate(states.at(account_a), none);
  BOOST_TEST(account.is_account());
  const auto& agent = states.at(account_a).header()->initial_admin;
  BOOST_TEST(account.role_of(agent, std::nullopt, none).value_or("-") == "admin");
  BOOST_REQUIRE(account.get("profile"));
}

BOOST_AUTO_TEST_CASE(invalid_group_transactions_are_ignored) {
  group_builder g;
  auto stranger = agent_secret_from_seed(key32{2}).agent_id();
  auto writer = agent_secret_from_seed(key32{3}).agent_id();
  auto none = [](const std::string&) -> const group_view* { return nullptr; };

  g.set(stranger, stranger, "admin");       // not the initial admin: invalid
  g.set(g.admin.agent_id(), g.admin.agent_id(), "admin");
  g.set(g.admin.agent_id(), writer, "writer");
  g.set(writer, "readKey", "key_zForged");  // writers cannot set readKey
  g.set(writer, writer, "admin");           // nor promote themselves
  g.set(g.admin.agent_id(), "everyone", "admin");  // everyone can't be admin
  g.set(writer, writer, "revoked");         // self revocation is always allowed

  auto view = group_view::evaluate(g.state, none);
  BOOST_TEST(!view.role_of(stranger, std::nullopt, none));
  BOOST_TEST(view.role_of(g.admin.agent_id(), std::nullopt, none).value_or("-") == "admin");
  BOOST_TEST(!view.get("readKey"));
  BOOST_TEST(!view.get("everyone"));
  BOOST_TEST(!view.role_of(writer, std::nullopt, none));  // revoked reads as no role
  BOOST_TEST(view.role_of(writer, 1003, none).value_or("-") == "writer");  // at that time it was a writer
}

BOOST_AUTO_TEST_CASE(parent_groups_extend_roles) {
  auto none = [](const std::string&) -> const group_view* { return nullptr; };
  group_builder parent;
  parent.state = covalue_state("co_zParentGroup");
  {
    json_document doc;
    std::string error;
    std::string header = R"({"type":"comap","ruleset":{"type":"group","initialAdmin":")" + parent.admin.agent_id() +
                         R"("},"meta":null,"createdAt":null,"uniqueness":"p"})";
    parse_json(header, doc, error);
    parent.state.set_header(*parse_header(doc, error));
  }
  auto member = agent_secret_from_seed(key32{4}).agent_id();
  parent.set(parent.admin.agent_id(), parent.admin.agent_id(), "admin");
  parent.set(parent.admin.agent_id(), member, "writer");
  auto parent_view = group_view::evaluate(parent.state, none);

  group_builder child;
  child.set(child.admin.agent_id(), child.admin.agent_id(), "admin");
  child.set(child.admin.agent_id(), "parent_co_zParentGroup", "extend");
  auto lookup = [&](const std::string& id) -> const group_view* {
    return id == "co_zParentGroup" ? &parent_view : nullptr;
  };
  auto view = group_view::evaluate(child.state, lookup);
  BOOST_TEST(view.role_of(member, std::nullopt, lookup).value_or("-") == "writer");
  // Without the parent at hand the extension does not count.
  auto blind = group_view::evaluate(child.state, none);
  BOOST_TEST(!blind.role_of(member, std::nullopt, none));
}

BOOST_AUTO_TEST_SUITE_END()
