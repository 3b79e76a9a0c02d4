// Reading as an account: read keys, decrypted transactions, CoMap and CoList content,
// compared with what real cojson readers computed (agent_fixtures.json, from
// test/vectors/gen_agent.mjs), and the cases where a reader must get nothing.
#include <boost/test/unit_test.hpp>

#include "agent_fixture.hpp"
#include "protocol/content/colist.hpp"
#include "protocol/content/comap.hpp"
#include "protocol/content/group_writer.hpp"
#include "protocol/content/local_writer.hpp"
#include "protocol/groups/read_keys.hpp"

using namespace moai::protocol;
using moai::test::str;

namespace {

const moai::test::agent_world& world() {
  static auto w = moai::test::load_agent_world();
  return *w;
}

std::optional<std::string> opt_str(const json_value& v, const char* key) {
  const json_value* m = find_member(v, key);
  if (!m || m->IsNull()) return std::nullopt;
  return std::string(m->GetString(), m->GetStringLength());
}

// JSON texts compared as values (both spelled by stableStringify rules).
std::string canonical(const std::string& json_text) {
  json_document doc;
  std::string error;
  BOOST_REQUIRE_MESSAGE(parse_json(json_text, doc, error), "not JSON: " << json_text);
  return stable_json(doc);
}

const json_value& expected(const char* reader) {
  return world().doc["expected"][reader];
}

}  // namespace

BOOST_AUTO_TEST_SUITE(agent_read)

BOOST_AUTO_TEST_CASE(fixture_content_verifies) {
  // Every session of every CoValue was accepted (signatures, header IDs).
  const auto& w = world();
  BOOST_TEST(w.states.size() == w.doc["covalues"].Size());
  for (const auto& covalue : w.doc["covalues"].GetArray()) {
    const covalue_state* s = w.find(str(covalue, "id"));
    BOOST_REQUIRE(s);
    BOOST_TEST(s->has_header());
    std::size_t sent = 0;
    for (const auto& m : covalue["messages"].GetArray()) {
      for (auto it = m["new"].MemberBegin(); it != m["new"].MemberEnd(); ++it) {
        sent += it->value["newTransactions"].Size();
      }
    }
    BOOST_TEST(s->transaction_count() == sent, str(covalue, "name"));
  }
}

BOOST_AUTO_TEST_CASE(read_keys_match_cojson) {
  for (const char* name : {"bob", "carol"}) {
    key_resolver keys(world().reader(name), world().lookup());
    const auto& groups = expected(name)["groups"];
    for (auto it = groups.MemberBegin(); it != groups.MemberEnd(); ++it) {
      const std::string label = it->name.GetString();
      const std::string group = world().id(label);
      const auto& e = it->value;
      BOOST_TEST_CONTEXT(name << " in " << label) {
        BOOST_TEST(keys.current_read_key_id(group).value_or("-") == str(e, "currentReadKey"));
        auto current = keys.current_read_key(group);
        BOOST_TEST((current ? current->secret_text() : "null") == opt_str(e, "currentSecret").value_or("null"));
        BOOST_TEST(keys.role_of(group).value_or("null") == opt_str(e, "myRole").value_or("null"));
        for (auto k = e["keys"].MemberBegin(); k != e["keys"].MemberEnd(); ++k) {
          auto secret = keys.read_key_secret(group, k->name.GetString());
          const std::string want = k->value.IsNull() ? "null" : k->value.GetString();
          BOOST_TEST((secret ? encode_key_secret(*secret) : "null") == want, k->name.GetString());
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(comaps_match_cojson) {
  for (const char* name : {"bob", "carol"}) {
    key_resolver keys(world().reader(name), world().lookup());
    const auto& maps = expected(name)["maps"];
    for (auto it = maps.MemberBegin(); it != maps.MemberEnd(); ++it) {
      const std::string label = it->name.GetString();
      BOOST_TEST_CONTEXT(name << " reads " << label) {
        const covalue_state* state = world().find(world().id(label));
        BOOST_REQUIRE(state);
        auto view = comap_view::read(*state, keys);
        BOOST_TEST(view.json() == canonical(str(it->value, "json")));
        const auto& edits = it->value["edits"];
        for (auto k = edits.MemberBegin(); k != edits.MemberEnd(); ++k) {
          const auto* edit = view.last_edit(k->name.GetString());
          BOOST_TEST_CONTEXT("key " << k->name.GetString()) {
            BOOST_REQUIRE(edit);
            BOOST_TEST(edit->author == str(k->value, "by"));
            BOOST_TEST(edit->tx.session_id == str(k->value, "sessionID"));
            BOOST_TEST(edit->tx.tx_index == k->value["txIndex"].GetUint());
            BOOST_TEST(edit->made_at == k->value["madeAt"].GetUint64());
            BOOST_TEST(edit->deleted == k->value["deleted"].GetBool());
            if (!edit->deleted) BOOST_TEST(edit->value_json == canonical(str(k->value, "value")));
          }
        }
        // Keys cojson has no op for are absent here too.
        for (const auto& key : view.keys()) BOOST_TEST(edits.HasMember(key.c_str()), key);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(colists_match_cojson) {
  for (const char* name : {"bob", "carol"}) {
    key_resolver keys(world().reader(name), world().lookup());
    const auto& lists = expected(name)["lists"];
    for (auto it = lists.MemberBegin(); it != lists.MemberEnd(); ++it) {
      BOOST_TEST_CONTEXT(name << " reads " << it->name.GetString()) {
        const covalue_state* state = world().find(world().id(it->name.GetString()));
        BOOST_REQUIRE(state);
        auto view = colist_view::read(*state, keys);
        BOOST_TEST(view.json() == canonical(str(it->value, "json")));
        const auto& last = it->value["last"];
        if (last.IsNull()) {
          BOOST_TEST(!view.last());
        } else {
          BOOST_REQUIRE(view.last());
          BOOST_TEST(view.last()->session_id == str(last, "sessionID"));
          BOOST_TEST(view.last()->tx_index == last["txIndex"].GetUint());
          BOOST_TEST(view.last()->change_index == last["changeIdx"].GetUint());
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(private_transactions_decrypt_as_in_cojson) {
  std::size_t decrypted = 0, withheld = 0;
  for (const char* name : {"bob", "carol"}) {
    key_resolver keys(world().reader(name), world().lookup());
    for (const auto& e : expected(name)["decrypted"].GetArray()) {
      const covalue_state* state = world().find(world().id(str(e, "covalue")));
      BOOST_REQUIRE(state);
      const session_log* log = state->find_session(str(e, "sessionID"));
      BOOST_REQUIRE(log);
      const transaction_id id{log->id(), e["txIndex"].GetUint()};
      const transaction& tx = log->transactions().at(id.tx_index);
      auto key = keys.read_key_secret(key_resolver::key_owner(*state), str(e, "keyUsed"));
      auto plain = key ? decrypt_transaction(state->id(), id, tx, *key) : std::nullopt;
      auto want = opt_str(e, "changes");
      BOOST_TEST_CONTEXT(name << " " << str(e, "covalue") << " " << id.session_id << "#" << id.tx_index) {
        BOOST_TEST(plain.has_value() == want.has_value());
        if (plain && want) {
          ++decrypted;
          BOOST_TEST(canonical(plain->changes_json) == canonical(*want));
          auto meta = opt_str(e, "meta");
          BOOST_TEST(plain->meta_json.has_value() == meta.has_value());
          if (plain->meta_json && meta) BOOST_TEST(canonical(*plain->meta_json) == canonical(*meta));
        } else {
          ++withheld;
        }
      }
    }
  }
  BOOST_TEST(decrypted > 10u);
  BOOST_TEST(withheld > 0u);  // carol after her removal
}

BOOST_AUTO_TEST_CASE(invalid_writers_do_not_count) {
  key_resolver keys(world().reader("bob"), world().lookup());
  decode_stats stats;
  auto txs = decode_transactions(*world().find(world().id("m1")), keys, &stats);
  BOOST_TEST(stats.invalid == 1u);  // carol's write as a reader
  BOOST_TEST(stats.undecryptable == 0u);
  BOOST_TEST(!stats.owner_missing);
  for (const auto& tx : txs) BOOST_TEST(tx.id.session_id.rfind(world().id("carolAccount"), 0) != 0);
  // Sorted by madeAt.
  for (std::size_t i = 1; i < txs.size(); ++i) BOOST_TEST(txs[i - 1].made_at <= txs[i].made_at);
}

BOOST_AUTO_TEST_CASE(outsider_gets_no_keys) {
  // A valid identity that no group knows.
  agent_identity outsider{"co_zOutsiderAccount", agent_secret_from_seed(key32{42})};
  key_resolver keys(outsider, world().lookup());
  for (const char* label : {"g1", "parent", "child", "c3", "sparksGroup"}) {
    const std::string group = world().id(label);
    BOOST_TEST(!keys.current_read_key(group), label);
    BOOST_TEST(!keys.role_of(group), label);
  }
  // Public groups stay readable.
  BOOST_TEST(keys.current_read_key(world().id("pub")).has_value());
  // Only trusting edits show; keys that were only ever written privately are absent.
  auto m1 = comap_view::read(*world().find(world().id("m1")), keys);
  for (const char* key : {"title", "a", "b", "tie", "xtie", "post", "meta"}) BOOST_TEST(!m1.get(key), key);
  BOOST_TEST(m1.get("t").value_or("-") == "\"bob-trusting\"");
  // The one trusting item hangs after a private one, so no outsider reaches it (carol,
  // who lacks the list's key, sees [] in cojson too).
  BOOST_TEST(colist_view::read(*world().find(world().id("list")), keys).items().empty());
}

BOOST_AUTO_TEST_CASE(wrong_key_and_unknown_key) {
  const auto& w = world();
  key_resolver keys(w.reader("bob"), w.lookup());
  const covalue_state& m1 = *w.find(w.id("m1"));
  const auto old_key = keys.read_key_secret(w.id("g1"), str(expected("carol")["groups"]["g1"], "currentReadKey"));
  BOOST_REQUIRE(old_key);
  std::size_t tried = 0;
  for (const auto& log : m1.sessions()) {
    for (std::uint32_t i = 0; i < log.count(); ++i) {
      const transaction& tx = log.transactions()[i];
      auto content = read_private_content(tx);
      if (!content) continue;
      auto right = keys.read_key_secret(w.id("g1"), content->key_used);
      BOOST_REQUIRE(right);
      const key32 wrong = *right == *old_key ? key32{7} : *old_key;
      BOOST_TEST(decrypt_transaction(m1.id(), {log.id(), i}, tx, *right).has_value());
      // XSalsa20 has no MAC; a wrong key yields bytes that are not JSON.
      BOOST_TEST(!decrypt_transaction(m1.id(), {log.id(), i}, tx, wrong).has_value());
      // The nonce binds the position: the right key at another index fails too.
      BOOST_TEST(!decrypt_transaction(m1.id(), {log.id(), i + 1}, tx, *right).has_value());
      ++tried;
    }
  }
  BOOST_TEST(tried > 5u);
  BOOST_TEST(!keys.read_key_secret(w.id("g1"), "key_zNoSuchKey111111"));
  BOOST_TEST(!keys.read_key_secret("co_zNotLoaded", "key_zNoSuchKey111111"));

  // A transaction under a key the group never revealed: valid author, unreadable content.
  std::map<std::string, covalue_state> copy(w.states.begin(), w.states.end());
  covalue_state& m1_copy = copy.at(w.id("m1"));
  const local_writer bob(w.reader("bob"), local_writer::random_session_suffix());
  const read_key stray = new_random_read_key();
  bob.append_private(m1_copy, *comap_set_changes("title", "\"stray\""), stray, 4102444800000);
  key_resolver copy_keys(w.reader("bob"), [&](const std::string& id) -> const covalue_state* {
    auto it = copy.find(id);
    return it == copy.end() ? nullptr : &it->second;
  });
  decode_stats stats;
  auto view = comap_view::from(decode_transactions(m1_copy, copy_keys, &stats));
  BOOST_TEST(stats.undecryptable == 1u);
  BOOST_TEST(view.json() == canonical(str(expected("bob")["maps"]["m1"], "json")));
}

BOOST_AUTO_TEST_CASE(tampering_is_caught) {
  const auto& w = world();
  // A flipped ciphertext character breaks the session's signature: the content is refused.
  for (const auto& covalue : w.doc["covalues"].GetArray()) {
    if (str(covalue, "name") != "m1") continue;
    std::string wire = moai::test::to_wire(covalue["messages"][0]);
    auto at = wire.find("\"encryptedChanges\":\"encrypted_U");
    BOOST_REQUIRE(at != std::string::npos);
    char& c = wire[at + 32];
    c = c == 'A' ? 'B' : 'A';
    auto frame = decode_frame(wire);
    BOOST_REQUIRE(frame.messages.size() == 1u);
    covalue_state fresh(str(covalue, "id"));
    auto result = ingest_content(fresh, std::get<content_message>(frame.messages[0]), w.lookup());
    BOOST_TEST(!result.errors.empty());
  }
  // A tampered sealed revelation does not unseal (Poly1305), so the key is out of reach.
  const std::string g1 = w.id("g1");
  std::map<std::string, covalue_state> copy(w.states.begin(), w.states.end());
  covalue_state& group = copy.at(g1);
  covalue_state tampered(g1);
  tampered.set_header(*group.header());
  const std::string bob_account = w.id("bobAccount");
  std::size_t flipped = 0;
  for (const auto& log : group.sessions()) {
    std::vector<transaction> txs;
    for (const auto& tx : log.transactions()) {
      auto content = read_trusting_content(tx);
      std::string changes = content ? content->changes : std::string();
      auto pos = changes.find("_for_" + bob_account + "\",\"value\":\"sealed_U");
      if (pos != std::string::npos) {
        char& c = changes[changes.find("sealed_U", pos) + 12];
        c = c == 'A' ? 'B' : 'A';
        ++flipped;
        txs.push_back(make_trusting_transaction(changes, tx.made_at, content->meta));
      } else {
        txs.push_back(tx);
      }
    }
    tampered.add_trusted(log.id(), std::move(txs), log.last_signature());
  }
  BOOST_TEST(flipped == 2u);  // both of bob's revelations (before and after the rotation)
  copy.erase(g1);
  copy.emplace(g1, std::move(tampered));
  key_resolver keys(w.reader("bob"), [&](const std::string& id) -> const covalue_state* {
    auto it = copy.find(id);
    return it == copy.end() ? nullptr : &it->second;
  });
  BOOST_TEST(!keys.current_read_key(g1));
  BOOST_TEST(keys.role_of(g1).value_or("-") == "writer");  // membership itself is intact
}

BOOST_AUTO_TEST_CASE(group_sealer_round_trip) {
  // sealForGroup / unsealForGroup: only the group sealer's secret opens it.
  const read_key key = new_random_read_key();
  const key32 sealer = group_sealer_secret(key.secret_text());
  const std::string material = transaction_nonce_material("co_zX", "co_zY_session_zZ", 3);
  const std::string sealed = seal_for_group_text(x25519_public_key(sealer), "\"keySecret_zabc\"", material);
  BOOST_TEST(sealed.rfind("sealedForGroup_U", 0) == 0u);
  BOOST_TEST(unseal_for_group_text(sealer, sealed, material).value_or("-") == "\"keySecret_zabc\"");
  BOOST_TEST(!unseal_for_group_text(key32{5}, sealed, material));
  BOOST_TEST(!unseal_for_group_text(sealer, sealed, transaction_nonce_material("co_zX", "co_zY_session_zZ", 4)));
  BOOST_TEST(!unseal_for_group_text(sealer, "sealedForGroup_UAAAA", material));
  BOOST_TEST(!unseal_for_group_text(sealer, "sealed_Uxyz", material));
}

BOOST_AUTO_TEST_SUITE_END()
