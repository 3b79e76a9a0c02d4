#include "protocol/sync/content_ingest.hpp"

#include "protocol/crypto/keys.hpp"
#include "protocol/encoding/ids.hpp"

namespace moai::protocol {

std::optional<key32> session_signer(std::string_view session_id, const covalue_lookup& accounts) {
  auto parts = parse_session_id(session_id);
  if (!parts) return std::nullopt;
  std::string_view agent = parts->owner;
  if (!is_agent_id(agent)) {
    const covalue_state* account = accounts ? accounts(std::string(parts->owner)) : nullptr;
    if (!account || !account->header() || !account->header()->is_account()) return std::nullopt;
    agent = account->header()->initial_admin;
  }
  return decode_signer_id(agent_signer_id(agent));
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
    auto signer = session_signer(entry.session_id, accounts);
    if (!signer) {
      result.errors.push_back(entry.session_id + ": unknown signer");
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
