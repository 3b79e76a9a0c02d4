// Read keys as one reader reaches them (cojson group.ts getReadKey / getUncachedReadKey /
// getCurrentReadKeyId): revelations sealed to the reader, keys revealed to everyone,
// old keys encrypted under newer ones (rotations), and child keys revealed to a parent
// group's key or sealed to the parent's group sealer.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "protocol/crypto/identity.hpp"
#include "protocol/crypto/keys.hpp"
#include "protocol/groups/group.hpp"
#include "protocol/sync/covalue_state.hpp"

namespace moai::protocol {

class key_resolver {
 public:
  // CoValues at hand by ID (accounts, groups, parents); nullptr when not loaded. The
  // states must outlive the resolver and must not change while it is in use: it caches
  // group evaluations and secrets (make a new resolver after new content arrives).
  using state_lookup = std::function<const covalue_state*(const std::string& id)>;

  key_resolver(agent_identity reader, state_lookup states);

  const agent_identity& reader() const { return reader_; }
  const covalue_state* state(const std::string& id) const { return states_ ? states_(id) : nullptr; }

  // The evaluated group or account `id`; nullptr when it is not at hand or not a
  // ruleset-group CoValue. Parent groups are evaluated through the same lookup.
  const group_view* group(const std::string& id);
  group_view::parent_lookup parent_lookup();

  // cojson's resolveAccountAgent: an agent ID stands for itself; an account resolves to
  // its initialAdmin agent (later agents do not count).
  std::optional<std::string> agent_of(std::string_view account_or_agent) const;

  // The reader's role in a group (direct, inherited from parents, or through everyone).
  std::optional<std::string> role_of(const std::string& group_id, std::optional<std::uint64_t> time = std::nullopt);

  // The secret of any key the reader can reach in group (or account) `group_id`.
  std::optional<key32> read_key_secret(const std::string& group_id, std::string_view key_id);

  // cojson getCurrentReadKeyId: the group's `readKey`, or the reader's write key when
  // it is a writeOnly member (or no member with a write key). nullopt: no key is set.
  std::optional<std::string> current_read_key_id(const std::string& group_id);
  // The current key with its secret; nullopt when the reader cannot reach the secret.
  std::optional<read_key> current_read_key(const std::string& group_id);

  // The group whose keys encrypt `value`'s private transactions: its owning group, or
  // the value itself when it is a group or account. Empty when it has none.
  static std::string key_owner(const covalue_state& value);

 private:
  std::optional<key32> uncached_read_key(const std::string& group_id, const group_view& group, std::string_view key_id);
  std::optional<key32> from_group_sealer(const std::string& child_id, const group_view& child,
                                         const std::string& parent_id, std::string_view key_id);

  agent_identity reader_;
  state_lookup states_;
  std::map<std::string, group_view> views_;
  std::set<std::string> evaluating_;
  std::map<std::pair<std::string, std::string>, key32> secrets_;
  std::set<std::pair<std::string, std::string>> resolving_;  // cuts revelation cycles
};

}  // namespace moai::protocol
