#include "protocol/content/covalue_edit.hpp"

#include <optional>

#include "protocol/content/colist.hpp"
#include "protocol/content/comap.hpp"

namespace moai::protocol {
namespace {

// Where edits to `value` may go and with which key: nullopt key for trusting edits.
struct edit_target {
  std::optional<edit_error> error;
  std::optional<read_key> key;
};

edit_target check(const local_writer& writer, key_resolver& keys, const covalue_state& value, std::string_view type,
                  privacy p) {
  const covalue_header* h = value.header();
  if (!h) return {edit_error::no_header, std::nullopt};
  if (h->type != type) return {edit_error::wrong_type, std::nullopt};
  const agent_identity& me = writer.identity();
  if (h->ruleset == ruleset_kind::group) {
    // Only one's own account, privately (permissions.ts: admins' private transactions).
    if (!h->is_account() || value.id() != me.account_id || p != privacy::encrypted) {
      return {edit_error::not_permitted, std::nullopt};
    }
  } else if (h->ruleset == ruleset_kind::owned_by_group) {
    if (!keys.group(h->group)) return {edit_error::owner_missing, std::nullopt};
    auto role = keys.role_of(h->group);
    if (role != "admin" && role != "manager" && role != "writer" && role != "writeOnly") {
      return {edit_error::not_permitted, std::nullopt};
    }
  }
  if (p == privacy::trusting) return {};
  const std::string owner = key_resolver::key_owner(value);
  auto key = owner.empty() ? std::nullopt : keys.current_read_key(owner);
  if (!key) return {edit_error::no_key, std::nullopt};
  return {std::nullopt, std::move(key)};
}

edit_result write(const local_writer& writer, covalue_state& value, const edit_target& target,
                  const std::string& changes, std::uint64_t made_at) {
  if (target.key) return writer.append_private(value, changes, *target.key, made_at);
  return writer.append_trusting(value, changes, made_at);
}

}  // namespace

const char* to_string(edit_error e) {
  switch (e) {
    case edit_error::no_header:
      return "CoValue not loaded";
    case edit_error::wrong_type:
      return "wrong CoValue type";
    case edit_error::owner_missing:
      return "owning group not loaded";
    case edit_error::not_permitted:
      return "no write permission";
    case edit_error::no_key:
      return "no access to the group's read key";
    case edit_error::bad_value:
      return "value is not JSON";
  }
  return "unknown";
}

edit_result comap_set(const local_writer& writer, key_resolver& keys, covalue_state& map, std::string_view key,
                      std::string_view value_json, std::uint64_t made_at, privacy p) {
  auto changes = comap_set_changes(key, value_json);
  if (!changes) return edit_error::bad_value;
  auto target = check(writer, keys, map, "comap", p);
  if (target.error) return *target.error;
  return write(writer, map, target, *changes, made_at);
}

edit_result comap_assign(const local_writer& writer, key_resolver& keys, covalue_state& map,
                         const std::vector<std::pair<std::string, std::string>>& entries, std::uint64_t made_at,
                         privacy p) {
  auto changes = entries.empty() ? std::optional<std::string>("[]") : comap_set_changes(entries);
  if (!changes) return edit_error::bad_value;
  auto target = check(writer, keys, map, "comap", p);
  if (target.error) return *target.error;
  return write(writer, map, target, *changes, made_at);
}

edit_result comap_delete(const local_writer& writer, key_resolver& keys, covalue_state& map, std::string_view key,
                         std::uint64_t made_at, privacy p) {
  auto target = check(writer, keys, map, "comap", p);
  if (target.error) return *target.error;
  return write(writer, map, target, comap_delete_changes(key), made_at);
}

edit_result colist_append(const local_writer& writer, key_resolver& keys, covalue_state& list,
                          const std::vector<std::string>& values_json, std::uint64_t made_at, privacy p) {
  auto target = check(writer, keys, list, "colist", p);
  if (target.error) return *target.error;
  auto changes = colist_append_changes(values_json, colist_view::read(list, keys).last());
  if (!changes) return edit_error::bad_value;
  return write(writer, list, target, *changes, made_at);
}

}  // namespace moai::protocol
