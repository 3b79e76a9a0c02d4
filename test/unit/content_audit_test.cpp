// Verifying content taken on trust, as a client verifies what it is sent
// (protocol/sync/content_audit.hpp): what moai check runs on every stored CoValue.
#include "protocol/sync/content_audit.hpp"

#include <boost/test/unit_test.hpp>

#include "sync_fixture.hpp"

using moai::test::signed_world;
using namespace moai;

namespace {

// A copy of the client's map taken on trust, with `checkpoints` (index → the signature
// the session had after that transaction) and the given last signature.
protocol::covalue_state trusted_copy(const signed_world& w, const std::map<std::uint32_t, std::string>& checkpoints,
                                     const std::string& last_signature,
                                     std::vector<protocol::transaction> txs = {}) {
  protocol::covalue_state copy(w.map->id());
  copy.set_header(*w.map->header());
  if (txs.empty()) txs = w.map->find_session(w.session())->transactions();
  copy.add_trusted(w.session(), std::move(txs), last_signature);
  copy.session(w.session()).restore_checkpoints(checkpoints, 0);
  return copy;
}

protocol::covalue_audit audit(const signed_world& w, const protocol::covalue_state& state) {
  protocol::session_signers signers;
  return protocol::audit_content(state, signers, w.accounts(), {});
}

}  // namespace

BOOST_AUTO_TEST_SUITE(content_audit)

BOOST_AUTO_TEST_CASE(content_that_was_verified_verifies_again) {
  signed_world w;
  w.edits(4);
  auto state = trusted_copy(w, {}, w.signature_after(4));
  auto a = audit(w, state);
  BOOST_TEST(a.clean());
  BOOST_TEST(a.header_problem.empty());
  BOOST_REQUIRE_EQUAL(a.sessions.size(), 1u);
  BOOST_TEST(a.sessions[0].verified == 4u);
  BOOST_TEST(a.sessions[0].why.empty());
  BOOST_TEST(a.transactions_verified == 4u);
}

// A forged signature at the end: what the checkpoint before it signs still verifies.
BOOST_AUTO_TEST_CASE(a_forged_last_signature_leaves_what_the_checkpoint_before_it_signs) {
  signed_world w;
  w.edits(5);
  const std::string& after_two = w.signature_after(2);
  auto state = trusted_copy(w, {{1, after_two}}, w.signature_after(3));  // the last signature is not the end's
  auto a = audit(w, state);
  BOOST_TEST(!a.clean());
  BOOST_REQUIRE_EQUAL(a.sessions.size(), 1u);
  BOOST_TEST(a.sessions[0].held == 5u);
  BOOST_TEST(a.sessions[0].verified == 2u);
  BOOST_TEST(a.sessions[0].verified_signature == after_two);
  BOOST_TEST(a.sessions[0].why.find("signature does not match") != std::string::npos, a.sessions[0].why);
  // A forged checkpoint: nothing before the end verifies, and nothing after it either.
  auto forged = trusted_copy(w, {{1, w.signature_after(3)}}, w.signature_after(5));
  auto b = audit(w, forged);
  BOOST_TEST(b.sessions[0].verified == 0u);
  BOOST_TEST(b.sessions[0].verified_signature.empty());
}

BOOST_AUTO_TEST_CASE(a_changed_transaction_fails_its_piece) {
  signed_world w;
  w.edits(3);
  auto txs = w.map->find_session(w.session())->transactions();
  const std::string was = "\\\"value\\\":2";
  const auto at = txs[2].json.find(was);
  BOOST_REQUIRE(at != std::string::npos);
  txs[2].json.replace(at, was.size(), "\\\"value\\\":7");
  auto state = trusted_copy(w, {}, w.signature_after(3), txs);
  auto a = audit(w, state);
  BOOST_TEST(a.sessions[0].verified == 0u);
  BOOST_TEST(a.transactions_verified == 0u);
  BOOST_TEST(a.transactions_held == 3u);
}

BOOST_AUTO_TEST_CASE(an_account_that_is_not_at_hand_is_an_unknown_signer) {
  signed_world w;
  w.edits(1);
  auto state = trusted_copy(w, {}, w.signature_after(1));
  protocol::session_signers signers;
  auto a = protocol::audit_content(state, signers, [](const std::string&) { return std::nullopt; }, {});
  BOOST_TEST(a.sessions[0].verified == 0u);
  BOOST_TEST(a.sessions[0].why.find("is not available") != std::string::npos, a.sessions[0].why);
}

// An account's own sessions are signed by its initialAdmin, named by its own header.
BOOST_AUTO_TEST_CASE(an_account_verifies_with_its_own_header) {
  signed_world w;
  const auto& account = w.alice.covalues.front();
  protocol::session_signers signers;
  auto a = protocol::audit_content(account, signers, [](const std::string&) { return std::nullopt; }, {});
  BOOST_TEST(a.clean());
  BOOST_TEST(a.transactions_verified == account.transaction_count());
}

BOOST_AUTO_TEST_SUITE_END()
