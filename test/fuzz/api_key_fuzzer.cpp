// libFuzzer target: the query string of a /sync upgrade (where a client puts its API key)
// and the key text in it are read without a crash: `key` is found or not, percent-decoding
// never reads past the input, and a key's id is either empty or 8 hex digits that the
// key itself carries.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "protocol/access/api_key.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view query(reinterpret_cast<const char*>(data), size);
  const auto key = moai::protocol::api_key_from_query(query);
  for (std::string_view text : {query, key ? std::string_view(*key) : std::string_view()}) {
    const std::string id = moai::protocol::api_key_id(text);
    if (!id.empty() && (id.size() != 8 || text.find(id) == std::string_view::npos)) std::abort();
    if (moai::protocol::api_key_hash(text).size() != 64) std::abort();
  }
  return 0;
}
