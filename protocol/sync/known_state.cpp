#include "protocol/sync/known_state.hpp"

#include <algorithm>
#include <vector>

#include "base/json_text.hpp"
#include "protocol/encoding/blake3_hash.hpp"

namespace moai::protocol {

void merge_into(session_counts& target, const session_counts& other) {
  for (const auto& [session, count] : other) {
    auto [it, inserted] = target.emplace(session, count);
    if (!inserted && it->second < count) it->second = count;
  }
}

void merge_into(known_state& target, const known_state& other) {
  target.header = target.header || other.header;
  merge_into(target.sessions, other.sessions);
}

void intersect_into(known_state& target, const known_state& other) {
  target.header = target.header && other.header;
  for (auto it = target.sessions.begin(); it != target.sessions.end();) {
    auto theirs = other.sessions.find(it->first);
    if (theirs == other.sessions.end() || theirs->second == 0) {
      it = target.sessions.erase(it);
    } else {
      it->second = std::min(it->second, theirs->second);
      ++it;
    }
  }
}

bool is_covered_by(const known_state& a, const known_state& b) {
  if (a.header && !b.header) return false;
  for (const auto& [session, count] : a.sessions) {
    if (count == 0) continue;
    auto it = b.sessions.find(session);
    if (it == b.sessions.end() || it->second < count) return false;
  }
  return true;
}

session_counts counts_ahead_of(const session_counts& ours, const session_counts& theirs) {
  session_counts out;
  for (const auto& [session, count] : ours) {
    auto it = theirs.find(session);
    if (it == theirs.end() || it->second < count) out.emplace(session, count);
  }
  return out;
}

std::string sessions_short_hash(const session_counts& sessions) {
  // stableStringify: keys in UTF-16 order; session IDs are ASCII so this is byte order,
  // but keep the JS rule for safety.
  std::vector<const std::pair<const std::string, std::uint32_t>*> entries;
  for (const auto& e : sessions) entries.push_back(&e);
  std::stable_sort(entries.begin(), entries.end(),
                   [](auto* a, auto* b) { return base::utf16_less(a->first, b->first); });
  std::string json = "{";
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (i) json.push_back(',');
    base::append_json_string(json, entries[i]->first);
    json.push_back(':');
    json.append(std::to_string(entries[i]->second));
  }
  json.push_back('}');
  return short_hash_id(blake3(json));
}

}  // namespace moai::protocol
