#include "protocol/groups/deletion.hpp"

#include "protocol/covalue/transaction.hpp"
#include "protocol/json/json.hpp"

namespace moai::protocol {
namespace {

delete_check refuse(std::string why) {
  return delete_check{false, false, std::move(why)};
}

}  // namespace

delete_check check_delete_session(const covalue_state& value, const session_content& entry, std::uint32_t held,
                                  group_registry* groups) {
  const covalue_header* header = value.header();
  const std::uint32_t skip = held - entry.after;
  if (held > 0 || entry.transactions.size() - skip > 1) return refuse("a delete session holds exactly one transaction");
  if (header->is_group_or_account()) return refuse("groups and accounts cannot be deleted");
  const transaction& tx = entry.transactions[skip];
  auto content = read_trusting_content(tx);
  if (!content || !content->meta) return {};  // no delete marker: an ordinary transaction
  json_document meta;
  std::string error;
  std::string_view deleted;
  if (!parse_json(*content->meta, meta, error) || !get_string(meta, "deleted", deleted)) return {};
  if (deleted != value.id()) return refuse("delete marker names another CoValue");
  if (header->ruleset != ruleset_kind::owned_by_group) return refuse("only CoValues owned by a group can be deleted");
  const group_view* group = groups ? groups->view(header->group) : nullptr;
  if (!group) return refuse("the owning group is not available");
  auto role = group->role_of(session_author(entry.session_id), tx.made_at, groups->lookup());
  if (role != "admin") return refuse("only admins of the owning group can delete");
  return delete_check{true, true, {}};
}

}  // namespace moai::protocol
