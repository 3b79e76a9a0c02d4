// A CoList's current items as a reader sees them (cojson coList.ts). Each insertion op
// hangs after another item ("app", or "start") or before one ("pre", or "end"); the list
// is the depth-first walk of that tree, later siblings first, minus deleted insertions.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "protocol/content/decoded_transactions.hpp"

namespace moai::protocol {

// An op's position: {"sessionID","txIndex","changeIdx"}.
struct op_id {
  std::string session_id;
  std::uint32_t tx_index = 0;
  std::uint32_t change_index = 0;

  bool operator<(const op_id& o) const {
    return std::tie(session_id, tx_index, change_index) < std::tie(o.session_id, o.tx_index, o.change_index);
  }
  bool operator==(const op_id& o) const {
    return session_id == o.session_id && tx_index == o.tx_index && change_index == o.change_index;
  }
  // '{"sessionID":…,"txIndex":…,"changeIdx":…}', the spelling cojson writes.
  std::string json() const;
};

class colist_view {
 public:
  struct item {
    std::string value_json;  // stable_json of the item
    op_id id;                // the insertion that put it there
    std::uint64_t made_at = 0;
  };

  static colist_view read(const covalue_state& value, key_resolver& keys, decode_stats* stats = nullptr);
  // `restrict_deletion`: the header's ruleset.restrictDeletion; `role_at` then gives the
  // role of a deleting author at madeAt (only admins and managers may delete).
  static colist_view from(
      const std::vector<decoded_transaction>& txs, bool restrict_deletion = false,
      const std::function<std::optional<std::string>(const std::string& author, std::uint64_t made_at)>& role_at = {});

  const std::vector<item>& items() const { return items_; }
  // The insertion of the last item: what an append "at the end" goes after.
  std::optional<op_id> last() const;
  // The items as a JSON array (stable_json spelling of each item).
  std::string json() const;

 private:
  std::vector<item> items_;
};

// The `changes` text of coList.ts appendItems: each value as {"op":"app","value":…,
// "after":<opID>|"start"}. Items go after `after` (nullopt: an empty list's "start");
// after an existing item the ops are reversed, as cojson does, so that the items end up
// in the given order. nullopt when a value is not JSON text.
std::optional<std::string> colist_append_changes(const std::vector<std::string>& values_json,
                                                 const std::optional<op_id>& after);
// [{"op":"del","insertion":<opID>}]
std::string colist_delete_changes(const op_id& insertion);

}  // namespace moai::protocol
