// Groups as cojson's permission rules see them (permissions.ts
// determineValidTransactionsForGroup, group.ts roleOfInternal): which group
// transactions are valid, the group's content over time, and members' roles.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/covalue_state.hpp"

namespace moai::protocol {

class group_view {
 public:
  // Resolves an evaluated parent group by ID; nullptr when it is not at hand (its
  // extension is then ignored).
  using parent_lookup = std::function<const group_view*(const std::string& id)>;

  struct change {
    std::uint64_t made_at = 0;
    std::string value;  // the JSON string's text, or compact JSON for other values
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

 private:
  std::optional<std::string> role_of(std::string_view member, std::optional<std::uint64_t> time,
                                     const parent_lookup& parents, int depth) const;

  std::string id_;
  bool is_account_ = false;
  std::map<std::string, std::vector<change>, std::less<>> changes_;
};

// The author of a session: its account or agent ID (the part before "_session").
std::string_view session_author(std::string_view session_id);

}  // namespace moai::protocol
