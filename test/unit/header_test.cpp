// Header → ID, as cojson computes it (stableStringify) and as the Rust core checks it
// (canonical re-serialization); headers.json marks which pairs the core accepts.
#include <boost/test/unit_test.hpp>

#include "protocol/covalue/header.hpp"
#include "protocol/encoding/blake3_hash.hpp"
#include "protocol/encoding/bytes.hpp"
#include "vectors.hpp"

using namespace moai::protocol;
using moai::test::load_vector;
using moai::test::str;

namespace {

// What a receiving server decides: accept the (id, header) pair or not.
bool accepts(const json_value& header, const std::string& id, std::string* canonical = nullptr) {
  std::string error;
  auto parsed = parse_header(header, error);
  if (!parsed) return false;
  if (canonical) *canonical = parsed->json;
  return covalue_id_of(*parsed) == id;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(header)

BOOST_AUTO_TEST_CASE(every_header_vector) {
  auto doc = load_vector("headers.json");
  int accepted = 0, rejected = 0;
  for (const auto& c : doc["headers"].GetArray()) {
    const std::string name = str(c, "name");
    BOOST_TEST_CONTEXT(name) {
      // The JS side: stableStringify and its BLAKE3 give the ID.
      std::string stable = stable_json(c["header"]);
      BOOST_TEST(stable == str(c, "stableStringify"));
      auto digest = blake3(stable);
      BOOST_TEST(to_hex(digest.data(), digest.size()) == str(c, "blake3Hex"));
      BOOST_TEST(covalue_id_from_digest(digest) == str(c, "id"));

      // The receiving side: accept exactly what the Rust core accepts.
      std::string canonical;
      bool ok = accepts(c["header"], str(c, "id"), &canonical);
      BOOST_TEST(ok == c["rustAccepts"].GetBool());
      if (ok) {
        BOOST_TEST(canonical == str(c, "rustCanonicalHeader"));
        ++accepted;
      } else {
        ++rejected;
      }
    }
  }
  BOOST_TEST(accepted == 25);
  BOOST_TEST(rejected == 5);
}

BOOST_AUTO_TEST_CASE(negative_header_cases) {
  auto doc = load_vector("negative_cases.json");
  int n = 0;
  for (const auto& c : doc["cases"].GetArray()) {
    if (!find_member(c, "rustAccepts")) continue;
    BOOST_TEST_CONTEXT(str(c, "name")) {
      BOOST_TEST(accepts(c["header"], str(c, "id")) == c["rustAccepts"].GetBool());
    }
    ++n;
  }
  BOOST_TEST(n == 2);
}

BOOST_AUTO_TEST_CASE(header_facts) {
  auto doc = load_vector("headers.json");
  std::string error;
  for (const auto& c : doc["headers"].GetArray()) {
    const std::string name = str(c, "name");
    auto h = parse_header(c["header"], error);
    if (name == "account_agentA") {
      BOOST_REQUIRE(h);
      BOOST_TEST(h->is_account());
      BOOST_TEST(static_cast<int>(h->content_priority()) == 0);
      BOOST_TEST(h->initial_admin == str(doc["agents"]["agentA"], "id"));
    } else if (name == "binary_costream") {
      BOOST_REQUIRE(h);
      BOOST_TEST(static_cast<int>(h->content_priority()) == 6);
      BOOST_TEST(h->group == "co_zkQhW6kCmj3eghodRs2Dxrw3Kpr");
    } else if (name == "branch") {
      BOOST_REQUIRE(h);
      std::vector<std::string> deps;
      h->add_dependencies(deps);
      BOOST_TEST(deps.size() == 2u);
      BOOST_TEST(deps[1] == "co_zSourceSourceSource1");
    } else if (name == "comap_owned_by_group") {
      BOOST_REQUIRE(h);
      BOOST_TEST(static_cast<int>(h->content_priority()) == 3);
      BOOST_TEST(!h->is_account());
    }
  }
}

BOOST_AUTO_TEST_CASE(malformed_headers_are_errors) {
  const char* bad[] = {
      "[]",
      R"({"type":"comap","ruleset":{"type":"nope"},"meta":null,"uniqueness":null})",
      R"({"type":"comap","ruleset":{"type":"group"},"meta":null,"uniqueness":null})",
      R"({"type":1,"ruleset":{"type":"unsafeAllowAll"},"meta":null,"uniqueness":null})",
      R"({"type":"comap","ruleset":{"type":"unsafeAllowAll"},"meta":null,"uniqueness":{"a":1}})",
      R"({"type":"comap","ruleset":{"type":"unsafeAllowAll"},"meta":null,"uniqueness":{"":"x"}})",
      R"({"type":"comap","ruleset":{"type":"unsafeAllowAll"},"meta":null,"uniqueness":9223372036854775808})",
      R"({"type":"comap","ruleset":{"type":"unsafeAllowAll"},"meta":null,"uniqueness":[]})",
      R"({"type":"comap","ruleset":{"type":"unsafeAllowAll"},"meta":null,"uniqueness":null,"createdAt":5})",
      R"({"type":"comap","type":"comap","ruleset":{"type":"unsafeAllowAll"},"meta":null,"uniqueness":null})",
  };
  for (const char* text : bad) {
    BOOST_TEST_CONTEXT(text) {
      json_document doc;
      std::string error;
      BOOST_REQUIRE(parse_json(text, doc, error));
      BOOST_TEST(!parse_header(doc, error));
      BOOST_TEST(!error.empty());
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
