// base58, base64url and BLAKE3 against primitives.json (computed by cojson and
// cross-checked with independent implementations).
#include <boost/test/unit_test.hpp>
#include <random>

#include "protocol/encoding/base58.hpp"
#include "protocol/encoding/base64url.hpp"
#include "protocol/encoding/blake3_hash.hpp"
#include "vectors.hpp"

using namespace moai::protocol;
using moai::test::load_vector;
using moai::test::str;

namespace {

bytes hex(const std::string& h) {
  bytes out;
  BOOST_REQUIRE(from_hex(h, out));
  return out;
}

std::string input_of(const json_value& c) {
  if (const auto* repeat = find_member(c, "inputRepeat")) {
    return std::string(static_cast<std::size_t>((*repeat)["count"].GetInt()), (*repeat)["char"].GetString()[0]);
  }
  auto b = hex(str(c, "inputHex"));
  return std::string(b.begin(), b.end());
}

// Textbook base58 (one byte or digit per step), the reference for the word-wise code.
std::string reference_base58(const bytes& data) {
  static const char alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  std::vector<int> digits;  // most significant first
  for (std::uint8_t byte : data) {
    int carry = byte;
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
      carry += 256 * *it;
      *it = carry % 58;
      carry /= 58;
    }
    for (; carry; carry /= 58) digits.insert(digits.begin(), carry % 58);
  }
  std::string out;
  for (std::size_t i = 0; i < data.size() && data[i] == 0; ++i) out.push_back('1');
  for (int d : digits) out.push_back(alphabet[d]);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(encoding)

BOOST_AUTO_TEST_CASE(base58_matches_the_textbook_algorithm) {
  std::mt19937 rng(58);
  for (int round = 0; round < 2000; ++round) {
    bytes data(rng() % 90);
    const int style = round % 4;  // random, leading zeros, all 0xff, all zero
    for (auto& b : data) b = style == 2 ? 0xff : style == 3 ? 0 : static_cast<std::uint8_t>(rng());
    if (style == 1)
      for (std::size_t i = 0; i < data.size() && i < 3; ++i) data[i] = 0;
    const std::string expected = reference_base58(data);
    BOOST_TEST_REQUIRE(base58_encode(data) == expected);
    auto back = base58_decode(expected);
    BOOST_REQUIRE(back);
    BOOST_TEST_REQUIRE(to_hex(*back) == to_hex(data));
  }
}

BOOST_AUTO_TEST_CASE(base58_vectors) {
  auto doc = load_vector("primitives.json");
  int n = 0;
  for (const auto& c : doc["base58"]["cases"].GetArray()) {
    auto data = hex(str(c, "hex"));
    BOOST_TEST(base58_encode(data) == str(c, "base58"));
    auto decoded = base58_decode(str(c, "base58"));
    BOOST_REQUIRE(decoded);
    BOOST_TEST(to_hex(*decoded) == str(c, "hex"));
    ++n;
  }
  BOOST_TEST(n == 7);
}

BOOST_AUTO_TEST_CASE(base58_rejects_foreign_characters) {
  BOOST_TEST(!base58_decode("0OIl"));
  BOOST_TEST(!base58_decode("abc!"));
  BOOST_TEST(base58_decode("")->empty());
}

BOOST_AUTO_TEST_CASE(base58_round_trips_random_lengths) {
  for (std::size_t len = 0; len < 80; ++len) {
    bytes data(len);
    for (std::size_t i = 0; i < len; ++i) data[i] = static_cast<std::uint8_t>((i * 97 + len * 13) & 0xff);
    if (len > 2) data[0] = data[1] = 0;
    auto back = base58_decode(base58_encode(data));
    BOOST_REQUIRE(back);
    BOOST_TEST(to_hex(*back) == to_hex(data));
  }
}

BOOST_AUTO_TEST_CASE(base64url_vectors) {
  auto doc = load_vector("primitives.json");
  for (const auto& c : doc["base64url"].GetArray()) {
    auto data = hex(str(c, "hex"));
    BOOST_TEST(base64url_encode(data) == str(c, "cojson"));
    auto decoded = base64url_decode(str(c, "cojson"));
    BOOST_REQUIRE(decoded);
    BOOST_TEST(to_hex(*decoded) == str(c, "hex"));
    // Unpadded input decodes too.
    std::string unpadded = str(c, "cojson");
    while (!unpadded.empty() && unpadded.back() == '=') unpadded.pop_back();
    BOOST_TEST(to_hex(*base64url_decode(unpadded)) == str(c, "hex"));
  }
}

BOOST_AUTO_TEST_CASE(base64url_rejects_bad_input) {
  BOOST_TEST(!base64url_decode("ab+/"));  // standard alphabet, not url-safe
  BOOST_TEST(!base64url_decode("a"));     // impossible length
  BOOST_TEST(!base64url_decode("ab cd"));
}

BOOST_AUTO_TEST_CASE(blake3_vectors) {
  auto doc = load_vector("primitives.json");
  int n = 0;
  for (const auto& c : doc["blake3"].GetArray()) {
    std::string input = input_of(c);
    auto digest = blake3(input);
    BOOST_TEST(to_hex(digest.data(), digest.size()) == str(c, "blake3Hex"));
    BOOST_TEST(str(c, "blake3Hex") == str(c, "independentHex"));
    ++n;
  }
  BOOST_TEST(n == 8);
}

BOOST_AUTO_TEST_CASE(blake3_streaming_matches_one_shot) {
  std::string data(100000, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 31);
  blake3_hasher_state h;
  for (std::size_t i = 0; i < data.size(); i += 777) h.update(std::string_view(data).substr(i, 777));
  auto a = h.digest();
  auto b = blake3(data);
  BOOST_TEST(to_hex(a.data(), a.size()) == to_hex(b.data(), b.size()));
  // digest() does not consume the state.
  h.update("more");
  auto c = h.digest();
  auto d = blake3(data + "more");
  BOOST_TEST(to_hex(c.data(), c.size()) == to_hex(d.data(), d.size()));
}

BOOST_AUTO_TEST_CASE(blake3_with_context_is_plain_concatenation) {
  auto doc = load_vector("primitives.json");
  for (const auto& c : doc["blake3WithContext"].GetArray()) {
    auto digest = blake3(str(c, "context") + str(c, "dataUtf8"));
    BOOST_TEST(to_hex(digest.data(), digest.size()) == str(c, "blake3Hex"));
  }
}

BOOST_AUTO_TEST_SUITE_END()
