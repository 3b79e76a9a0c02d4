#include "protocol/sync/content_audit.hpp"

#include <map>

#include "protocol/encoding/ids.hpp"
#include "protocol/sync/codec.hpp"

namespace moai::protocol {

covalue_audit audit_content(const covalue_state& trusted, session_signers& signers, const account_lookup& accounts,
                            const delete_judge& judge_delete) {
  covalue_audit audit;
  covalue_state fresh(trusted.id());
  const account_lookup with_self = [&](const std::string& id) -> std::optional<account_facts> {
    if (id == fresh.id() && fresh.header()) return account_facts{fresh.header()->is_account(), fresh.header()->initial_admin};
    return accounts ? accounts(id) : std::nullopt;
  };
  std::map<std::string, std::string> first_fault;
  if (!trusted.has_header()) audit.header_problem = "no header";
  for (const auto& piece : audit.header_problem.empty() ? trusted.new_content_since(nullptr)
                                                        : std::vector<std::string>{}) {
    auto frame = decode_frame(piece);
    if (frame.dropped || !frame.errors.empty() || frame.messages.size() != 1) {
      audit.header_problem = frame.dropped           ? frame.drop_reason
                             : !frame.errors.empty() ? frame.errors.front().reason
                                                     : "content did not encode as one message";
      break;
    }
    auto& message = std::get<content_message>(frame.messages.front());
    auto out = apply_content(fresh, message, signers, with_self, judge_delete);
    if (out.needs_header) {
      audit.header_problem = "content without a header";
      break;
    }
    for (auto& fault : out.faults) first_fault.emplace(fault.session_id, std::move(fault.why));
  }
  for (const auto& log : trusted.sessions()) {
    if (trusted.is_deleted() && !is_delete_session_id(log.id())) continue;
    session_audit s;
    s.session_id = log.id();
    s.held = log.count();
    if (const auto* ours = fresh.find_session(log.id())) {
      s.verified = ours->count();
      if (s.verified > 0) s.verified_signature = ours->last_signature();
    }
    if (s.verified < s.held) {
      auto it = first_fault.find(log.id());
      s.why = it != first_fault.end()            ? it->second
              : !audit.header_problem.empty() ? audit.header_problem
                                              : "not verified";
    }
    audit.transactions_held += s.held;
    audit.transactions_verified += s.verified;
    audit.sessions.push_back(std::move(s));
  }
  return audit;
}

}  // namespace moai::protocol
