// Coalescing a burst of content messages (one signature check for many transactions),
// on the real signed session logs of session_logs.json.
#include <boost/test/unit_test.hpp>

#include "protocol/crypto/keys.hpp"
#include "protocol/sync/coalesce.hpp"
#include "protocol/sync/codec.hpp"
#include "protocol/sync/covalue_state.hpp"
#include "vectors.hpp"

using namespace moai::protocol;
using moai::test::load_vector;
using moai::test::str;
using moai::test::to_wire;

namespace {

struct signed_log {
  std::string co_id, session_id;
  key32 signer{};
  std::vector<std::string> tx_wire, signatures;  // per step
};

signed_log first_log() {
  auto doc = load_vector("session_logs.json");
  const auto& v = doc["sessionLogs"][0];
  signed_log log{str(v, "coID"), str(v, "sessionID"), {}, {}, {}};
  log.signer = *decode_signer_id(str(v, "signerID"));
  for (const auto& step : v["steps"].GetArray()) {
    log.tx_wire.push_back(to_wire(step["transaction"]));
    log.signatures.push_back(str(step, "signatureAfter"));
  }
  return log;
}

// One content message carrying step `i` alone, signed with `signature`.
std::string step_message(const signed_log& log, std::size_t i, const std::string& signature,
                         const std::string& id = "") {
  return "{\"action\":\"content\",\"id\":\"" + (id.empty() ? log.co_id : id) + "\",\"priority\":3,\"new\":{\"" +
         log.session_id + "\":{\"after\":" + std::to_string(i) + ",\"newTransactions\":[" + log.tx_wire[i] +
         "],\"lastSignature\":\"" + signature + "\"}}}";
}

std::vector<sync_message> decode(const std::vector<std::string>& lines) {
  std::string frame;
  for (const auto& l : lines) frame += (frame.empty() ? "" : "\n") + l;
  auto decoded = decode_frame(frame);
  BOOST_REQUIRE(!decoded.dropped);
  BOOST_REQUIRE(decoded.errors.empty());
  return std::move(decoded.messages);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(coalesce)

BOOST_AUTO_TEST_CASE(a_burst_becomes_one_message_and_one_check) {
  auto log = first_log();
  BOOST_REQUIRE(log.tx_wire.size() >= 3);
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < log.tx_wire.size(); ++i) lines.push_back(step_message(log, i, log.signatures[i]));
  auto messages = decode(lines);
  BOOST_TEST(coalesce_content(messages) == log.tx_wire.size() - 1);
  BOOST_REQUIRE(messages.size() == 1u);
  auto& entry = std::get<content_message>(messages[0]).sessions.at(0);
  BOOST_TEST(entry.transactions.size() == log.tx_wire.size());
  BOOST_TEST(entry.last_signature == log.signatures.back());
  BOOST_TEST(entry.earlier_signatures.size() == log.tx_wire.size() - 1);

  covalue_state cv(log.co_id);
  std::string failed;
  const auto revision = cv.revision();
  BOOST_TEST(cv.add_verified(entry, log.signer, failed) == log.tx_wire.size());
  BOOST_TEST(cv.count(log.session_id) == log.tx_wire.size());
  BOOST_TEST(cv.find_session(log.session_id)->last_signature() == log.signatures.back());
  BOOST_TEST(cv.revision() != revision);  // what was encoded before is stale
  // Sent again, all of it is already held: nothing changes, encodings stay valid.
  const auto after = cv.revision();
  BOOST_TEST(cv.add_verified(entry, log.signer, failed) == 0u);
  BOOST_TEST(cv.revision() == after);
  cv.mark_deleted();
  BOOST_TEST(cv.revision() != after);
}

BOOST_AUTO_TEST_CASE(a_bad_last_signature_keeps_the_verified_prefix) {
  auto log = first_log();
  std::vector<std::string> lines;
  const std::size_t n = log.tx_wire.size();
  for (std::size_t i = 0; i + 1 < n; ++i) lines.push_back(step_message(log, i, log.signatures[i]));
  lines.push_back(step_message(log, n - 1, log.signatures[0]));  // signed for another hash
  auto messages = decode(lines);
  coalesce_content(messages);
  BOOST_REQUIRE(messages.size() == 1u);
  covalue_state cv(log.co_id);
  std::string failed;
  BOOST_TEST(cv.add_verified(std::get<content_message>(messages[0]).sessions.at(0), log.signer, failed) == n - 1);
  BOOST_TEST(!failed.empty());
  BOOST_TEST(cv.find_session(log.session_id)->last_signature() == log.signatures[n - 2]);
}

BOOST_AUTO_TEST_CASE(only_adjacent_continuations_merge) {
  auto log = first_log();
  // A gap (step 1 missing), another CoValue in between, and a repeated step stay apart.
  auto messages = decode({step_message(log, 0, log.signatures[0]), step_message(log, 2, log.signatures[2]),
                          step_message(log, 0, log.signatures[0], "co_zOther"),
                          step_message(log, 1, log.signatures[1]), step_message(log, 1, log.signatures[1])});
  BOOST_TEST(coalesce_content(messages) == 0u);
  BOOST_TEST(messages.size() == 5u);
  BOOST_TEST(std::get<content_message>(messages[2]).id == "co_zOther");
  // Loads and knowns between content messages keep their place.
  messages = decode({step_message(log, 0, log.signatures[0]),
                     "{\"action\":\"load\",\"id\":\"" + log.co_id + "\",\"header\":false,\"sessions\":{}}",
                     step_message(log, 1, log.signatures[1]), step_message(log, 2, log.signatures[2])});
  BOOST_TEST(coalesce_content(messages) == 1u);
  BOOST_REQUIRE(messages.size() == 3u);
  BOOST_TEST(std::holds_alternative<load_message>(messages[1]));
  BOOST_TEST(std::get<content_message>(messages[2]).sessions.at(0).transactions.size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
