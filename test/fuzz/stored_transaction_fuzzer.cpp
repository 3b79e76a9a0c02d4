// libFuzzer target (differential): read_canonical_transaction, the parser-free reader
// of stored transactions, may only accept text that the full parse re-writes to the
// very same bytes, with the same madeAt, privacy and size. Aborts on any disagreement.
//   cmake --build build-fuzz --target stored_transaction_fuzzer
//   build-fuzz/test/fuzz/stored_transaction_fuzzer corpus/
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "protocol/transaction.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto fast = moai::protocol::read_canonical_transaction(text);
  if (!fast) return 0;
  moai::protocol::json_document doc;
  std::string error;
  if (!moai::protocol::parse_stored_json(text, doc, error)) std::abort();
  auto full = moai::protocol::parse_transaction(doc, error);
  if (!full || full->json != text || fast->json != text || full->made_at != fast->made_at ||
      full->is_private != fast->is_private || full->size != fast->size) {
    std::abort();
  }
  return 0;
}
