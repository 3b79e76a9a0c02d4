// libFuzzer target (differential): read_canonical_transaction, the parser-free reader
// of stored transactions, may only accept text that the full parse re-writes to the
// very same bytes, with the same madeAt, privacy and size. Aborts on any disagreement.
//   cmake --build build-fuzz --target stored_transaction_fuzzer
//   build-fuzz/test/fuzz/stored_transaction_fuzzer corpus/
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "protocol/covalue/transaction.hpp"

namespace {

// The fuzzer's assertion: a disagreement aborts, which libFuzzer reports with the input.
void assert_agreement(bool agree) {
  if (!agree) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto fast = moai::protocol::read_canonical_transaction(text);
  if (!fast) return 0;
  moai::protocol::json_document doc;
  std::string error;
  assert_agreement(moai::protocol::parse_stored_json(text, doc, error));
  auto full = moai::protocol::parse_transaction(doc, error);
  assert_agreement(full && full->json == text && fast->json == text && full->made_at == fast->made_at &&
                   full->is_private == fast->is_private && full->size == fast->size);
  return 0;
}
