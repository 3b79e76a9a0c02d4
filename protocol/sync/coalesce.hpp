// Coalescing a burst of content: clients send one content message per transaction,
// and a busy client packs many of them into one frame. Adjacent messages about the
// same CoValue whose sessions continue each other become one message, so the receiver
// hashes the chain once and checks one signature — the last one, which covers
// everything before it — instead of one per transaction.
#pragma once

#include <vector>

#include "protocol/sync/messages.hpp"

namespace moai::protocol {

// Appends `next` to `into` when it continues it (the rule below); false leaves both as
// they were.
bool join_content(content_message& into, content_message& next);

// Merges runs of adjacent content messages in place. A message joins the one before it
// when both are about the same CoValue, it carries no header the first lacks, and each
// of its sessions either is new to the first or continues it exactly. Other messages
// keep their order. Returns how many messages were merged away.
std::size_t coalesce_content(std::vector<sync_message>& messages);

}  // namespace moai::protocol
