#include "protocol/content/colist.hpp"

#include <algorithm>

#include "base/json_text.hpp"
#include "protocol/groups/group.hpp"
#include "protocol/json/js_json.hpp"
#include "protocol/json/json.hpp"

namespace moai::protocol {
namespace {

struct insertion {
  std::string value_json;
  std::uint64_t made_at = 0;
  std::vector<op_id> predecessors;
  std::vector<op_id> successors;
};

std::optional<op_id> read_op_id(const json_value& v) {
  std::string_view session;
  const json_value* tx = find_member(v, "txIndex");
  const json_value* change = find_member(v, "changeIdx");
  if (!get_string(v, "sessionID", session) || !tx || !tx->IsUint() || !change || !change->IsUint()) {
    return std::nullopt;
  }
  return op_id{std::string(session), tx->GetUint(), change->GetUint()};
}

bool has_deletion(const json_value& changes) {
  for (const auto& c : changes.GetArray()) {
    std::string_view op;
    if (get_string(c, "op", op) && op == "del") return true;
  }
  return false;
}

bool header_restricts_deletion(const covalue_header& header) {
  json_document doc;
  std::string error;
  if (!parse_json(header.json, doc, error)) return false;
  const json_value* ruleset = find_member(doc, "ruleset");
  const json_value* flag = ruleset ? find_member(*ruleset, "restrictDeletion") : nullptr;
  return flag && flag->IsBool() && flag->GetBool();
}

}  // namespace

std::string op_id::json() const {
  std::string out = "{\"sessionID\":";
  base::append_json_string(out, session_id);
  out.append(",\"txIndex\":");
  out.append(std::to_string(tx_index));
  out.append(",\"changeIdx\":");
  out.append(std::to_string(change_index));
  out.push_back('}');
  return out;
}

colist_view colist_view::read(const covalue_state& value, key_resolver& keys, decode_stats* stats) {
  auto txs = decode_transactions(value, keys, stats);
  const covalue_header* header = value.header();
  const bool restricted =
      header && header->ruleset == ruleset_kind::owned_by_group && header_restricts_deletion(*header);
  const std::string group_id = restricted ? header->group : std::string();
  return from(txs, restricted, [&](const std::string& author, std::uint64_t made_at) {
    const group_view* g = keys.group(group_id);
    return g ? g->role_of(author, made_at, keys.parent_lookup()) : std::nullopt;
  });
}

colist_view colist_view::from(
    const std::vector<decoded_transaction>& txs, bool restrict_deletion,
    const std::function<std::optional<std::string>(const std::string&, std::uint64_t)>& role_at) {
  std::map<op_id, insertion> insertions;
  std::set<op_id> deleted;
  std::vector<op_id> after_start, before_end;

  // processNewTransactions, over the transactions in cojson's order.
  for (const auto& tx : txs) {
    json_document changes;
    std::string error;
    if (!parse_json(tx.changes_json, changes, error) || !changes.IsArray()) continue;
    if (restrict_deletion && has_deletion(changes)) {
      auto role = role_at ? role_at(std::string(session_author(tx.id.session_id)), tx.made_at) : std::nullopt;
      if (role != "admin" && role != "manager") continue;
    }
    std::uint32_t index = 0;
    for (const auto& change : changes.GetArray()) {
      op_id id{tx.id.session_id, tx.id.tx_index, index++};
      std::string_view op;
      get_string(change, "op", op);
      if (op == "app" || op == "pre") {
        const json_value* v = find_member(change, "value");
        insertion entry{v ? stable_json(*v) : "null", tx.made_at, {}, {}};
        if (!insertions.emplace(id, std::move(entry)).second) continue;  // already known
        const json_value* anchor = find_member(change, op == "app" ? "after" : "before");
        std::string_view edge;
        if (anchor && anchor->IsString() && (edge = view_of(*anchor)) == (op == "app" ? "start" : "end")) {
          (op == "app" ? after_start : before_end).push_back(id);
          continue;
        }
        // An anchor that is unknown (so far) leaves the insertion unreachable, as in cojson.
        auto anchor_id = anchor ? read_op_id(*anchor) : std::nullopt;
        auto target = anchor_id ? insertions.find(*anchor_id) : insertions.end();
        if (target == insertions.end()) continue;
        (op == "app" ? target->second.successors : target->second.predecessors).push_back(id);
      } else if (op == "del") {
        const json_value* target = find_member(change, "insertion");
        if (auto target_id = target ? read_op_id(*target) : std::nullopt) deleted.insert(*target_id);
      }
      // cojson throws on unknown ops; they are skipped here.
    }
  }

  // entriesUncached / fillArrayFromOpID: predecessors before the item, successors after
  // it, both walked from the most recent one.
  colist_view view;
  auto fill = [&](const op_id& root) {
    std::vector<op_id> todo{root};
    std::set<op_id> predecessors_visited;
    while (!todo.empty()) {
      const op_id current = todo.back();
      auto it = insertions.find(current);
      if (it == insertions.end()) {
        todo.pop_back();
        continue;
      }
      const insertion& entry = it->second;
      if (!entry.predecessors.empty() && !predecessors_visited.count(current)) {
        for (const auto& p : entry.predecessors) todo.push_back(p);
        predecessors_visited.insert(current);
        continue;
      }
      todo.pop_back();
      if (!deleted.count(current)) view.items_.push_back({entry.value_json, current, entry.made_at});
      for (const auto& s : entry.successors) todo.push_back(s);
    }
  };
  for (const auto& id : after_start) fill(id);
  for (const auto& id : before_end) fill(id);
  return view;
}

std::optional<op_id> colist_view::last() const {
  if (items_.empty()) return std::nullopt;
  return items_.back().id;
}

std::string colist_view::json() const {
  std::string out = "[";
  for (std::size_t i = 0; i < items_.size(); ++i) {
    if (i) out.push_back(',');
    out.append(items_[i].value_json);
  }
  out.push_back(']');
  return out;
}

std::optional<std::string> colist_append_changes(const std::vector<std::string>& values_json,
                                                 const std::optional<op_id>& after) {
  std::vector<std::string> ops;
  const std::string anchor = after ? after->json() : std::string("\"start\"");
  for (const auto& value_json : values_json) {
    auto value = js_json_from_text(value_json);
    if (!value) return std::nullopt;
    ops.push_back("{\"op\":\"app\",\"value\":" + *value + ",\"after\":" + anchor + "}");
  }
  if (after) std::reverse(ops.begin(), ops.end());
  std::string out = "[";
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (i) out.push_back(',');
    out.append(ops[i]);
  }
  out.push_back(']');
  return out;
}

std::string colist_delete_changes(const op_id& insertion) {
  return "[{\"op\":\"del\",\"insertion\":" + insertion.json() + "}]";
}

}  // namespace moai::protocol
