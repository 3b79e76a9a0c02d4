// What verifying a CoValue outside the actors (moai check, moai import) looks up in the
// store: who signs an account's sessions (its header), and for a delete, the owning
// group and its ancestors. The server asks its CoValue actors for the same.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "protocol/groups/group.hpp"
#include "protocol/sync/session_signer.hpp"
#include "storage/covalue_store.hpp"

namespace moai::storage {

class stored_lookups {
 public:
  explicit stored_lookups(covalue_store& store) : store_(store) {}

  // The facts of a stored account whose header is its ID's; nullopt otherwise.
  // Remembered (a capped cache) until forget().
  std::optional<protocol::account_facts> account(const std::string& id);
  protocol::account_lookup accounts() {
    return [this](const std::string& id) { return account(id); };
  }
  // `id` was written: what was remembered of it may be stale.
  void forget(const std::string& id) { accounts_.erase(id); }

  // The stored owning group of `value` and its ancestors (at most 32), for judging a delete.
  std::unique_ptr<protocol::group_registry> groups_of(const protocol::covalue_state& value);

 private:
  covalue_store& store_;
  std::unordered_map<std::string, std::optional<protocol::account_facts>> accounts_;
};

}  // namespace moai::storage
