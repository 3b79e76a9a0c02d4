// Agents, signatures, encryption and sealing against primitives.json, and the
// constructions crypto_crosscheck.json re-derived independently.
#include <boost/test/unit_test.hpp>

#include "protocol/covalue/header.hpp"
#include "protocol/crypto/keys.hpp"
#include "protocol/encoding/base58.hpp"
#include "protocol/encoding/ids.hpp"
#include "vectors.hpp"

using namespace moai::protocol;
using moai::test::load_vector;
using moai::test::str;

namespace {

key32 seed_of(const json_value& agent) {
  bytes b;
  BOOST_REQUIRE(from_hex(str(agent, "secretSeedHex"), b));
  BOOST_REQUIRE_EQUAL(b.size(), 32u);
  key32 k{};
  std::copy(b.begin(), b.end(), k.begin());
  return k;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(keys)

BOOST_AUTO_TEST_CASE(agents_from_seeds) {
  auto doc = load_vector("primitives.json");
  int n = 0;
  for (const auto& a : doc["agents"].GetArray()) {
    BOOST_TEST_CONTEXT(str(a, "label")) {
      auto secret = agent_secret_from_seed(seed_of(a));
      BOOST_TEST(secret.text() == str(a, "secret"));
      BOOST_TEST(secret.agent_id() == str(a, "id"));
      BOOST_TEST(secret.signer_id() == str(a, "signerID"));
      BOOST_TEST(secret.sealer_id() == str(a, "sealerID"));
      auto parsed = parse_agent_secret(str(a, "secret"));
      BOOST_REQUIRE(parsed);
      BOOST_TEST(parsed->agent_id() == str(a, "id"));
      BOOST_TEST(agent_signer_id(str(a, "id")) == str(a, "signerID"));
      BOOST_TEST(agent_sealer_id(str(a, "id")) == str(a, "sealerID"));
      ++n;
    }
  }
  BOOST_TEST(n == 3);
  BOOST_TEST(!parse_agent_secret("sealerSecret_zabc"));
  BOOST_TEST(!parse_agent_secret("sealerSecret_z1/signerSecret_z1"));
}

BOOST_AUTO_TEST_CASE(account_ids_from_headers) {
  auto doc = load_vector("primitives.json");
  for (const auto& a : doc["accounts"].GetArray()) {
    std::string error;
    auto h = parse_header(a["header"], error);
    BOOST_REQUIRE(h);
    BOOST_TEST(covalue_id_of(*h) == str(a, "id"));
    BOOST_TEST(h->is_account());
    BOOST_TEST(h->initial_admin == str(a, "agent"));
  }
}

BOOST_AUTO_TEST_CASE(session_id_grammar) {
  auto doc = load_vector("primitives.json");
  const auto& ids = doc["sessionIDs"];
  const std::string active_id = str(ids, "active"), delete_id = str(ids, "delete"),
                    agent_id = str(ids, "agentSession");
  auto active = parse_session_id(active_id);
  BOOST_REQUIRE(active);
  BOOST_TEST(!active->is_delete);
  BOOST_TEST(is_account_id(active->owner));
  auto del = parse_session_id(delete_id);
  BOOST_REQUIRE(del);
  BOOST_TEST(del->is_delete);
  auto agent = parse_session_id(agent_id);
  BOOST_REQUIRE(agent);
  BOOST_TEST(is_agent_id(agent->owner));
  BOOST_TEST(!parse_session_id("nonsense"));
  BOOST_TEST(!parse_session_id("_session_zabc"));
  BOOST_TEST(!parse_session_id("foo_session_zabc"));
  auto neg = load_vector("negative_cases.json");
  for (const auto& c : neg["cases"].GetArray()) {
    if (find_member(c, "isDeleteSession")) BOOST_TEST(is_delete_session_id(str(c, "sessionID")));
  }
}

BOOST_AUTO_TEST_CASE(hash_signatures) {
  auto doc = load_vector("primitives.json");
  for (const auto& s : doc["sign"].GetArray()) {
    auto seed = decode_prefixed(str(s, "signerSecret"), "signerSecret_z", 32);
    BOOST_REQUIRE(seed);
    key32 k{};
    std::copy(seed->begin(), seed->end(), k.begin());
    BOOST_TEST(encode_signer_id(ed25519_public_key(k)) == str(s, "signerID"));
    BOOST_TEST(sign_hash(k, str(s, "messageJson")) == str(s, "signature"));
    auto sig = decode_signature(str(s, "signature"));
    BOOST_REQUIRE(sig);
    BOOST_TEST(verify_hash_signature(ed25519_public_key(k), str(s, "messageJson"), *sig));
    BOOST_TEST(!verify_hash_signature(ed25519_public_key(k), "hash_zabd", *sig));
  }
}

BOOST_AUTO_TEST_CASE(encryption) {
  auto doc = load_vector("primitives.json");
  for (const auto& e : doc["encrypt"].GetArray()) {
    auto key = decode_key_secret(str(e, "keySecret"));
    BOOST_REQUIRE(key);
    std::string plaintext = stable_json(e["value"]);
    std::string material = stable_json(e["nonceMaterial"]);
    BOOST_TEST(plaintext == str(e, "plaintextUtf8"));
    BOOST_TEST(material == str(e, "nonceMaterialUtf8"));
    auto nonce = nonce_from_material(material);
    BOOST_TEST(to_hex(nonce.data(), nonce.size()) == str(e, "nonceHex"));
    BOOST_TEST(encrypt_text(*key, plaintext, material) == str(e, "encrypted"));
    BOOST_TEST(*decrypt_text(*key, str(e, "encrypted"), material) == plaintext);
  }
  // The transaction nonce material is exactly stableStringify({in, tx}).
  BOOST_TEST(transaction_nonce_material("co_zX", "s", 0) == R"({"in":"co_zX","tx":{"sessionID":"s","txIndex":0}})");
}

BOOST_AUTO_TEST_CASE(sealing) {
  auto doc = load_vector("primitives.json");
  const auto& s = doc["seal"];
  auto from = decode_prefixed(str(s, "from"), "sealerSecret_z", 32);
  auto to_secret = decode_prefixed(str(s, "toSecret"), "sealerSecret_z", 32);
  auto to = decode_sealer_id(str(s, "to"));
  auto from_id = decode_sealer_id(str(s, "fromID"));
  BOOST_REQUIRE(from && to_secret && to && from_id);
  key32 from_k{}, to_secret_k{};
  std::copy(from->begin(), from->end(), from_k.begin());
  std::copy(to_secret->begin(), to_secret->end(), to_secret_k.begin());
  BOOST_TEST(encode_sealer_id(x25519_public_key(from_k)) == str(s, "fromID"));

  std::string material = stable_json(s["nonceMaterial"]);
  BOOST_TEST(material == str(s, "nonceMaterialUtf8"));
  std::string sealed = seal_text(from_k, *to, str(s, "plaintextUtf8"), material);
  BOOST_TEST(sealed == str(s, "sealed"));
  auto opened = unseal_text(to_secret_k, *from_id, str(s, "sealed"), material);
  BOOST_REQUIRE(opened);
  BOOST_TEST(*opened == str(s, "plaintextUtf8"));
  // A wrong nonce (another transaction index) does not open it.
  BOOST_TEST(!unseal_text(to_secret_k, *from_id, str(s, "sealed"), material + " "));

  // crypto_crosscheck.json: the sealed bytes are tag (16) + ciphertext.
  auto cross = load_vector("crypto_crosscheck.json");
  for (const auto& c : cross["checks"].GetArray()) {
    BOOST_TEST(c["ok"].GetBool());
    if (const auto* len = find_member(c, "sealedLength")) {
      BOOST_TEST(len->GetInt() == c["plaintextLength"].GetInt() + 16);
      BOOST_TEST(static_cast<std::size_t>(c["plaintextLength"].GetInt()) == str(s, "plaintextUtf8").size());
    }
  }
}

BOOST_AUTO_TEST_CASE(key_secret_encryption_and_group_sealer) {
  auto doc = load_vector("primitives.json");
  const auto& e = doc["encryptKeySecret"];
  auto encrypting = decode_key_secret(str(e["encrypting"], "secret"));
  BOOST_REQUIRE(encrypting);
  std::string plaintext = "\"" + str(e["toEncrypt"], "secret") + "\"";
  BOOST_TEST(encrypt_text(*encrypting, plaintext, str(e, "nonceMaterialUtf8")) == str(e["result"], "encrypted"));

  const auto& g = doc["groupSealerFromReadKey"];
  key32 sealer = group_sealer_secret(str(g, "readKeySecret"));
  BOOST_TEST(("sealerSecret_z" + base58_encode(sealer.data(), sealer.size())) == str(g, "secret"));
  BOOST_TEST(encode_sealer_id(x25519_public_key(sealer)) == str(g, "publicKey"));
}

BOOST_AUTO_TEST_SUITE_END()
