// Groups as cojson's permission rules see them (permissions.ts
// determineValidTransactionsForGroup, group.ts roleOfInternal): which group
// transactions are valid, the group's content over time, and members' roles.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/sync/covalue_state.hpp"

namespace moai::protocol {

class group_view {
 public:
  // Resolves an evaluated parent group by ID; nullptr when it is not at hand (its
  // extension is then ignored).
  using parent_lookup = std::function<const group_view*(const std::string& id)>;

  struct change {
    std::uint64_t made_at = 0;
    std::string value;  // the JSON string's text, or compact JSON for other values
    // The transaction that made it (cojson's lastEditAt: the author and the nonce
    // material of a sealed key revelation come from it).
    std::string session_id;
    std::uint32_t tx_index = 0;
  };

  // A transaction of the group, by session and index.
  struct tx_ref {
    std::string session_id;
    std::uint32_t tx_index = 0;
  };

  // Evaluates a ruleset-group CoValue (group or account).
  static group_view evaluate(const covalue_state& group, const parent_lookup& parents);

  const std::string& id() const { return id_; }
  bool is_account() const { return is_account_; }

  // The value of `key` at `time` (the latest when nullopt), from valid transactions only.
  const std::string* get(std::string_view key, std::optional<std::uint64_t> time = std::nullopt) const;
  // The role of an account, agent or "everyone" at `time` (cojson's roleOfInternal).
  std::optional<std::string> role_of(std::string_view member, std::optional<std::uint64_t> time,
                                     const parent_lookup& parents) const;
  // Parent groups extended at `time`, with their mapping ("extend" or a role).
  std::vector<std::pair<std::string, std::string>> parents(std::optional<std::uint64_t> time = std::nullopt) const;
  const std::map<std::string, std::vector<change>, std::less<>>& changes() const { return changes_; }
  // The latest valid change of `key` (cojson's lastEditAt), nullptr when there is none.
  const change* last_change(std::string_view key) const;
  // Every valid transaction in cojson's validation order (madeAt, then processing order):
  // what a reader of the group's own content (as a CoMap) takes into account. Accounts
  // also accept private transactions by admins (permissions.ts), which `changes()` leaves
  // out because key resolution reads accounts without them.
  const std::vector<tx_ref>& valid_transactions() const { return valid_; }

 private:
  std::optional<std::string> role_of(std::string_view member, std::optional<std::uint64_t> time,
                                     const parent_lookup& parents, int depth) const;

  std::string id_;
  bool is_account_ = false;
  std::map<std::string, std::vector<change>, std::less<>> changes_;
  std::vector<tx_ref> valid_;
};

// The author of a session: its account or agent ID (the part before "_session").
std::string_view session_author(std::string_view session_id);

// Groups at hand, evaluated on demand with their parents (memoized; cycles cut).
class group_registry {
 public:
  void add(covalue_state state);
  bool has(const std::string& id) const { return states_.count(id) > 0; }
  // nullptr when the group is not at hand or is not a ruleset-group CoValue.
  const group_view* view(const std::string& id);
  group_view::parent_lookup lookup();

 private:
  std::map<std::string, covalue_state> states_;
  std::map<std::string, group_view> views_;
  std::set<std::string> evaluating_;
};

// Parent groups named by a group's transactions ("parent_co_z…" keys), valid or not:
// what to fetch before evaluating it.
std::vector<std::string> referenced_parent_groups(const covalue_state& group);

}  // namespace moai::protocol
