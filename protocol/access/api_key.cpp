#include "protocol/access/api_key.hpp"

#include <sodium.h>

#include <array>
#include <cstdint>

#include "protocol/crypto/crypto.hpp"
#include "protocol/encoding/base58.hpp"

namespace moai::protocol {
namespace {

constexpr std::string_view kPrefix = "moai_";
constexpr std::size_t kIdBytes = 4;
constexpr std::size_t kSecretBytes = 24;

std::string hex(const std::uint8_t* data, std::size_t size) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out.push_back(digits[data[i] >> 4]);
    out.push_back(digits[data[i] & 15]);
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out.push_back(' ');
    } else if (in[i] == '%' && i + 2 < in.size() && hex_value(in[i + 1]) >= 0 && hex_value(in[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2])));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

}  // namespace

api_key_text generate_api_key() {
  std::array<std::uint8_t, kIdBytes> id{};
  std::array<std::uint8_t, kSecretBytes> secret{};
  random_bytes(id.data(), id.size());
  random_bytes(secret.data(), secret.size());
  api_key_text key;
  key.id = hex(id.data(), id.size());
  key.text = std::string(kPrefix) + key.id + "_" + base58_encode(secret.data(), secret.size());
  return key;
}

std::string api_key_hash(std::string_view text) {
  std::array<std::uint8_t, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(text.data()), text.size());
  return hex(digest.data(), digest.size());
}

std::string api_key_id(std::string_view text) {
  if (text.substr(0, kPrefix.size()) != kPrefix) return {};
  const auto id = text.substr(kPrefix.size(), kIdBytes * 2);
  if (id.size() != kIdBytes * 2 || text.size() <= kPrefix.size() + id.size() + 1 ||
      text[kPrefix.size() + id.size()] != '_') {
    return {};
  }
  for (char c : id) {
    if (hex_value(c) < 0 || (c >= 'A' && c <= 'F')) return {};
  }
  return std::string(id);
}

std::optional<std::string> api_key_from_query(std::string_view query) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (percent_decode(pair.substr(0, eq)) == "key" && eq != std::string_view::npos) {
      auto value = percent_decode(pair.substr(eq + 1));
      if (!value.empty()) return value;
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

}  // namespace moai::protocol
