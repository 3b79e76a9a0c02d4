// Transactions and their canonical form (guide §3.5).
//
// The session hash chain covers the Rust core's re-serialization of each transaction,
// not the wire text: fixed member order, compact JSON, unknown members dropped.
// `changes` and `meta` are strings holding JSON text and are kept verbatim.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "protocol/json/json.hpp"

namespace moai::protocol {

struct transaction {
  std::string json;           // canonical text: hashed, stored and forwarded
  std::uint64_t made_at = 0;  // writer's Date.now()
  bool is_private = false;
  // JS string length of `changes` / `encryptedChanges`: cojson's size measure for
  // chunking and signature checkpoints.
  std::uint32_t size = 0;
};

// Parses one wire transaction as the Rust core does (Private shape first, then
// Trusting). nullopt with `error` set when it is not a valid transaction.
std::optional<transaction> parse_transaction(const json_value& v, std::string& error);

// Parses transaction text read back from storage (validated when it arrived, so
// UTF-8 is not re-checked); the result carries the canonical text. Text already in
// canonical form (all that moai stores) is read by read_canonical_transaction.
std::optional<transaction> parse_stored_transaction(std::string&& text, std::string& error);

// Reads text that is byte for byte the canonical form parse_transaction produces,
// without a JSON parser: a cold load's cost was mostly parsing and re-writing what was
// already canonical. nullopt for anything else (other member order, spacing or
// escapes, as in databases written by cojson), which then needs the full parse.
std::optional<transaction> read_canonical_transaction(std::string_view text);

// The plaintext members of a trusting transaction, re-read from its canonical text.
struct trusting_content {
  std::string changes;
  std::optional<std::string> meta;
};
std::optional<trusting_content> read_trusting_content(const transaction& tx);

// The encrypted members of a private transaction, re-read from its canonical text.
struct private_content {
  std::string encrypted_changes;
  std::string key_used;
  std::optional<std::string> encrypted_meta;
};
std::optional<private_content> read_private_content(const transaction& tx);

// Builds a trusting transaction written by this server (agent mode).
transaction make_trusting_transaction(std::string_view changes_json, std::uint64_t made_at,
                                      const std::optional<std::string>& meta_json);
// Builds a private transaction from already encrypted members.
transaction make_private_transaction(std::string_view encrypted_changes, std::string_view key_id, std::uint64_t made_at,
                                     const std::optional<std::string>& encrypted_meta);

}  // namespace moai::protocol
