// The per-session hash chain and Ed25519 signatures (guide §3.5), on session_logs.json
// and negative_cases.json.
#include <boost/test/unit_test.hpp>

#include "protocol/covalue/session_log.hpp"
#include "protocol/crypto/keys.hpp"
#include "protocol/sync/codec.hpp"
#include "protocol/sync/covalue_state.hpp"
#include "vectors.hpp"

using namespace moai::protocol;
using moai::test::load_vector;
using moai::test::str;
using moai::test::to_wire;

namespace {

key32 signer_key(const std::string& signer_id) {
  auto k = decode_signer_id(signer_id);
  BOOST_REQUIRE(k);
  return *k;
}

std::vector<transaction> parse_all(const json_value& txs, std::string& error, bool& ok) {
  std::vector<transaction> out;
  ok = true;
  for (const auto& tx : txs.GetArray()) {
    auto parsed = parse_transaction(tx, error);
    if (!parsed) {
      ok = false;
      return {};
    }
    out.push_back(std::move(*parsed));
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(session_chain)

BOOST_AUTO_TEST_CASE(step_by_step_hashes_and_signatures) {
  auto doc = load_vector("session_logs.json");
  const auto& read_key = doc["readKey"];
  auto key_secret = decode_key_secret(str(read_key, "secret"));
  BOOST_REQUIRE(key_secret);
  int steps = 0, private_steps = 0;
  for (const auto& log_vec : doc["sessionLogs"].GetArray()) {
    BOOST_TEST_CONTEXT(str(log_vec, "name")) {
      const std::string co_id = str(log_vec, "coID"), session_id = str(log_vec, "sessionID");
      key32 signer = signer_key(str(log_vec, "signerID"));
      session_log log(session_id);
      for (const auto& step : log_vec["steps"].GetArray()) {
        std::string error;
        auto tx = parse_transaction(step["transaction"], error);
        BOOST_REQUIRE_MESSAGE(tx, error);
        BOOST_TEST(tx->json == str(step, "hashedBytesUtf8"));
        std::string hash;
        BOOST_TEST(log.try_append({*tx}, str(step, "signatureAfter"), signer, hash));
        BOOST_TEST(hash == str(step, "hashAfter"));
        // Signing is deterministic: the server would produce the same bytes.
        std::string signed_message = "\"" + hash + "\"";
        BOOST_TEST(signed_message == str(step, "signedMessage"));

        if (tx->is_private) {
          auto encrypted = str(step["transaction"], "encryptedChanges");
          auto nonce = transaction_nonce_material(co_id, session_id, static_cast<std::uint32_t>(step["txIndex"].GetInt()));
          auto plain = decrypt_text(*key_secret, encrypted, nonce);
          BOOST_REQUIRE(plain);
          BOOST_TEST(*plain == str(step, "plaintextChangesJson"));
          ++private_steps;
        }
        ++steps;
      }
      BOOST_TEST(log.count() == log_vec["steps"].Size());
    }
  }
  BOOST_TEST(steps == 8);
  BOOST_TEST(private_steps >= 1);
}

BOOST_AUTO_TEST_CASE(whole_content_message_verifies_in_one_batch) {
  auto doc = load_vector("session_logs.json");
  for (const auto& log_vec : doc["sessionLogs"].GetArray()) {
    auto frame = decode_frame(to_wire(log_vec["contentMessageForAll"]));
    BOOST_REQUIRE(!frame.dropped);
    BOOST_REQUIRE_EQUAL(frame.messages.size(), 1u);
    auto& content = std::get<content_message>(frame.messages[0]);
    BOOST_REQUIRE(content.header);
    BOOST_TEST(covalue_id_of(*content.header) == str(log_vec, "coID"));
    BOOST_REQUIRE_EQUAL(content.sessions.size(), 1u);
    auto& session = content.sessions[0];
    covalue_state state(content.id);
    state.set_header(*content.header);
    std::string hash;
    BOOST_TEST(state.try_add(session.session_id, std::move(session.transactions), session.last_signature,
                             signer_key(str(log_vec, "signerID")), hash));
    BOOST_TEST(hash == str(log_vec["steps"][log_vec["steps"].Size() - 1], "hashAfter"));
    BOOST_TEST(state.known().sessions.at(session.session_id) == log_vec["steps"].Size());
  }
}

BOOST_AUTO_TEST_CASE(negative_cases_match_the_core) {
  auto doc = load_vector("negative_cases.json");
  int checked = 0, rejected = 0;
  for (const auto& c : doc["cases"].GetArray()) {
    if (!find_member(c, "lastSignature")) continue;
    BOOST_TEST_CONTEXT(str(c, "name")) {
      json_document txs_doc;
      const json_value* txs = find_member(c, "newTransactions");
      std::string error;
      if (!txs) {
        BOOST_REQUIRE(parse_json(str(c, "newTransactionsJson"), txs_doc, error));
        txs = &txs_doc;
      }
      bool parsed_ok = false;
      auto parsed = parse_all(*txs, error, parsed_ok);
      bool accepted = false;
      if (parsed_ok) {
        session_log log(str(c, "sessionID"));
        std::string hash;
        accepted = log.try_append(std::move(parsed), str(c, "lastSignature"), signer_key(str(c, "signerID")), hash);
      }
      BOOST_TEST(accepted == c["accepted"].GetBool());
      if (!accepted) ++rejected;
      ++checked;
    }
  }
  BOOST_TEST(checked == 12);
  BOOST_TEST(rejected == 8);
}

BOOST_AUTO_TEST_CASE(forgery_is_rejected_and_leaves_the_log_unchanged) {
  auto doc = load_vector("session_logs.json");
  const auto& log_vec = doc["sessionLogs"][0];
  key32 signer = signer_key(str(log_vec, "signerID"));
  session_log log(str(log_vec, "sessionID"));
  std::string error, hash;
  auto first = parse_transaction(log_vec["steps"][0]["transaction"], error);
  BOOST_REQUIRE(first);
  BOOST_REQUIRE(log.try_append({*first}, str(log_vec["steps"][0], "signatureAfter"), signer, hash));

  // Tampered transaction under the genuine signature.
  auto second = parse_transaction(log_vec["steps"][1]["transaction"], error);
  BOOST_REQUIRE(second);
  transaction tampered = *second;
  tampered.json.replace(tampered.json.find("madeAt") + 8, 1, "9");
  BOOST_TEST(!log.try_append({tampered}, str(log_vec["steps"][1], "signatureAfter"), signer, hash));
  // A signature from another step does not sign this prefix.
  BOOST_TEST(!log.try_append({*second}, str(log_vec["steps"][0], "signatureAfter"), signer, hash));
  // The right signature by the wrong signer.
  auto other = agent_secret_from_seed(key32{1, 2, 3});
  BOOST_TEST(!log.try_append({*second}, str(log_vec["steps"][1], "signatureAfter"),
                             ed25519_public_key(other.signer_seed), hash));
  // Garbage signature text.
  BOOST_TEST(!log.try_append({*second}, "signature_z0OIl", signer, hash));
  BOOST_TEST(log.count() == 1u);
  // And the genuine continuation still verifies after all the failures.
  BOOST_TEST(log.try_append({*second}, str(log_vec["steps"][1], "signatureAfter"), signer, hash));
  BOOST_TEST(hash == str(log_vec["steps"][1], "hashAfter"));
}

BOOST_AUTO_TEST_CASE(signing_our_own_transactions) {
  auto agent = agent_secret_from_seed(key32{9, 9, 9});
  session_log log(agent.agent_id() + "_session_zTest");
  auto tx = make_trusting_transaction(R"([{"op":"set","key":"a","value":1}])", 1735689600000, std::nullopt);
  std::string signature = log.append_signed(tx, agent.signer_seed);
  // A fresh log verifies what we signed.
  session_log verifier(log.id());
  std::string hash;
  BOOST_TEST(verifier.try_append({tx}, signature, ed25519_public_key(agent.signer_seed), hash));
  BOOST_TEST(tx.json == R"({"changes":"[{\"op\":\"set\",\"key\":\"a\",\"value\":1}]","madeAt":1735689600000,"privacy":"trusting"})");
}

BOOST_AUTO_TEST_SUITE_END()
