// Ed25519 at the edges of the scheme: moai accepts exactly the signatures cojson 0.20.19's
// own verifier accepts (ed25519_edge.json and ed25519_fuzz.txt, judged by cojson in
// gen_ed25519.mjs). A verifier that refuses more would split the data between moai and
// its clients; one that accepts more would take forgeries.
#include <boost/test/unit_test.hpp>

#include <sstream>

#include "base/json_text.hpp"
#include "ed25519_candidates.hpp"
#include "protocol/crypto/keys.hpp"
#include "vectors.hpp"

using namespace moai::protocol;
using moai::test::ed25519_candidates;
using moai::test::ed25519_verifier;
using moai::test::str;

namespace {

struct signed_case {
  std::string label;
  std::string hash;  // "hash_z…": the signature covers its JSON string, quotes included
  std::string signer;
  std::string signature;
  bool cojson_accepts = false;
};

std::vector<signed_case> edge_vectors() {
  auto doc = moai::test::load_vector("ed25519_edge.json");
  std::vector<signed_case> cases;
  for (const auto& v : doc["vectors"].GetArray()) {
    cases.push_back({str(v, "category") + ": " + str(v, "name"), str(v, "message"), str(v, "signer"),
                     str(v, "signature"), v["cojson_accepts"].GetBool()});
  }
  return cases;
}

// "<1|0> signer_z… signature_z… hash_z… <kind>" per line.
std::vector<signed_case> fuzz_cases() {
  std::vector<signed_case> cases;
  for (const auto& line : moai::test::vector_lines("ed25519_fuzz.txt")) {
    std::istringstream in(line);
    signed_case c;
    int verdict = -1;
    std::string kind;
    in >> verdict >> c.signer >> c.signature >> c.hash >> kind;
    BOOST_REQUIRE(verdict == 0 || verdict == 1);
    c.label = "fuzz " + std::to_string(cases.size()) + " (" + kind + ")";
    c.cojson_accepts = verdict == 1;
    cases.push_back(std::move(c));
  }
  return cases;
}

std::vector<signed_case> all_cases() {
  auto cases = edge_vectors();
  auto fuzz = fuzz_cases();
  cases.insert(cases.end(), fuzz.begin(), fuzz.end());
  return cases;
}

// A signer ID or signature that does not decode makes cojson throw: a refusal.
bool accepts(ed25519_verifier verify, const signed_case& c) {
  auto key = decode_signer_id(c.signer);
  auto signature = decode_signature(c.signature);
  if (!key || !signature) return false;
  std::string message;
  moai::base::append_json_string(message, c.hash);
  return verify(*key, message, *signature);
}

void check_as_cojson(const std::vector<signed_case>& cases) {
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.label) {
      auto key = decode_signer_id(c.signer);
      auto signature = decode_signature(c.signature);
      BOOST_TEST(bool(key && signature && verify_hash_signature(*key, c.hash, *signature)) == c.cojson_accepts);
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ed25519_edge)

BOOST_AUTO_TEST_CASE(edge_vectors_as_cojson) {
  auto cases = edge_vectors();
  BOOST_TEST_REQUIRE(cases.size() >= 60u);
  check_as_cojson(cases);
}

BOOST_AUTO_TEST_CASE(random_cases_as_cojson) {
  auto cases = fuzz_cases();
  BOOST_TEST_REQUIRE(cases.size() >= 1000u);
  check_as_cojson(cases);
}

// The vectors have teeth: each inexact verifier disagrees with cojson on some of them, in
// the direction it errs; the exact ones agree on all.
BOOST_AUTO_TEST_CASE(vectors_tell_verifiers_apart) {
  const auto cases = all_cases();
  for (const auto& candidate : ed25519_candidates()) {
    BOOST_TEST_CONTEXT(candidate.name) {
      int extra_accepts = 0, extra_refusals = 0;
      for (const auto& c : cases) {
        const bool ours = accepts(candidate.verify, c);
        extra_accepts += ours && !c.cojson_accepts;
        extra_refusals += !ours && c.cojson_accepts;
      }
      BOOST_TEST_MESSAGE(candidate.name << ": " << extra_accepts << " extra accepts, " << extra_refusals
                                        << " extra refusals");
      using moai::test::ed25519_strictness;
      BOOST_TEST((extra_accepts > 0) == (candidate.strictness == ed25519_strictness::looser));
      BOOST_TEST((extra_refusals > 0) == (candidate.strictness == ed25519_strictness::stricter));
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
