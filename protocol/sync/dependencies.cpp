#include "protocol/sync/dependencies.hpp"

#include "protocol/encoding/ids.hpp"
#include "protocol/json/json.hpp"

namespace moai::protocol {

void add_header_dependencies(const covalue_header& header, covalue_id_set& out) {
  if (header.ruleset == ruleset_kind::owned_by_group) out.insert(header.group);
  if (!header.meta_source.empty()) out.insert(header.meta_source);
}

void add_session_dependency(std::string_view session_id, covalue_id_set& out) {
  auto pos = session_id.find("_session");
  if (pos == std::string_view::npos) return;
  std::string_view owner = session_id.substr(0, pos);
  if (is_account_id(owner) && is_covalue_id(owner)) out.emplace(owner);
}

void add_group_transaction_dependencies(const transaction& tx, covalue_id_set& out) {
  auto content = read_trusting_content(tx);
  if (!content) return;
  json_document changes;
  std::string error;
  if (!parse_json(content->changes, changes, error) || !changes.IsArray()) return;
  for (const auto& change : changes.GetArray()) {
    std::string_view op, key;
    if (!get_string(change, "op", op) || op != "set" || !get_string(change, "key", key) || key.empty()) continue;
    // cojson takes any "parent_…" suffix or "co_…" key; only real CoValue IDs can
    // ever become available, so anything else would block content forever.
    std::string_view dependency;
    if (starts_with(key, "parent_")) {
      dependency = key.substr(7);
    } else if (starts_with(key, "co_")) {
      dependency = key;
    }
    if (is_covalue_id(dependency)) out.emplace(dependency);
  }
}

covalue_id_set content_dependencies(const std::string& id, const covalue_header* held_header,
                                    const content_message& message) {
  covalue_id_set deps;
  if (held_header) add_header_dependencies(*held_header, deps);
  if (message.header) add_header_dependencies(*message.header, deps);
  for (const auto& s : message.sessions) add_session_dependency(s.session_id, deps);
  const covalue_header* header = held_header ? held_header : (message.header ? &*message.header : nullptr);
  if (header && header->is_group_or_account()) {
    for (const auto& s : message.sessions) {
      for (const auto& tx : s.transactions) add_group_transaction_dependencies(tx, deps);
    }
  }
  deps.erase(id);
  return deps;
}

}  // namespace moai::protocol
