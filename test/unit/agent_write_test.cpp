// Writing as an account: account creation, groups with members, private and trusting
// CoMap edits, CoList appends and deletes. The C++ readers must see what was intended;
// the same content is then dumped (MOAI_AGENT_WRITES_OUT, or a temporary file) for
// test/vectors/check_agent_writes.mjs, where real cojson nodes load and check it
// (ctest: interop.agent_writes).
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "agent_fixture.hpp"
#include "base/json_text.hpp"
#include "protocol/content/account_factory.hpp"
#include "protocol/content/colist.hpp"
#include "protocol/content/comap.hpp"
#include "protocol/content/covalue_edit.hpp"
#include "protocol/content/group_writer.hpp"
#include "protocol/content/local_writer.hpp"
#include "protocol/covalue/header.hpp"
#include "protocol/groups/read_keys.hpp"

using namespace moai::protocol;
namespace base = moai::base;
using moai::test::load_vector;
using moai::test::str;

namespace {

std::string canonical(const std::string& json_text) {
  json_document doc;
  std::string error;
  BOOST_REQUIRE_MESSAGE(parse_json(json_text, doc, error), "not JSON: " << json_text);
  return stable_json(doc);
}

std::string json_string(std::string_view s) {
  std::string out;
  base::append_json_string(out, s);
  return out;
}

// CoValues at hand: the fixture's plus what we write.
struct store {
  std::map<std::string, covalue_state> states;
  covalue_state& add(covalue_state s) {
    std::string id = s.id();
    return states.insert_or_assign(id, std::move(s)).first->second;
  }
  key_resolver keys(const agent_identity& who) const {
    return key_resolver(who, [this](const std::string& id) -> const covalue_state* {
      auto it = states.find(id);
      return it == states.end() ? nullptr : &it->second;
    });
  }
};

// The transactions of a CoValue with identifiers replaced by placeholders: what cojson
// and moai write must have the same shape even though keys and IDs are random.
std::vector<std::string> shape(const covalue_state& state, const std::string& account, const std::string& agent) {
  auto generic = [&](std::string text) {
    auto replace_all = [&](const std::string& from, const std::string& to) {
      for (auto pos = text.find(from); !from.empty() && pos != std::string::npos;
           pos = text.find(from, pos + to.size())) {
        text.replace(pos, from.size(), to);
      }
    };
    replace_all(agent, "<agent>");
    replace_all(account, "<account>");
    for (const std::string prefix : {"key_z", "keySecret_z", "sealer_z", "co_z"}) {
      const std::string placeholder = "<" + prefix.substr(0, prefix.size() - 2) + ">";
      for (auto pos = text.find(prefix); pos != std::string::npos; pos = text.find(prefix, pos + placeholder.size())) {
        auto end = text.find_first_of("\"_@/", pos + prefix.size());
        text.replace(pos, end == std::string::npos ? std::string::npos : end - pos, placeholder);
      }
    }
    return text;
  };
  std::vector<std::string> out;
  for (const auto& log : state.sessions()) {
    for (const auto& tx : log.transactions()) {
      if (tx.is_private) {
        out.push_back("private");
        continue;
      }
      auto content = read_trusting_content(tx);
      json_document changes;
      std::string error;
      BOOST_REQUIRE(content && parse_json(content->changes, changes, error));
      for (const auto& change : changes.GetArray()) {
        std::string value;
        if (const auto* v = find_member(change, "value"); v && v->IsString()) {
          value = std::string(view_of(*v));
          if (value.rfind("sealed_U", 0) == 0) value = "<sealed>";
          if (value.rfind("encrypted_U", 0) == 0) value = "<encrypted>";
        }
        out.push_back(str(change, "op") + " " + generic(str(change, "key")) + " = " + generic(value));
      }
    }
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(agent_writes)

BOOST_AUTO_TEST_CASE(account_creation_has_the_javascript_moais_shape) {
  // maia_account.json: the account MaiaOS's services/moai creates on a fresh volume, made
  // by real cojson (test/vectors/gen_maia_account.mjs).
  auto fixture = load_vector("maia_account.json");
  std::map<std::string, covalue_state> theirs_states;
  covalue_lookup lookup = [&](const std::string& id) -> const covalue_state* {
    auto it = theirs_states.find(id);
    return it == theirs_states.end() ? nullptr : &it->second;
  };
  std::map<std::string, std::string> names;
  for (auto it = fixture["names"].MemberBegin(); it != fixture["names"].MemberEnd(); ++it) {
    names[it->name.GetString()] = it->value.GetString();
  }
  for (const auto& covalue : fixture["covalues"].GetArray()) {
    for (const auto& message : covalue["messages"].GetArray()) {
      auto frame = decode_frame(moai::test::to_wire(message));
      BOOST_REQUIRE_EQUAL(frame.messages.size(), 1u);
      auto& m = std::get<content_message>(frame.messages[0]);
      auto& state = theirs_states.try_emplace(m.id, m.id).first->second;
      auto result = ingest_content(state, m, lookup);
      BOOST_REQUIRE(result.errors.empty());
    }
  }
  const std::string their_account = names.at("account");
  const std::string their_agent = theirs_states.at(their_account).header()->initial_admin;
  auto account = create_account({"Maia Sync Server", 1767225600000, std::nullopt, "", std::nullopt});
  BOOST_REQUIRE(account);
  const std::string agent = account->identity.agent_id();
  auto ours = [&](const std::string& id) { return shape(*account->find(id), account->account_id, agent); };
  auto theirs = [&](const char* name) { return shape(theirs_states.at(names.at(name)), their_account, their_agent); };
  BOOST_TEST(ours(account->account_id) == theirs("account"), boost::test_tools::per_element());
  BOOST_TEST(ours(account->profile_group_id) == theirs("profileGroup"), boost::test_tools::per_element());
  BOOST_TEST(ours(account->profile_id) == theirs("profile"), boost::test_tools::per_element());
  BOOST_TEST(ours(account->guardian_id) == theirs("guardian"), boost::test_tools::per_element());
  BOOST_TEST(ours(account->sparks_group_id) == theirs("sparksGroup"), boost::test_tools::per_element());
  BOOST_TEST(ours(account->sparks_id) == theirs("sparks"), boost::test_tools::per_element());
  BOOST_TEST(account->find(account->profile_id)->header()->json.find("\"meta\":{\"$schema\":\"ProfileSchema\"}") !=
             std::string::npos);
  BOOST_TEST(account->find(account->sparks_id)->header()->json.find("\"meta\":{\"$schema\":\"@metaSchema\"}") !=
             std::string::npos);
  // Same session layout: the account in the agent session, the rest in the account session.
  for (const auto& state : account->covalues) {
    for (const auto& log : state.sessions()) {
      const bool agent_session = log.id().rfind(agent + "_session_z", 0) == 0;
      BOOST_TEST(agent_session == state.header()->is_account(), state.id());
    }
  }
  // The account's ID follows from the secret alone: the same secret gives the same ID.
  auto parsed = parse_agent_secret(account->agent_secret);
  BOOST_REQUIRE(parsed);
  account_options again{"Maia Sync Server", 1767225600001, std::nullopt, "", *parsed};
  BOOST_TEST(create_account(again)->account_id == account->account_id);
}

BOOST_AUTO_TEST_CASE(headers_hash_like_cojson) {
  // The fixture's headers, rebuilt from their members, hash to the IDs cojson gave them.
  auto world = moai::test::load_agent_world();
  std::size_t rebuilt = 0;
  for (const auto& [id, state] : world->states) {
    const covalue_header& h = *state.header();
    json_document doc;
    std::string error;
    BOOST_REQUIRE(parse_json(h.json, doc, error));
    std::optional<covalue_header> again;
    if (h.is_account()) {
      again = make_account_header(h.initial_admin);
    } else if (h.ruleset == ruleset_kind::group) {
      again = make_group_header(h.initial_admin, str(doc, "createdAt"), str(doc, "uniqueness"));
    } else if (h.ruleset == ruleset_kind::owned_by_group) {
      again = make_owned_header(h.type, h.group, str(doc, "createdAt"), str(doc, "uniqueness"));
    }
    BOOST_REQUIRE(again);
    BOOST_TEST(covalue_id_of(*again) == id);
    ++rebuilt;
  }
  BOOST_TEST(rebuilt == world->states.size());
  BOOST_TEST(iso_timestamp(0) == "1970-01-01T00:00:00.000Z");
  BOOST_TEST(iso_timestamp(1709251199999) == "2024-02-29T23:59:59.999Z");
  BOOST_TEST(iso_timestamp(1735689600001) == "2025-01-01T00:00:00.001Z");
}

BOOST_AUTO_TEST_CASE(created_account_reads_back) {
  const std::uint64_t now = 1767225600000;  // 2026-01-01
  auto account = create_account({"moai agent", now, std::nullopt, "", std::nullopt});
  BOOST_REQUIRE(account);
  BOOST_TEST(account->covalues.size() == 6u);
  auto parsed = parse_identity(account->account_id, account->agent_secret);
  BOOST_REQUIRE(parsed);
  BOOST_TEST(parsed->agent_id() == account->identity.agent_id());
  BOOST_TEST(account->session_id.rfind(account->account_id + "_session_z", 0) == 0u);

  store s;
  for (const auto& c : account->covalues) s.add(c);
  const covalue_state& acc = s.states.at(account->account_id);
  BOOST_TEST(acc.header()->is_account());
  BOOST_REQUIRE(acc.sessions().size() == 1u);
  BOOST_TEST(acc.sessions()[0].id().rfind(account->identity.agent_id() + "_session_z", 0) == 0u);
  BOOST_TEST(acc.sessions()[0].count() == 5u);

  auto keys = s.keys(account->identity);
  auto view = comap_view::read(acc, keys);
  BOOST_TEST(view.get_string("profile").value_or("-") == account->profile_id);
  BOOST_TEST(view.get_string("sparks").value_or("-") == account->sparks_id);
  BOOST_TEST(view.get_string(account->identity.agent_id()).value_or("-") == "admin");
  BOOST_TEST(comap_view::read(s.states.at(account->profile_id), keys).json() == R"({"name":"moai agent"})");
  BOOST_TEST(comap_view::read(s.states.at(account->sparks_id), keys).json() == "{}");
  // The account left the sparks group: it administers the sparks through the guardian.
  BOOST_TEST(keys.role_of(account->sparks_group_id).value_or("-") == "admin");
  BOOST_TEST(keys.role_of(account->guardian_id).value_or("-") == "admin");
  BOOST_TEST(keys.role_of(account->profile_group_id).value_or("-") == "admin");

  // Anyone reads the profile; only the account reads `profile` and `sparks` (private
  // account edits, as MaiaOS makes them).
  agent_identity other{"co_zSomeoneElse", agent_secret_from_seed(key32{9})};
  auto others = s.keys(other);
  BOOST_TEST(comap_view::read(s.states.at(account->profile_id), others).json() == R"({"name":"moai agent"})");
  BOOST_TEST(!comap_view::read(acc, others).get("sparks"));
  BOOST_TEST(!comap_view::read(acc, others).get("profile"));

  // The same seed gives the same account (IDs depend only on the agent).
  key32 seed{};
  seed[0] = 1;
  auto a1 = create_account({"x", now, seed, "", std::nullopt});
  auto a2 = create_account({"y", now + 5, seed, "", std::nullopt});
  BOOST_REQUIRE(a1 && a2);
  BOOST_TEST(a1->account_id == a2->account_id);
  BOOST_TEST(a1->profile_id != a2->profile_id);
  BOOST_TEST(account->content_messages().size() == 6u);
}

BOOST_AUTO_TEST_CASE(round_trip_for_cojson) {
  auto world = moai::test::load_agent_world();
  store s;
  for (const auto& [id, state] : world->states) s.add(state);
  const agent_identity bob = world->reader("bob");
  const std::string bob_agent = *s.keys(bob).agent_of(bob.account_id);

  const std::uint64_t t = 1767225600000;
  auto account = create_account({"moai agent", t, std::nullopt, "", std::nullopt});
  BOOST_REQUIRE(account);
  for (const auto& c : account->covalues) s.add(c);
  const std::string suffix = account->session_id.substr(account->session_id.find("_session_") + 9);
  const local_writer me(account->identity, suffix);

  // A private group with bob as writer.
  auto group = create_group(me, creation_stamp::at(t + 10));
  BOOST_REQUIRE(group);
  BOOST_REQUIRE(add_member(me, group->state, group->key, bob.account_id, bob_agent, "writer", t + 11));
  BOOST_TEST(!add_member(me, group->state, group->key, bob.account_id, bob_agent, "writeOnly", t + 11));
  BOOST_TEST(!add_everyone(me, group->state, group->key, "admin", t + 11));
  const std::string group_id = s.add(std::move(group->state)).id();

  auto keys = s.keys(account->identity);
  auto key = keys.current_read_key(group_id);
  BOOST_REQUIRE(key);
  BOOST_TEST(key->id == group->key.id);

  // A CoMap with private and trusting edits, a delete, several keys in one transaction.
  const creation_stamp map_stamp = creation_stamp::at(t + 20);
  covalue_state& map = s.add(
      local_writer::new_covalue(*make_owned_header("comap", group_id, map_stamp.created_at, map_stamp.uniqueness)));
  me.append_private(map, *comap_set_changes("title", json_string("Hello from moai")), *key, t + 21);
  me.append_private(map, *comap_set_changes("count", "1"), *key, t + 22);
  me.append_trusting(map, *comap_set_changes("visible", json_string("plain")), t + 23);
  me.append_private(map, comap_delete_changes("count"), *key, t + 24);
  me.append_private(
      map, *comap_set_changes({{"nested", R"({"list":[1,2.5,"x"],"ok":true,"u":"é\u2028"})"}, {"n", "-0.000001"}}),
      *key, t + 25, std::string(R"({"note":"private meta"})"));
  BOOST_TEST(
      std::holds_alternative<transaction_id>(comap_set(me, keys, map, "title", json_string("Hello again"), t + 26)));
  me.append_trusting(map, *comap_set_changes("same", json_string("first")), t + 27);
  me.append_trusting(map, *comap_set_changes("same", json_string("second")), t + 27);
  const std::string map_json = R"({"n":-0.000001,"nested":{"list":[1,2.5,"x"],"ok":true,"u":"é)"
                               "\xE2\x80\xA8"
                               R"("},"same":"second","title":"Hello again","visible":"plain"})";

  // A CoList: appends at the end (after the last item), one delete.
  const creation_stamp list_stamp = creation_stamp::at(t + 30);
  covalue_state& list = s.add(
      local_writer::new_covalue(*make_owned_header("colist", group_id, list_stamp.created_at, list_stamp.uniqueness)));
  std::uint64_t clock = t + 31;
  for (const char* item : {"\"one\"", "\"two\"", "{\"three\":3}", "\"four\""}) {
    auto appended = colist_append(me, keys, list, {item}, clock++);
    BOOST_TEST(std::holds_alternative<transaction_id>(appended));
  }
  keys = s.keys(account->identity);
  auto before_delete = colist_view::read(list, keys);
  BOOST_REQUIRE(before_delete.items().size() == 4u);
  me.append_private(list, colist_delete_changes(before_delete.items()[1].id), *key, clock++);
  BOOST_TEST(std::holds_alternative<transaction_id>(
      colist_append(me, keys, list, {"\"five\"", "\"six\""}, clock++, privacy::trusting)));
  const std::string list_json = R"(["one",{"three":3},"four","five","six"])";

  // A public group (everyone reads) with a private map.
  auto pub = create_group(me, creation_stamp::at(t + 40));
  BOOST_REQUIRE(pub);
  BOOST_REQUIRE(add_everyone(me, pub->state, pub->key, "reader", t + 41));
  const std::string pub_id = s.add(std::move(pub->state)).id();
  const creation_stamp pub_map_stamp = creation_stamp::at(t + 42);
  covalue_state& pub_map = s.add(local_writer::new_covalue(
      *make_owned_header("comap", pub_id, pub_map_stamp.created_at, pub_map_stamp.uniqueness)));
  me.append_private(pub_map, *comap_set_changes("greeting", json_string("hi everyone")), pub->key, t + 43);

  // The agent API's first write: sparks["@maia"].
  keys = s.keys(account->identity);
  const std::string spark = world->id("m5");
  BOOST_TEST(std::holds_alternative<transaction_id>(
      comap_set(me, keys, s.states.at(account->sparks_id), "@maia", json_string(spark), t + 50)));

  // Edits that readers would ignore or cannot read are refused up front.
  const local_writer as_bob(bob, local_writer::random_session_suffix());
  auto bob_keys = s.keys(bob);
  auto refused = [](const edit_result& r) -> std::string {
    return std::holds_alternative<edit_error>(r) ? to_string(std::get<edit_error>(r)) : "accepted";
  };
  BOOST_TEST(refused(comap_set(as_bob, bob_keys, s.states.at(account->sparks_id), "x", "1", t + 51)) ==
             std::string(to_string(edit_error::not_permitted)));
  BOOST_TEST(refused(comap_set(as_bob, bob_keys, s.states.at(account->account_id), "x", "1", t + 51)) ==
             std::string(to_string(edit_error::not_permitted)));
  BOOST_TEST(refused(comap_set(me, keys, s.states.at(account->account_id), "x", "1", t + 51, privacy::trusting)) ==
             std::string(to_string(edit_error::not_permitted)));
  BOOST_TEST(refused(comap_set(me, keys, map, "x", "{not json", t + 51)) ==
             std::string(to_string(edit_error::bad_value)));
  BOOST_TEST(refused(colist_append(me, keys, map, {"1"}, t + 51)) == std::string(to_string(edit_error::wrong_type)));
  // Bob only reads the public group's map (everyone: reader).
  BOOST_TEST(refused(comap_set(as_bob, bob_keys, s.states.at(world->id("m5")), "x", "1", t + 51)) ==
             std::string(to_string(edit_error::not_permitted)));

  // C++ readers see what was intended: the server, and bob (a member).
  for (const agent_identity* who : {static_cast<const agent_identity*>(&account->identity), &bob}) {
    auto k = s.keys(*who);
    BOOST_TEST(comap_view::read(s.states.at(map.id()), k).json() == canonical(map_json));
    BOOST_TEST(colist_view::read(s.states.at(list.id()), k).json() == canonical(list_json));
    BOOST_TEST(comap_view::read(s.states.at(pub_map.id()), k).json() == R"({"greeting":"hi everyone"})");
  }
  BOOST_TEST(s.keys(bob).role_of(group_id).value_or("-") == "writer");
  BOOST_TEST(comap_view::read(s.states.at(account->sparks_id), keys).get_string("@maia").value_or("-") == spark);
  decode_stats stats;
  keys = s.keys(account->identity);
  decode_transactions(s.states.at(map.id()), keys, &stats);
  BOOST_TEST(stats.invalid == 0u);
  BOOST_TEST(stats.undecryptable == 0u);

  // Dump for the cojson check: bob's account and profile (so he can log in), then what we wrote.
  std::vector<std::string> messages;
  for (const char* name : {"bobAccount", "bobProfileGroup", "bobProfile"}) {
    for (const auto& m : s.states.at(world->id(name)).new_content_since(nullptr)) messages.push_back(m);
  }
  std::vector<std::string> written = {account->account_id,
                                      account->profile_group_id,
                                      account->profile_id,
                                      account->guardian_id,
                                      account->sparks_group_id,
                                      account->sparks_id,
                                      group_id,
                                      map.id(),
                                      list.id(),
                                      pub_id,
                                      pub_map.id()};
  std::string known = "{";
  for (const auto& id : written) {
    const covalue_state& state = s.states.at(id);
    for (const auto& m : state.new_content_since(nullptr)) messages.push_back(m);
    if (known.size() > 1) known.push_back(',');
    base::append_json_string(known, id);
    known.push_back(':');
    known.append(encode_known(state.known()));
  }
  known.push_back('}');
  // Each message decodes again (header hashes to its ID, every transaction parses).
  for (const auto& m : messages) {
    auto frame = decode_frame(m);
    BOOST_TEST(frame.errors.empty());
    BOOST_TEST(frame.messages.size() == 1u);
  }

  std::string out =
      "{\"server\":{\"accountID\":" + json_string(account->account_id) +
      ",\"agentSecret\":" + json_string(account->agent_secret) + ",\"profileID\":" + json_string(account->profile_id) +
      ",\"sparksID\":" + json_string(account->sparks_id) + "},\"bob\":{\"accountID\":" + json_string(bob.account_id) +
      ",\"agentSecret\":" + json_string(bob.secret.text()) + "},\"ids\":{\"group\":" + json_string(group_id) +
      ",\"map\":" + json_string(map.id()) + ",\"list\":" + json_string(list.id()) + ",\"pub\":" + json_string(pub_id) +
      ",\"pubMap\":" + json_string(pub_map.id()) + "},\"expected\":{\"map\":" + canonical(map_json) +
      ",\"list\":" + canonical(list_json) + ",\"pubMap\":{\"greeting\":\"hi everyone\"}" +
      ",\"profile\":{\"name\":\"moai agent\"},\"sparks\":{\"@maia\":" + json_string(spark) +
      "},\"groupKey\":{\"id\":" + json_string(key->id) + ",\"secret\":" + json_string(key->secret_text()) +
      "}},\"known\":" + known + ",\"messages\":[";
  for (std::size_t i = 0; i < messages.size(); ++i) out += (i ? ",\n" : "\n") + messages[i];
  out += "\n]}\n";
  BOOST_TEST(canonical(out).size() > 1000u);  // the dump itself is JSON

  const char* target = std::getenv("MOAI_AGENT_WRITES_OUT");
  const std::string path =
      target ? target : (std::filesystem::temp_directory_path() / "moai_agent_writes.json").string();
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << out;
  BOOST_TEST(static_cast<bool>(file), "could not write " << path);
}

BOOST_AUTO_TEST_SUITE_END()
