#include "protocol/encoding/base58.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

namespace moai::protocol {
namespace {

constexpr char kAlphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

constexpr std::array<std::int8_t, 256> make_index() {
  std::array<std::int8_t, 256> index{};
  for (auto& v : index) v = -1;
  for (int i = 0; i < 58; ++i) index[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  return index;
}
constexpr auto kIndex = make_index();

// The conversions run on 32-bit words: five base-58 digits (58^5 < 2^30) or four
// bytes per step instead of one, which makes signatures and hashes (64 and 32 bytes,
// decoded and encoded once per verified message) several times cheaper.
constexpr std::uint64_t kPow58[6] = {1, 58, 3364, 195112, 11316496, 656356768};
constexpr std::uint64_t kDigitGroup = kPow58[5];

}  // namespace

std::string base58_encode(const std::uint8_t* data, std::size_t size) {
  std::size_t zeros = 0;
  while (zeros < size && data[zeros] == 0) ++zeros;

  // The number in base 58^5, least significant group first.
  std::vector<std::uint32_t> groups;
  groups.reserve((size - zeros) * 138 / 500 + 2);
  for (std::size_t i = zeros; i < size;) {
    const std::size_t take = std::min<std::size_t>(4, size - i);
    std::uint64_t carry = 0;
    for (std::size_t k = 0; k < take; ++k) carry = carry << 8 | data[i + k];
    const std::uint64_t factor = std::uint64_t{1} << (8 * take);
    for (auto& g : groups) {
      const std::uint64_t t = g * factor + carry;
      g = static_cast<std::uint32_t>(t % kDigitGroup);
      carry = t / kDigitGroup;
    }
    for (; carry; carry /= kDigitGroup) groups.push_back(static_cast<std::uint32_t>(carry % kDigitGroup));
    i += take;
  }

  std::string out(zeros, '1');
  out.reserve(zeros + groups.size() * 5);
  for (std::size_t j = groups.size(); j-- > 0;) {
    char digits[5];
    std::uint32_t g = groups[j];
    for (int k = 4; k >= 0; --k, g /= 58) digits[k] = kAlphabet[g % 58];
    int first = 0;
    if (j + 1 == groups.size()) {  // the leading group is written without its leading zeros
      while (first < 4 && digits[first] == '1') ++first;
    }
    out.append(digits + first, static_cast<std::size_t>(5 - first));
  }
  return out;
}

std::optional<bytes> base58_decode(std::string_view text) {
  std::size_t ones = 0;
  while (ones < text.size() && text[ones] == '1') ++ones;

  // The number in base 2^32, least significant word first.
  std::vector<std::uint32_t> words;
  words.reserve((text.size() - ones) * 733 / 4000 + 2);
  for (std::size_t i = ones; i < text.size();) {
    const std::size_t take = std::min<std::size_t>(5, text.size() - i);
    std::uint64_t carry = 0;
    for (std::size_t k = 0; k < take; ++k) {
      const int value = kIndex[static_cast<unsigned char>(text[i + k])];
      if (value < 0) return std::nullopt;
      carry = carry * 58 + static_cast<std::uint64_t>(value);
    }
    const std::uint64_t factor = kPow58[take];
    for (auto& w : words) {
      const std::uint64_t t = w * factor + carry;
      w = static_cast<std::uint32_t>(t);
      carry = t >> 32;
    }
    for (; carry; carry >>= 32) words.push_back(static_cast<std::uint32_t>(carry));
    i += take;
  }

  bytes out(ones, 0);
  out.reserve(ones + words.size() * 4);
  bool leading = true;
  for (std::size_t j = words.size(); j-- > 0;) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      const auto byte = static_cast<std::uint8_t>(words[j] >> shift);
      if (leading && byte == 0) continue;
      leading = false;
      out.push_back(byte);
    }
  }
  return out;
}

}  // namespace moai::protocol
