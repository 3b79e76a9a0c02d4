// libFuzzer target: whatever a peer sends goes through decode_frame, coalescing,
// header checks, verification, group permissions, delete checks and re-encoding
// without crashing (bad input is a typed
// error, never a crash), and what moai re-encodes decodes again. Build with clang:
//   cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DMOAI_FUZZ=ON
//   cmake --build build-fuzz --target frame_fuzzer && build-fuzz/test/fuzz/frame_fuzzer corpus/
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "protocol/encoding/ids.hpp"
#include "protocol/groups/deletion.hpp"
#include "protocol/groups/group.hpp"
#include "protocol/sync/coalesce.hpp"
#include "protocol/sync/codec.hpp"
#include "protocol/sync/covalue_state.hpp"

namespace {

void assert_round_trip(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto frame = moai::protocol::decode_frame(text);
  moai::protocol::coalesce_content(frame.messages);
  // Every group in the frame is at hand for permission checks (as if its signatures held).
  moai::protocol::group_registry groups;
  for (auto& m : frame.messages) {
    auto* content = std::get_if<moai::protocol::content_message>(&m);
    if (!content) continue;
    moai::protocol::covalue_state cv(content->id);
    if (content->header) cv.set_header(*content->header);
    for (auto& session : content->sessions) {
      // Delete sessions bringing new transactions are judged against the groups so far,
      // as the CoValue actor does.
      const auto held = cv.count(session.session_id);
      if (cv.has_header() && session.error.empty() && moai::protocol::is_delete_session_id(session.session_id) &&
          session.after <= held && session.after + session.transactions.size() > held) {
        moai::protocol::check_delete_session(cv, session, held, &groups);
      }
      std::string hash;
      moai::protocol::key32 key{};
      cv.add_verified(session, key, hash);
    }
    if (cv.has_header() && cv.header()->is_group_or_account()) {
      groups.add(cv);
      if (const auto* view = groups.view(content->id)) {
        // Roles of every author and of everyone, now and at time 1 ms (before any transaction).
        for (const auto& session : content->sessions) {
          const std::string author(moai::protocol::session_author(session.session_id));
          view->role_of(author, std::nullopt, groups.lookup());
          view->role_of(author, 1, groups.lookup());
        }
        view->role_of("everyone", std::nullopt, groups.lookup());
        view->parents();
        moai::protocol::referenced_parent_groups(cv);
      }
    }
    // What moai sends must be what it can read back: every piece it encodes decodes
    // as one content message for the same CoValue, without errors.
    for (const auto& piece : cv.new_content_since(nullptr)) {
      auto again = moai::protocol::decode_frame(piece);
      assert_round_trip(!again.dropped && again.errors.empty() && again.messages.size() == 1);
      auto* back = std::get_if<moai::protocol::content_message>(&again.messages[0]);
      assert_round_trip(back && back->id == content->id);
    }
  }
  return 0;
}
