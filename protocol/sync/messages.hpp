// The sync messages (guide §2) as typed values.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "protocol/covalue/header.hpp"
#include "protocol/covalue/transaction.hpp"
#include "protocol/sync/known_state.hpp"

namespace moai::protocol {

// "this is what I have of `id`; send me what I lack and keep me updated".
struct load_message {
  known_state known;
};

// An acknowledgement or statement of state; with is_correction the sender's real state.
struct known_message {
  known_state known;
  bool is_correction = false;
};

// New transactions of one session, continuing after `after` transactions.
struct session_content {
  std::string session_id;
  std::uint32_t after = 0;
  std::vector<transaction> transactions;
  std::string last_signature;
  // Set when the entry could not be decoded; it is then rejected like a bad signature.
  std::string error;
  // Entries coalesced from several messages (coalesce_content): the signature each
  // earlier message ended with, by how many of `transactions` it covers. Lets a
  // receiver keep the valid prefix when the whole does not verify.
  std::vector<std::pair<std::uint32_t, std::string>> earlier_signatures;
};

struct content_message {
  std::string id;
  std::optional<covalue_header> header;  // already checked to hash to `id`
  std::vector<session_content> sessions;
  std::optional<session_counts> expect_content_until;
};

struct done_message {
  std::string id;
};

// A batch of [CoValue ID, shortHash of our sessions] for storage reconciliation.
struct reconcile_message {
  std::string batch_id;
  std::vector<std::pair<std::string, std::string>> values;
};

struct reconcile_ack_message {
  std::string batch_id;
};

using sync_message =
    std::variant<load_message, known_message, content_message, done_message, reconcile_message, reconcile_ack_message>;

// The CoValue a message is about (the batch ID for reconcile messages).
const std::string& message_id(const sync_message& m);
const char* message_action(const sync_message& m);

}  // namespace moai::protocol
