// Canonical transaction text read without a JSON parser must agree with the full
// parse: whatever read_canonical_transaction accepts, parse_transaction re-writes to
// the very same bytes with the same madeAt, privacy and size.
#include "protocol/covalue/transaction.hpp"

#include <boost/test/unit_test.hpp>
#include <random>

#include "vectors.hpp"

using namespace moai::protocol;
using moai::test::load_vector;

namespace {

// The full path for stored text (which skips UTF-8 validation, as the fast reader does).
std::optional<transaction> full_parse(const std::string& text) {
  json_document doc;
  std::string error;
  if (!parse_stored_json(text, doc, error)) return std::nullopt;
  return parse_transaction(doc, error);
}

// Checks the one-way agreement; returns whether the fast reader accepted `text`.
bool agrees(const std::string& text) {
  auto fast = read_canonical_transaction(text);
  if (!fast) return false;
  auto slow = full_parse(text);
  BOOST_TEST_CONTEXT("text: " << text) {
    BOOST_REQUIRE(slow);
    BOOST_TEST(slow->json == text);
    BOOST_TEST(fast->json == text);
    BOOST_TEST(fast->made_at == slow->made_at);
    BOOST_TEST(fast->is_private == slow->is_private);
    BOOST_TEST(fast->size == slow->size);
  }
  return true;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(canonical_transactions)

BOOST_AUTO_TEST_CASE(every_vector_transaction_reads_fast) {
  auto doc = load_vector("session_logs.json");
  int checked = 0, private_ones = 0;
  for (const auto& log : doc["sessionLogs"].GetArray()) {
    for (const auto& step : log["steps"].GetArray()) {
      std::string error;
      auto tx = parse_transaction(step["transaction"], error);
      BOOST_REQUIRE_MESSAGE(tx, error);
      BOOST_TEST(agrees(tx->json));
      ++checked;
      private_ones += tx->is_private;
    }
  }
  BOOST_TEST(checked >= 5);
  BOOST_TEST(private_ones > 0);
}

BOOST_AUTO_TEST_CASE(non_canonical_spellings_fall_back) {
  const std::string ok =
      R"({"changes":"[{\"op\":\"set\",\"key\":\"a\",\"value\":1}]","madeAt":1700000000000,"privacy":"trusting"})";
  BOOST_TEST(agrees(ok));
  BOOST_TEST(agrees(R"({"changes":"a\u001fb\n","madeAt":0,"meta":"{}","privacy":"trusting"})"));
  BOOST_TEST(agrees(
      R"({"encryptedChanges":"encrypted_Uabc","keyUsed":"key_z1","madeAt":18446744073709551615,"privacy":"private"})"));
  BOOST_TEST(agrees("{\"changes\":\"\xF0\x9F\x90\xAE \xC3\xA9\",\"madeAt\":5,\"privacy\":\"trusting\"}"));
  const std::string refused[] = {
      R"({"madeAt":1,"changes":"[]","privacy":"trusting"})",                     // member order
      R"({"changes": "[]","madeAt":1,"privacy":"trusting"})",                    // spacing
      R"({"changes":"\u0041","madeAt":1,"privacy":"trusting"})",                 // needless escape
      R"({"changes":"\u000a","madeAt":1,"privacy":"trusting"})",                 // \n has a short form
      R"({"changes":"\u001F","madeAt":1,"privacy":"trusting"})",                 // uppercase hex
      R"({"changes":"\/","madeAt":1,"privacy":"trusting"})",                     // escaped slash
      R"({"changes":"[]","madeAt":01,"privacy":"trusting"})",                    // leading zero
      R"({"changes":"[]","madeAt":18446744073709551616,"privacy":"trusting"})",  // over u64
      R"({"changes":"[]","madeAt":1,"meta":null,"privacy":"trusting"})",         // null meta is dropped
      R"({"changes":"[]","madeAt":1,"privacy":"private"})",                      // privacy of the other shape
      R"({"changes":"[]","madeAt":1,"privacy":"trusting"} )",                    // trailing text
      R"({"changes":"[]","madeAt":1,"privacy":"trusting")",                      // cut short
      "{\"changes\":\"\xED\xA0\x80\",\"madeAt\":1,\"privacy\":\"trusting\"}",    // surrogate
      "{\"changes\":\"a\tb\",\"madeAt\":1,\"privacy\":\"trusting\"}",            // raw control character
  };
  for (const auto& text : refused) BOOST_TEST(!read_canonical_transaction(text), text);
}

// Differential test: canonical texts built from random values, then corrupted one byte
// at a time. The fast reader must accept every canonical one and never disagree.
BOOST_AUTO_TEST_CASE(random_texts_agree_with_the_full_parse) {
  std::mt19937 rng(20261125);
  const std::string alphabet[] = {
      "a", "\"", "\\", "\n", "\t", "\x01", "\x1f", "/", "\x7f", "\xC3\xA9", "\xE2\x80\xA8", "\xF0\x9F\x90\xAE",
      "{", "}",  ":",  ",",  "0",  " "};
  auto random_text = [&](std::size_t max_len) {
    std::string s;
    const std::size_t n = rng() % max_len;
    for (std::size_t i = 0; i < n; ++i) s += alphabet[rng() % std::size(alphabet)];
    return s;
  };
  const char bytes[] = {'"', '\\', 'u', '0', 'a', ' ', ',', '}', '\x01', '\xED', '\xA0', '9'};
  int accepted = 0, corrupted_accepted = 0;
  for (int i = 0; i < 3000; ++i) {
    std::optional<std::string> meta;
    if (rng() % 2) meta = random_text(20);
    const std::uint64_t made_at = (static_cast<std::uint64_t>(rng()) << 32 | rng()) >> (rng() % 64);
    transaction tx = rng() % 3 == 0 ? make_private_transaction(random_text(40), "key_z" + random_text(4), made_at, meta)
                                    : make_trusting_transaction(random_text(40), made_at, meta);
    if (full_parse(tx.json) && full_parse(tx.json)->json == tx.json) {
      BOOST_TEST_REQUIRE(agrees(tx.json), tx.json);
      ++accepted;
    }
    std::string corrupted = tx.json;
    corrupted[rng() % corrupted.size()] = bytes[rng() % std::size(bytes)];
    corrupted_accepted += agrees(corrupted);
  }
  BOOST_TEST(accepted > 2000);
  BOOST_TEST_MESSAGE("canonical accepted: " << accepted << ", corrupted still canonical: " << corrupted_accepted);
}

BOOST_AUTO_TEST_SUITE_END()
