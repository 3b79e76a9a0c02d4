#include "storage/stored_lookups.hpp"

#include <set>
#include <utility>
#include <vector>

#include "protocol/covalue/header.hpp"
#include "protocol/json/json.hpp"
#include "storage/stored_state.hpp"

namespace moai::storage {
namespace {

constexpr std::size_t kMaxCachedAccounts = 100000;
constexpr std::size_t kMaxGroups = 32;  // as the CoValue actor fetches for a delete

}  // namespace

std::optional<protocol::account_facts> stored_lookups::account(const std::string& id) {
  if (auto it = accounts_.find(id); it != accounts_.end()) return it->second;
  if (accounts_.size() >= kMaxCachedAccounts) accounts_.clear();
  std::optional<protocol::account_facts> facts;
  if (auto stored = store_.load(id)) {
    protocol::json_document doc;
    std::string error;
    std::optional<protocol::covalue_header> header;
    if (protocol::parse_json(stored->header, doc, error)) header = protocol::parse_header(doc, error);
    // Only a header that is the ID's says who signs the account's sessions.
    if (header && protocol::covalue_id_of(*header) == id) {
      facts = protocol::account_facts{header->is_account(), header->initial_admin};
    }
  }
  accounts_.emplace(id, facts);
  return facts;
}

std::unique_ptr<protocol::group_registry> stored_lookups::groups_of(const protocol::covalue_state& value) {
  auto registry = std::make_unique<protocol::group_registry>();
  const auto* header = value.header();
  if (!header || header->group.empty()) return registry;
  std::vector<std::string> pending{header->group};
  std::set<std::string> seen;
  while (!pending.empty() && seen.size() < kMaxGroups) {
    std::string id = std::move(pending.back());
    pending.pop_back();
    if (!seen.insert(id).second) continue;
    auto stored = store_.load(id);
    if (!stored) continue;
    protocol::covalue_state group(id);
    if (restore_state(std::move(*stored), group).header_unreadable) continue;
    for (auto& parent : protocol::referenced_parent_groups(group)) pending.push_back(std::move(parent));
    registry->add(std::move(group));
  }
  return registry;
}

}  // namespace moai::storage
