// The two canonical JSON spellings: cojson's stableStringify (JS) and the Rust core's
// serde re-serialization.
#include "protocol/json/json.hpp"

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <limits>

#include "base/json_number.hpp"
#include "base/json_text.hpp"
#include "protocol/encoding/blake3_hash.hpp"
#include "protocol/json/js_json.hpp"
#include "protocol/sync/codec.hpp"
#include "vectors.hpp"

using namespace moai::protocol;
namespace base = moai::base;
using moai::test::load_vector;
using moai::test::str;

namespace {

std::string js(double v) {
  std::string s;
  base::append_js_number(s, v);
  return s;
}

std::string serde(double v) {
  std::string s;
  base::append_serde_f64(s, v);
  return s;
}

std::string stable_of(const std::string& text) {
  json_document doc;
  std::string error;
  BOOST_REQUIRE_MESSAGE(parse_json(text, doc, error), error);
  return stable_json(doc);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(json)

BOOST_AUTO_TEST_CASE(js_number_spelling) {
  BOOST_TEST(js(0) == "0");
  BOOST_TEST(js(-0.0) == "0");
  BOOST_TEST(js(1) == "1");
  BOOST_TEST(js(-12) == "-12");
  BOOST_TEST(js(1.5) == "1.5");
  BOOST_TEST(js(0.1) == "0.1");
  BOOST_TEST(js(1e-7) == "1e-7");
  BOOST_TEST(js(1.5e-7) == "1.5e-7");
  BOOST_TEST(js(0.000001) == "0.000001");
  BOOST_TEST(js(1e21) == "1e+21");
  BOOST_TEST(js(1e20) == "100000000000000000000");
  BOOST_TEST(js(123456789012345680000.0) == "123456789012345680000");
  BOOST_TEST(js(9007199254740991.0) == "9007199254740991");
  BOOST_TEST(js(1.7976931348623157e308) == "1.7976931348623157e+308");
  BOOST_TEST(js(5e-324) == "5e-324");
  BOOST_TEST(js(std::nan("")) == "null");
  BOOST_TEST(js(std::numeric_limits<double>::infinity()) == "null");
}

BOOST_AUTO_TEST_CASE(serde_number_spelling) {
  BOOST_TEST(serde(1.0) == "1.0");
  BOOST_TEST(serde(1.5) == "1.5");
  BOOST_TEST(serde(-0.0) == "-0.0");
  BOOST_TEST(serde(1e21) == "1e21");
  BOOST_TEST(serde(1e-7) == "1e-7");
  BOOST_TEST(serde(0.001) == "0.001");
  BOOST_TEST(serde(0.0001) == "0.0001");
  BOOST_TEST(serde(0.00001) == "0.00001");
  BOOST_TEST(serde(0.000001) == "1e-6");
  BOOST_TEST(serde(1e15) == "1000000000000000.0");
  BOOST_TEST(serde(1e16) == "1e16");
  BOOST_TEST(serde(123.456) == "123.456");
  BOOST_TEST(serde(1.5e300) == "1.5e300");
}

BOOST_AUTO_TEST_CASE(string_escaping_matches_json_stringify) {
  std::string out;
  std::string input =
      std::string("a") + '\x01' + "b" + '\x1f' + "c\n\t\r\b\f\"\\/ " + '\x7f' + " \xe2\x80\xa8 \xc3\xa9";
  base::append_json_string(out, input);
  BOOST_TEST(out == "\"a\\u0001b\\u001fc\\n\\t\\r\\b\\f\\\"\\\\/ \x7f \xe2\x80\xa8 \xc3\xa9\"");
}

BOOST_AUTO_TEST_CASE(utf16_order_and_length) {
  // U+FFFF sorts after U+1F600 in UTF-16 (0xD83D < 0xFFFF) but before it in UTF-8.
  const std::string ffff = "\xef\xbf\xbf", emoji = "\xf0\x9f\x98\x80";
  BOOST_TEST(base::utf16_less(emoji, ffff));
  BOOST_TEST(!base::utf16_less(ffff, emoji));
  BOOST_TEST(base::utf16_less("a", "b"));
  BOOST_TEST(base::utf16_less("a", "ab"));
  BOOST_TEST(!base::utf16_less("ab", "a"));
  BOOST_TEST(!base::utf16_less("a", "a"));
  BOOST_TEST(base::utf16_length("h\xc3\xa9llo " + emoji) == 8u);
}

BOOST_AUTO_TEST_CASE(short_hash_vectors) {
  auto doc = load_vector("primitives.json");
  int n = 0;
  for (const auto& c : doc["shortHash"].GetArray()) {
    std::string stable = stable_json(c["value"]);
    BOOST_TEST(stable == str(c, "stableStringify"));
    BOOST_TEST(short_hash_id(blake3(stable)) == str(c, "shortHash"));
    ++n;
  }
  BOOST_TEST(n == 6);
}

BOOST_AUTO_TEST_CASE(secure_hash_vectors) {
  auto doc = load_vector("primitives.json");
  for (const auto& c : doc["secureHash"].GetArray()) {
    BOOST_TEST(hash_id(blake3(stable_json(c["value"]))) == str(c, "secureHash"));
  }
}

BOOST_AUTO_TEST_CASE(stable_stringify_rules) {
  BOOST_TEST(stable_of(R"({"b":1,"a":[1,2.5,{"d":null,"c":true}]})") == R"({"a":[1,2.5,{"c":true,"d":null}],"b":1})");
  BOOST_TEST(stable_of(R"({"x":1e21,"y":1E-7,"z":100.0})") == R"({"x":1e+21,"y":1e-7,"z":100})");
  // Later duplicates win, as with JSON.parse.
  BOOST_TEST(stable_of(R"({"a":1,"a":2})") == R"({"a":2})");
  // encrypted_U / binary_U strings are written raw.
  BOOST_TEST(stable_of(R"(["encrypted_Uab\"c"])") == "[\"encrypted_Uab\"c\"]");
  // Large integers are doubles in JS.
  BOOST_TEST(stable_of("[9007199254740993]") == "[9007199254740992]");
}

BOOST_AUTO_TEST_CASE(parse_errors_are_reported_not_thrown) {
  json_document doc;
  std::string error;
  BOOST_TEST(!parse_json("{", doc, error));
  BOOST_TEST(!error.empty());
  BOOST_TEST(!parse_json("{} x", doc, error));
  BOOST_TEST(!parse_json(std::string("\"\xff\""), doc, error));  // invalid UTF-8
  BOOST_TEST(!parse_json("", doc, error));
  // Deep nesting does not overflow the stack (iterative parser)...
  std::string deep(200000, '[');
  BOOST_TEST(!parse_json(deep, doc, error));
  // ...and over-deep values are refused by the writers instead of recursing.
  std::string nested = std::string(2000, '[') + std::string(2000, ']');
  BOOST_REQUIRE(parse_json(nested, doc, error));
  std::string out;
  BOOST_TEST(!append_stable_json(out, doc));
}

BOOST_AUTO_TEST_CASE(numbers_with_hundreds_of_digits_are_refused_not_crashing) {
  // Found by fuzzing decode_frame: RapidJSON 1.1.0 reads out of bounds on this.
  json_document doc;
  std::string error;
  const std::string zeros = "{\"\":0." + std::string(660, '0') + "}";
  BOOST_TEST(!parse_json(zeros, doc, error));
  BOOST_TEST(error.find("number out of range") != std::string::npos);
  BOOST_TEST(!parse_json("[1e-2000000000]", doc, error));
  BOOST_TEST(!parse_json("{\"a\":[0.5E+99999]}", doc, error));
  BOOST_TEST(parse_json("[1e308,2.5e-7,1E+21,true,false,\"e1234567\"]", doc, error), error);
  BOOST_TEST(!parse_json("[1" + std::string(300, '0') + "]", doc, error));
  // Found by fuzzing: RapidJSON looks up its powers of ten at about the decimal exponent
  // of the first digits, out of bounds beyond a double's range (both crashed moai).
  BOOST_TEST(!parse_json("[0.18446744333333363333333333990737095516869e-344]", doc, error));
  BOOST_TEST(error.find("number out of range") != std::string::npos);
  BOOST_TEST(!parse_json("[0.0" + std::string(16, '7') + "e-340]", doc, error));
  BOOST_TEST(!parse_json("[0." + std::string(40, '0') + "e-320]", doc, error));  // a zero
  BOOST_TEST(!parse_json("[0e-30]", doc, error));
  BOOST_TEST(!parse_json("[1" + std::string(90, '0') + "e250]", doc, error));
  BOOST_TEST(!parse_stored_json("[0.18446744333333363333333333990737095516869e-344]", doc, error));
  // 2^64 - 1 as the first 20 digits, rounded up by the 21st: RapidJSON's significand wraps.
  BOOST_TEST(!parse_json("[184467440737095516158861645582]", doc, error));
  BOOST_TEST(!parse_json("[0.000184467440737095516159]", doc, error));
  BOOST_TEST(parse_json("[184467440737095516154,18446744073709551615,184467440737095516149]", doc, error), error);
  // Beyond a double's range in the edge decades (RapidJSON: NaN, flipped signs).
  for (const char* n : {"[9e308]", "[2e308]", "[2329e306]", "[1e-325]", "[2.4e-324]", "[0.00123e-323]"}) {
    BOOST_TEST(!parse_json(n, doc, error), n);
  }
  BOOST_REQUIRE(parse_json("[1.7976931348623157e308,5e-324]", doc, error));
  BOOST_TEST(doc[0].GetDouble() == 1.7976931348623157e308);
  BOOST_TEST(doc[1].GetDouble() == 5e-324);
  // Everything a double can be, and zeros as JSON.stringify and others write them.
  BOOST_TEST(parse_json("[5e-324,4.9406564584124654e-324,1.7976931348623157e308,-2.2250738585072014e-308,"
                        "0.000001,1e-7,123456789012345680000,0,-0,0.0,0e0,0.000e5,1E+21,0.1e-321]",
                        doc, error),
             error);
  BOOST_TEST(doc[0].GetDouble() == 5e-324);
  BOOST_TEST(doc[2].GetDouble() == 1.7976931348623157e308);
  // Long digit runs inside strings are only text.
  BOOST_TEST(parse_json("[\"" + std::string(5000, '0') + "\", -1.7976931348623157e+308, 5e-324]", doc, error), error);
  auto frame = decode_frame("{\"action\":\"load\",\"id\":\"co_zabc\",\"header\":false,\"sessions\":{\"x\":0." +
                            std::string(1000, '0') + "1}}");
  BOOST_TEST(frame.dropped);
  // Escaped quotes keep the digits inside the string; an escaped backslash ends it.
  const std::string digits(300, '7');
  BOOST_TEST(parse_json("[\"a\\\"" + digits + "\\\\\\\"\"]", doc, error), error);
  BOOST_TEST(!parse_json("[\"a\\\\\"," + digits + "]", doc, error));
  BOOST_TEST(!parse_stored_json("[\"a\\\\\"," + digits + "]", doc, error));
}

BOOST_AUTO_TEST_CASE(js_spelling_keeps_document_order) {
  // JSON.stringify(JSON.parse(text)): a repeated name keeps its first position and its
  // last value; numbers as JS prints them; nothing sorted.
  auto out = js_json_from_text(R"({"b":1,"a":[1.0,2.5e-7,{"z":null,"y":true}],"b":"x"})");
  BOOST_REQUIRE(out);
  BOOST_TEST(*out == R"({"b":"x","a":[1,2.5e-7,{"z":null,"y":true}]})");
  BOOST_TEST(!js_json_from_text("{"));
}

BOOST_AUTO_TEST_CASE(stored_text_skips_only_utf8_validation) {
  json_document doc;
  std::string error;
  BOOST_TEST(parse_stored_json("{\"changes\":\"[]\",\"madeAt\":1}", doc, error), error);
  BOOST_TEST(!parse_stored_json("{\"a\":", doc, error));
  // Bytes that are not UTF-8 pass through (storage only holds validated text).
  BOOST_TEST(parse_stored_json(std::string("\"\xff\""), doc, error));
  BOOST_TEST(!parse_json(std::string("\"\xff\""), doc, error));
}

BOOST_AUTO_TEST_SUITE_END()
