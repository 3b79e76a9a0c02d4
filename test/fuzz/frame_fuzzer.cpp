// libFuzzer target: whatever a peer sends goes through decode_frame, coalescing,
// header checks, verification and re-encoding without crashing (bad input is a typed
// error, never a crash). Build with clang:
//   cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DMOAI_FUZZ=ON
//   cmake --build build-fuzz --target frame_fuzzer && build-fuzz/test/fuzz/frame_fuzzer corpus/
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/coalesce.hpp"
#include "protocol/codec.hpp"
#include "protocol/covalue_state.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto frame = moai::protocol::decode_frame(text);
  moai::protocol::coalesce_content(frame.messages);
  for (auto& m : frame.messages) {
    auto* content = std::get_if<moai::protocol::content_message>(&m);
    if (!content) continue;
    moai::protocol::covalue_state cv(content->id);
    if (content->header) cv.set_header(*content->header);
    for (const auto& session : content->sessions) {
      std::string hash;
      moai::protocol::key32 key{};
      cv.add_verified(session, key, hash);
    }
    cv.new_content_since(nullptr);
  }
  return 0;
}
