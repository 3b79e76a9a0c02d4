// A CoMap's current content as a reader sees it (cojson coMap.ts): for each key the
// last op of the valid, decrypted transactions in cojson's order (last writer wins);
// `set` gives the value, `del` removes the key.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/content/decoded_transactions.hpp"

namespace moai::protocol {

class comap_view {
 public:
  // The latest op of one key (cojson's lastEditAt).
  struct entry {
    bool deleted = false;
    std::string value_json;  // stable_json of the value; empty when deleted
    std::string author;      // account or agent ID (the part of the session ID before "_session")
    transaction_id tx;
    std::uint32_t change_index = 0;
    std::uint64_t made_at = 0;
  };

  // Reads `value` (a comap, or a group/account read as the CoMap it is) as `keys`' reader.
  static comap_view read(const covalue_state& value, key_resolver& keys, decode_stats* stats = nullptr);
  // From transactions already decoded and ordered.
  static comap_view from(const std::vector<decoded_transaction>& txs);

  // The value of `key` as JSON text; nullopt when absent or deleted.
  std::optional<std::string> get(std::string_view key) const;
  // The string value of `key`; nullopt when absent, deleted or not a string.
  std::optional<std::string> get_string(std::string_view key) const;
  // The last edit of `key`, deletions included; nullptr when the key was never set.
  const entry* last_edit(std::string_view key) const;
  // Keys that currently hold a value, in byte order.
  std::vector<std::string> keys() const;
  // The whole map as a JSON object (stable_json spelling, keys sorted): toJSON().
  std::string json() const;

 private:
  std::map<std::string, entry, std::less<>> latest_;
};

// The `changes` text cojson writes for CoMap edits (JSON.stringify of the ops).
// [{"op":"set","key":…,"value":…}, …] in the given order (set / assign / createMap(init));
// nullopt when a value is not JSON text.
std::optional<std::string> comap_set_changes(const std::vector<std::pair<std::string, std::string>>& entries);
std::optional<std::string> comap_set_changes(std::string_view key, std::string_view value_json);
// [{"op":"del","key":…}]
std::string comap_delete_changes(std::string_view key);

}  // namespace moai::protocol
