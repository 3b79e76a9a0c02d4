#include "gateway/server/bearer_token.hpp"

#include <cctype>

namespace moai::gateway {
namespace {

// Constant time for equal lengths: a caller learns nothing from the timing but the length.
bool same_secret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

bool bearer_matches(const std::string* header, std::string_view token) {
  static constexpr std::string_view kScheme = "bearer ";
  if (!header || header->size() < kScheme.size()) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>((*header)[i])) != kScheme[i]) return false;
  }
  std::string_view given(*header);
  given.remove_prefix(kScheme.size());
  while (!given.empty() && given.front() == ' ') given.remove_prefix(1);
  while (!given.empty() && given.back() == ' ') given.remove_suffix(1);
  return same_secret(given, token);
}

}  // namespace moai::gateway
