// Edits as cojson's RawCoMap.set / delete and RawCoList.appendItems make them, with the
// checks a writer needs first: the CoValue's owning group gives the writer write rights
// (otherwise every reader would ignore the edit) and, for private edits, a current read
// key the writer can reach.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "protocol/content/decoded_transactions.hpp"
#include "protocol/content/local_writer.hpp"
#include "protocol/groups/read_keys.hpp"

namespace moai::protocol {

enum class privacy { trusting, encrypted };  // cojson's "trusting" / "private" (the default)

enum class edit_error {
  no_header,      // the CoValue is not at hand
  wrong_type,     // not a comap / colist
  owner_missing,  // the owning group is not at hand
  not_permitted,  // the writer may not write here (or not with this privacy)
  no_key,         // private edit, but the group's current key is out of reach
  bad_value,      // a value is not JSON text
};
const char* to_string(edit_error e);

using edit_result = std::variant<transaction_id, edit_error>;

// `value_json` is JSON text. Works on CoMaps owned by a group (the writer must be
// admin, manager, writer or writeOnly there) and on the writer's own account CoValue
// (private only: accounts accept no trusting sets of ordinary keys).
edit_result comap_set(const local_writer& writer, key_resolver& keys, covalue_state& map, std::string_view key,
                      std::string_view value_json, std::uint64_t made_at, privacy p = privacy::encrypted);
// Several keys in one transaction, as RawCoMap.assign (and createMap with an init) makes
// it; an empty `entries` still writes one transaction without changes, as cojson does.
edit_result comap_assign(const local_writer& writer, key_resolver& keys, covalue_state& map,
                         const std::vector<std::pair<std::string, std::string>>& entries, std::uint64_t made_at,
                         privacy p = privacy::encrypted);
edit_result comap_delete(const local_writer& writer, key_resolver& keys, covalue_state& map, std::string_view key,
                         std::uint64_t made_at, privacy p = privacy::encrypted);

// Appends after the current last item (appendItems without an index).
edit_result colist_append(const local_writer& writer, key_resolver& keys, covalue_state& list,
                          const std::vector<std::string>& values_json, std::uint64_t made_at,
                          privacy p = privacy::encrypted);

}  // namespace moai::protocol
