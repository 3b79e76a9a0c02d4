#include "protocol/sync/coalesce.hpp"

namespace moai::protocol {
namespace {

session_content* find_session(content_message& m, const std::string& session_id) {
  for (auto& s : m.sessions) {
    if (s.session_id == session_id) return &s;
  }
  return nullptr;
}

bool can_join(content_message& into, const content_message& next) {
  if (into.id != next.id || (next.header && !into.header) || next.expect_content_until) return false;
  for (const auto& s : next.sessions) {
    if (!s.error.empty()) return false;
    const session_content* prev = find_session(into, s.session_id);
    if (prev && (!prev->error.empty() || prev->after + prev->transactions.size() != s.after)) return false;
  }
  return true;
}

void join(content_message& into, content_message&& next) {
  for (auto& s : next.sessions) {
    session_content* prev = find_session(into, s.session_id);
    if (!prev) {
      into.sessions.push_back(std::move(s));
      continue;
    }
    prev->earlier_signatures.emplace_back(static_cast<std::uint32_t>(prev->transactions.size()),
                                          std::move(prev->last_signature));
    for (auto& e : s.earlier_signatures) {
      prev->earlier_signatures.emplace_back(static_cast<std::uint32_t>(prev->transactions.size()) + e.first,
                                            std::move(e.second));
    }
    for (auto& tx : s.transactions) prev->transactions.push_back(std::move(tx));
    prev->last_signature = std::move(s.last_signature);
  }
}

}  // namespace

bool join_content(content_message& into, content_message& next) {
  if (!can_join(into, next)) return false;
  join(into, std::move(next));
  return true;
}

std::size_t coalesce_content(std::vector<sync_message>& messages) {
  std::size_t out = 0, merged = 0;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    auto* next = std::get_if<content_message>(&messages[i]);
    auto* prev = out > 0 ? std::get_if<content_message>(&messages[out - 1]) : nullptr;
    if (next && prev && join_content(*prev, *next)) {
      ++merged;
      continue;
    }
    if (out != i) messages[out] = std::move(messages[i]);
    ++out;
  }
  messages.resize(out);
  return merged;
}

}  // namespace moai::protocol
