#include "protocol/sync/content_ingest.hpp"

namespace moai::protocol {

account_lookup account_facts_from(const covalue_lookup& lookup) {
  return [lookup](const std::string& id) -> std::optional<account_facts> {
    const covalue_state* state = lookup ? lookup(id) : nullptr;
    if (!state || !state->header()) return std::nullopt;
    return account_facts{state->header()->is_account(), state->header()->initial_admin};
  };
}

ingest_result ingest_content(covalue_state& state, const content_message& message, const covalue_lookup& accounts) {
  ingest_result result;
  if (message.id != state.id()) {
    result.errors.push_back("content for " + message.id + " applied to " + state.id());
    return result;
  }
  if (!state.has_header()) {
    if (!message.header) {
      result.errors.push_back("unknown CoValue and no header");
      return result;
    }
    state.set_header(*message.header);  // the codec already checked that it hashes to the ID
  }
  const account_lookup facts = account_facts_from(accounts);
  for (const auto& entry : message.sessions) {
    if (!entry.error.empty()) {
      result.errors.push_back(entry.session_id + ": " + entry.error);
      continue;
    }
    const std::uint32_t ours = state.count(entry.session_id);
    if (entry.after > ours) {
      result.gap = true;
      continue;
    }
    const std::size_t known = ours - entry.after;
    if (known >= entry.transactions.size()) continue;
    std::string why;
    auto signer = session_signer(entry.session_id, facts, why);
    if (!signer) {
      result.errors.push_back(entry.session_id + ": unknown signer (" + why + ")");
      continue;
    }
    std::vector<transaction> fresh(entry.transactions.begin() + static_cast<std::ptrdiff_t>(known),
                                   entry.transactions.end());
    const std::size_t count = fresh.size();
    std::string hash;
    if (!state.try_add(entry.session_id, std::move(fresh), entry.last_signature, *signer, hash)) {
      result.errors.push_back(entry.session_id + ": signature does not verify " + hash);
      continue;
    }
    ++result.accepted_sessions;
    result.new_transactions += count;
  }
  return result;
}

}  // namespace moai::protocol
