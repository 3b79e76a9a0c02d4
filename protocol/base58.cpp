#include "protocol/base58.hpp"

#include <array>

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

}  // namespace

std::string base58_encode(const std::uint8_t* data, std::size_t size) {
  std::size_t zeros = 0;
  while (zeros < size && data[zeros] == 0) ++zeros;

  // log(256)/log(58) ≈ 1.37: enough digits for the big-number conversion.
  std::vector<std::uint8_t> digits((size - zeros) * 138 / 100 + 1, 0);
  std::size_t used = 0;
  for (std::size_t i = zeros; i < size; ++i) {
    unsigned carry = data[i];
    std::size_t j = 0;
    for (auto it = digits.rbegin(); (carry != 0 || j < used) && it != digits.rend(); ++it, ++j) {
      carry += 256u * *it;
      *it = static_cast<std::uint8_t>(carry % 58);
      carry /= 58;
    }
    used = j;
  }
  auto it = digits.begin() + static_cast<std::ptrdiff_t>(digits.size() - used);
  while (it != digits.end() && *it == 0) ++it;

  std::string out(zeros, '1');
  out.reserve(zeros + static_cast<std::size_t>(digits.end() - it));
  for (; it != digits.end(); ++it) out.push_back(kAlphabet[*it]);
  return out;
}

std::optional<bytes> base58_decode(std::string_view text) {
  std::size_t ones = 0;
  while (ones < text.size() && text[ones] == '1') ++ones;

  // log(58)/log(256) ≈ 0.733.
  bytes b256((text.size() - ones) * 733 / 1000 + 1, 0);
  std::size_t used = 0;
  for (std::size_t i = ones; i < text.size(); ++i) {
    int value = kIndex[static_cast<unsigned char>(text[i])];
    if (value < 0) return std::nullopt;
    unsigned carry = static_cast<unsigned>(value);
    std::size_t j = 0;
    for (auto it = b256.rbegin(); (carry != 0 || j < used) && it != b256.rend(); ++it, ++j) {
      carry += 58u * *it;
      *it = static_cast<std::uint8_t>(carry % 256);
      carry /= 256;
    }
    used = j;
  }
  auto it = b256.begin() + static_cast<std::ptrdiff_t>(b256.size() - used);
  while (it != b256.end() && *it == 0) ++it;

  bytes out(ones, 0);
  out.insert(out.end(), it, b256.end());
  return out;
}

}  // namespace moai::protocol
