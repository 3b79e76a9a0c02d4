#include "protocol/groups/group.hpp"

#include <algorithm>
#include <set>

#include "protocol/encoding/ids.hpp"
#include "protocol/json/json.hpp"

namespace moai::protocol {
namespace {

bool is_valid_role(std::string_view r) {
  static constexpr std::string_view roles[] = {"admin",      "manager",       "writer",       "reader",
                                               "writeOnly",  "revoked",       "managerInvite", "adminInvite",
                                               "writerInvite", "readerInvite", "writeOnlyInvite"};
  return std::find(std::begin(roles), std::end(roles), r) != std::end(roles);
}

bool is_inheritable(const std::optional<std::string>& r) {
  return r && (*r == "revoked" || *r == "admin" || *r == "manager" || *r == "writer" || *r == "reader");
}

bool can_admin(const std::optional<std::string>& r) { return r && (*r == "admin" || *r == "manager"); }

// permissions.ts isHigherRole.
bool is_higher_role(const std::string& a, const std::optional<std::string>& b) {
  if (a == "revoked") return false;
  if (!b || *b == "revoked") return true;
  if (*b == "admin") return false;
  if (a == "admin") return true;
  if (*b == "manager") return false;
  if (a == "manager") return true;
  return a == "writer" && *b == "reader";
}

// group.ts isMorePermissiveAndShouldInherit.
bool more_permissive(const std::string& parent, const std::optional<std::string>& child) {
  if (parent == "revoked") return true;
  if (parent == "manager") return !child || (*child != "manager" && *child != "admin");
  if (parent == "admin") return !child || *child != "admin";
  if (parent == "writer") return !child || *child == "reader" || *child == "writeOnly";
  if (parent == "reader") return !child;
  return false;
}

bool is_key_for_key(std::string_view k) { return starts_with(k, "key_") && k.find("_for_key") != std::string_view::npos; }
bool is_key_for_account(std::string_view k) {
  return (starts_with(k, "key_") &&
          (k.find("_for_sealer") != std::string_view::npos || k.find("_for_co") != std::string_view::npos)) ||
         k.find("_for_everyone") != std::string_view::npos;
}
bool is_key_sealed_for_group(std::string_view k) {
  return starts_with(k, "key_") && k.find("_sealedFor_sealer") != std::string_view::npos;
}

struct group_tx {
  std::string_view author;
  std::uint64_t made_at;
  std::size_t order;  // processing order: sessions as held, transactions by index
  const transaction* tx;
  const std::string* session_id;
  std::uint32_t tx_index;
};

std::string value_text(const json_value& v) {
  if (v.IsString()) return std::string(view_of(v));
  std::string out;
  append_stable_json(out, v);
  return out;
}

const std::string* value_at(const std::vector<group_view::change>& changes, std::optional<std::uint64_t> time) {
  if (changes.empty()) return nullptr;
  if (!time) return &changes.back().value;
  for (auto it = changes.rbegin(); it != changes.rend(); ++it) {
    if (it->made_at <= *time) return &it->value;
  }
  return nullptr;
}

// The member-role bookkeeping of determineValidTransactionsForGroup.
struct member_roles {
  std::map<std::string, std::string, std::less<>> direct;
  std::map<std::string, std::string> parents;  // parent group → mapping

  std::optional<std::string> at_time(std::string_view member, std::uint64_t time,
                                     const group_view::parent_lookup& lookup) const {
    std::optional<std::string> role;
    if (auto it = direct.find(member); it != direct.end()) role = it->second;
    for (const auto& [parent_id, mapping] : parents) {
      const group_view* parent = lookup ? lookup(parent_id) : nullptr;
      if (!parent) continue;
      auto parent_role = parent->role_of(member, time, lookup);
      if (!is_inheritable(parent_role)) continue;
      std::string resolved = mapping == "extend" ? *parent_role : mapping;
      if (is_higher_role(resolved, role)) role = resolved;
    }
    return role;
  }
};

// isSelfExtension: does `parent` (transitively) extend `self_id`?
bool extends(const group_view* parent, const std::string& self_id, const group_view::parent_lookup& lookup) {
  std::set<std::string> checked;
  std::vector<const group_view*> queue{parent};
  while (!queue.empty()) {
    const group_view* current = queue.back();
    queue.pop_back();
    if (current->id() == self_id) return true;
    checked.insert(current->id());
    for (const auto& [id, mapping] : current->parents()) {
      if (checked.count(id)) continue;
      if (const group_view* next = lookup ? lookup(id) : nullptr) queue.push_back(next);
    }
  }
  return false;
}

}  // namespace

std::string_view session_author(std::string_view session_id) {
  auto pos = session_id.find("_session");
  return pos == std::string_view::npos ? session_id : session_id.substr(0, pos);
}

group_view group_view::evaluate(const covalue_state& group, const parent_lookup& lookup) {
  group_view view;
  view.id_ = group.id();
  const covalue_header* header = group.header();
  if (!header || header->ruleset != ruleset_kind::group) return view;
  view.is_account_ = header->meta_type == "account";
  const std::string& initial_admin = header->initial_admin;

  std::vector<group_tx> txs;
  std::size_t order = 0;
  for (const auto& log : group.sessions()) {
    std::uint32_t index = 0;
    for (const auto& tx : log.transactions()) {
      txs.push_back({session_author(log.id()), tx.made_at, order++, &tx, &log.id(), index++});
    }
  }
  std::stable_sort(txs.begin(), txs.end(), [](const group_tx& a, const group_tx& b) {
    return a.made_at != b.made_at ? a.made_at < b.made_at : a.order < b.order;
  });

  member_roles roles;
  std::map<std::string, std::string, std::less<>> write_only_keys;  // member → key ID
  std::set<std::string, std::less<>> write_keys;
  const group_tx* current = nullptr;
  auto accept = [&](const std::string& key, std::string value, std::uint64_t made_at) {
    auto& list = view.changes_[key];
    auto pos = list.end();
    while (pos != list.begin() && std::prev(pos)->made_at > made_at) --pos;
    list.insert(pos, change{made_at, std::move(value), *current->session_id, current->tx_index});
    view.valid_.push_back({*current->session_id, current->tx_index});
  };

  for (const auto& gtx : txs) {
    current = &gtx;
    const std::string author(gtx.author);
    const auto transactor_role = roles.at_time(author, gtx.made_at, lookup);
    if (gtx.tx->is_private) {
      // Groups take no private transactions; accounts take them from admins. Their
      // content stays out of changes_: key resolution reads accounts without them.
      if (view.is_account_ && transactor_role == "admin") view.valid_.push_back({*gtx.session_id, gtx.tx_index});
      continue;
    }
    auto content = read_trusting_content(*gtx.tx);
    if (!content) continue;
    json_document changes;
    std::string error;
    if (!parse_json(content->changes, changes, error) || !changes.IsArray() || changes.Size() != 1) continue;
    const json_value& change = changes[0];
    std::string_view op, key;
    if (!get_string(change, "op", op) || op != "set" || !get_string(change, "key", key)) continue;
    const json_value* value = find_member(change, "value");
    if (!value) continue;
    const std::string key_text(key);

    if (key == "readKey" || key == "groupSealer" || key == "profile" || key == "root") {
      if (can_admin(transactor_role)) accept(key_text, value_text(*value), gtx.made_at);
      continue;
    }
    if (is_key_for_key(key) || is_key_for_account(key) || is_key_sealed_for_group(key)) {
      static constexpr std::string_view revealers[] = {"admin",         "adminInvite",  "manager",
                                                       "managerInvite", "writerInvite", "readerInvite",
                                                       "writeOnlyInvite"};
      bool allowed = transactor_role && std::find(std::begin(revealers), std::end(revealers), *transactor_role) !=
                                            std::end(revealers);
      if (!allowed) {
        // A writeOnly member may reveal its own write key.
        auto cut = key.find("_for_");
        if (cut == std::string_view::npos) cut = key.find("_sealedFor_");
        auto own = write_only_keys.find(author);
        allowed = cut != std::string_view::npos && cut > 0 && own != write_only_keys.end() &&
                  own->second == key.substr(0, cut);
      }
      if (allowed) accept(key_text, value_text(*value), gtx.made_at);
      continue;
    }
    if (starts_with(key, "parent_")) {
      if (!can_admin(transactor_role)) continue;
      std::string parent_id(key.substr(7));
      const group_view* parent = lookup ? lookup(parent_id) : nullptr;
      if (!parent || parent->is_account()) continue;
      if (extends(parent, view.id_, lookup)) continue;
      std::string mapping = value_text(*value);
      if (mapping == "revoked") {
        roles.parents.erase(parent_id);
      } else {
        roles.parents[parent_id] = mapping;
      }
      accept(key_text, std::move(mapping), gtx.made_at);
      continue;
    }
    if (starts_with(key, "child_")) continue;  // no longer allowed
    if (starts_with(key, "writeKeyFor_")) {
      std::string member(key.substr(12));
      bool allowed = (transactor_role && (*transactor_role == "admin" || *transactor_role == "manager" ||
                                          *transactor_role == "writeOnlyInvite")) ||
                     member == author;
      if (!allowed) continue;
      write_only_keys[member] = value_text(*value);
      if (write_keys.count(key_text) && !can_admin(transactor_role)) continue;
      write_keys.insert(key_text);
      accept(key_text, value_text(*value), gtx.made_at);
      continue;
    }

    // Role assignments.
    if (!value->IsString() || !is_valid_role(view_of(*value))) continue;
    const std::string assigned(view_of(*value));
    const std::string& member = key_text;
    if (member == "everyone" && assigned != "reader" && assigned != "writer" && assigned != "writeOnly" &&
        assigned != "revoked") {
      continue;
    }
    auto set_role = [&] {
      roles.direct[member] = assigned;
      accept(member, assigned, gtx.made_at);
    };
    if (!transactor_role && author == initial_admin && member == author && assigned == "admin") {
      set_role();  // the initial admin's self promotion
      continue;
    }
    if (member == author && assigned == "revoked") {
      set_role();  // revoking oneself is always allowed
      continue;
    }
    const auto affected_role = roles.at_time(member, gtx.made_at, lookup);
    if (transactor_role == "admin") {
      if (affected_role == "admin" && assigned != "admin" && member != author) continue;
      set_role();
      continue;
    }
    if (transactor_role == "manager") {
      if (affected_role == "admin" || assigned == "admin" || assigned == "adminInvite" ||
          assigned == "managerInvite") {
        continue;
      }
      set_role();
      continue;
    }
    static const std::map<std::string, std::string> invites = {{"adminInvite", "admin"},
                                                               {"managerInvite", "manager"},
                                                               {"writerInvite", "writer"},
                                                               {"readerInvite", "reader"},
                                                               {"writeOnlyInvite", "writeOnly"}};
    if (transactor_role) {
      auto it = invites.find(*transactor_role);
      if (it != invites.end() && it->second == assigned) {
        set_role();
        continue;
      }
    }
  }
  return view;
}

const group_view::change* group_view::last_change(std::string_view key) const {
  auto it = changes_.find(key);
  return it == changes_.end() || it->second.empty() ? nullptr : &it->second.back();
}

const std::string* group_view::get(std::string_view key, std::optional<std::uint64_t> time) const {
  auto it = changes_.find(key);
  return it == changes_.end() ? nullptr : value_at(it->second, time);
}

std::vector<std::pair<std::string, std::string>> group_view::parents(std::optional<std::uint64_t> time) const {
  std::vector<std::pair<std::string, std::string>> out;
  for (auto it = changes_.lower_bound(std::string_view("parent_")); it != changes_.end(); ++it) {
    if (!starts_with(it->first, "parent_")) break;
    const std::string* mapping = value_at(it->second, time);
    if (mapping && *mapping != "revoked") out.emplace_back(it->first.substr(7), *mapping);
  }
  return out;
}

std::optional<std::string> group_view::role_of(std::string_view member, std::optional<std::uint64_t> time,
                                               const parent_lookup& lookup) const {
  return role_of(member, time, lookup, 0);
}

std::optional<std::string> group_view::role_of(std::string_view member, std::optional<std::uint64_t> time,
                                               const parent_lookup& lookup, int depth) const {
  // Parent chains are acyclic by construction; the bound guards lookups that are not.
  constexpr int kMaxParentDepth = 32;
  if (is_account_ && member == id_) return std::string("admin");  // RawAccount.roleOfInternal
  std::optional<std::string> role;
  if (const std::string* here = get(member, time); here && *here != "revoked") role = *here;
  for (const auto& [parent_id, mapping] : parents(time)) {
    const group_view* parent = lookup && depth < kMaxParentDepth ? lookup(parent_id) : nullptr;
    if (!parent) continue;
    auto parent_role = parent->role_of(member, time, lookup, depth + 1);
    if (!is_inheritable(parent_role)) continue;
    std::string inherited = mapping != "extend" ? mapping : *parent_role;
    if (more_permissive(inherited, role)) role = inherited;
  }
  if (!role && member != "everyone") {
    const std::string* everyone = get("everyone", time);
    if (everyone && *everyone != "revoked") return *everyone;
  }
  return role;
}

void group_registry::add(covalue_state state) {
  std::string id = state.id();
  views_.erase(id);
  states_.insert_or_assign(id, std::move(state));
}

const group_view* group_registry::view(const std::string& id) {
  if (auto it = views_.find(id); it != views_.end()) return &it->second;
  auto state = states_.find(id);
  if (state == states_.end() || !state->second.header() ||
      state->second.header()->ruleset != ruleset_kind::group || evaluating_.count(id)) {
    return nullptr;
  }
  evaluating_.insert(id);
  group_view v = group_view::evaluate(state->second, lookup());
  evaluating_.erase(id);
  return &views_.emplace(id, std::move(v)).first->second;
}

group_view::parent_lookup group_registry::lookup() {
  return [this](const std::string& id) { return view(id); };
}

std::vector<std::string> referenced_parent_groups(const covalue_state& group) {
  covalue_id_set parents;
  for (const auto& log : group.sessions()) {
    for (const auto& tx : log.transactions()) {
      auto content = read_trusting_content(tx);
      if (!content || content->changes.find("\"parent_") == std::string::npos) continue;
      covalue_id_set deps;
      add_group_transaction_dependencies(tx, deps);
      for (const auto& d : deps) {
        if (content->changes.find("parent_" + d) != std::string::npos) parents.insert(d);
      }
    }
  }
  return {parents.begin(), parents.end()};
}

}  // namespace moai::protocol
