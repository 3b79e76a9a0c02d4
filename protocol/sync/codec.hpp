// Frames ↔ messages (guide §1, §2): a WebSocket text frame holds one or more
// compact JSON messages separated by '\n'.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/sync/messages.hpp"

namespace moai::protocol {

// A message that was understood as JSON but is unusable; it is logged and skipped.
struct message_error {
  std::string action;  // as sent, may be empty
  std::string id;      // as sent, may be empty
  std::string reason;
  bool invalid_header = false;  // a content header that is malformed or does not hash to the id
};

struct decoded_frame {
  std::vector<sync_message> messages;
  std::vector<message_error> errors;
  std::size_t pings = 0;    // messages with "time": pings, ignored by servers
  std::size_t ignored = 0;  // neither "action" nor "time": dropped silently, as cojson does
  // When any piece is not JSON the whole frame is dropped (cojson-transport-ws does).
  bool dropped = false;
  std::string drop_reason;
  // More pieces than `max_messages`: nothing was parsed (`pieces` says how many).
  bool too_many_messages = false;
  std::size_t pieces = 0;
};

// Never throws; malformed input is reported in the result. A frame of more than
// `max_messages` pieces is refused before any is parsed: each parsed message costs far
// more memory than its text.
decoded_frame decode_frame(std::string_view frame, std::size_t max_messages = SIZE_MAX);

// Encoders produce one compact message (no trailing newline).
std::string encode_load(const known_state& known);
std::string encode_known(const known_state& known, bool is_correction = false);
std::string encode_done(std::string_view id);
std::string encode_reconcile(const reconcile_message& m);
std::string encode_reconcile_ack(std::string_view batch_id);
std::string encode_ping(std::int64_t time_ms, std::string_view datacenter);
std::string encode_content(const content_message& m);

}  // namespace moai::protocol

namespace moai::protocol {

// Streams one content message; transactions are spliced in as canonical text.
class content_writer {
 public:
  // `header_json` empty: no header member.
  content_writer(std::string_view id, std::string_view header_json, priority prio);
  void begin_session(std::string_view session_id, std::uint32_t after);
  void add_transaction(std::string_view canonical_json);
  void end_session(std::string_view last_signature);
  // Finishes the "new" member; optional expectContentUntil follows.
  std::string finish(const session_counts* expect_content_until = nullptr);

 private:
  std::string out_;
  bool first_session_ = true;
  bool first_tx_ = true;
};

}  // namespace moai::protocol
