#include "protocol/content/comap.hpp"

#include "base/json_text.hpp"
#include "protocol/groups/group.hpp"
#include "protocol/json/js_json.hpp"
#include "protocol/json/json.hpp"

namespace moai::protocol {

comap_view comap_view::read(const covalue_state& value, key_resolver& keys, decode_stats* stats) {
  return from(decode_transactions(value, keys, stats));
}

comap_view comap_view::from(const std::vector<decoded_transaction>& txs) {
  comap_view view;
  for (const auto& tx : txs) {
    json_document changes;
    std::string error;
    if (!parse_json(tx.changes_json, changes, error) || !changes.IsArray()) continue;
    std::uint32_t index = 0;
    for (const auto& change : changes.GetArray()) {
      const std::uint32_t change_index = index++;
      std::string_view op, key;
      if (!protocol::get_string(change, "key", key)) continue;
      protocol::get_string(change, "op", op);
      // As coMap.ts get(): "del" removes the key; any other op yields its `value`,
      // and a missing value reads as undefined (absent).
      entry e;
      const json_value* v = find_member(change, "value");
      if (op == "del" || !v) {
        e.deleted = true;
      } else {
        e.value_json = stable_json(*v);
      }
      e.author = std::string(session_author(tx.id.session_id));
      e.tx = tx.id;
      e.change_index = change_index;
      e.made_at = tx.made_at;
      // Transactions arrive in cojson's order and ops in array order: the last one wins.
      view.latest_.insert_or_assign(std::string(key), std::move(e));
    }
  }
  return view;
}

std::optional<std::string> comap_view::get(std::string_view key) const {
  const entry* e = last_edit(key);
  if (!e || e->deleted) return std::nullopt;
  return e->value_json;
}

std::optional<std::string> comap_view::get_string(std::string_view key) const {
  auto text = get(key);
  if (!text) return std::nullopt;
  json_document doc;
  std::string error;
  if (!parse_json(*text, doc, error) || !doc.IsString()) return std::nullopt;
  return std::string(view_of(doc));
}

const comap_view::entry* comap_view::last_edit(std::string_view key) const {
  auto it = latest_.find(key);
  return it == latest_.end() ? nullptr : &it->second;
}

std::vector<std::string> comap_view::keys() const {
  std::vector<std::string> out;
  for (const auto& [key, e] : latest_) {
    if (!e.deleted) out.push_back(key);
  }
  return out;
}

std::string comap_view::json() const {
  // Assemble the object and let stable_json order the keys as cojson's stableStringify.
  json_document doc;
  doc.SetObject();
  auto& alloc = doc.GetAllocator();
  for (const auto& [key, e] : latest_) {
    if (e.deleted) continue;
    json_document value;
    std::string error;
    if (!parse_json(e.value_json, value, error)) continue;
    json_value name(key.data(), static_cast<rapidjson::SizeType>(key.size()), alloc);
    json_value copy(value, alloc);
    doc.AddMember(name, copy, alloc);
  }
  return stable_json(doc);
}

std::optional<std::string> comap_set_changes(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string out = "[";
  for (std::size_t i = 0; i < entries.size(); ++i) {
    auto value = js_json_from_text(entries[i].second);
    if (!value) return std::nullopt;
    if (i) out.push_back(',');
    out.append("{\"op\":\"set\",\"key\":");
    base::append_json_string(out, entries[i].first);
    out.append(",\"value\":");
    out.append(*value);
    out.push_back('}');
  }
  out.push_back(']');
  return out;
}

std::optional<std::string> comap_set_changes(std::string_view key, std::string_view value_json) {
  return comap_set_changes({{std::string(key), std::string(value_json)}});
}

std::string comap_delete_changes(std::string_view key) {
  std::string out = "[{\"op\":\"del\",\"key\":";
  base::append_json_string(out, key);
  out.append("}]");
  return out;
}

}  // namespace moai::protocol
